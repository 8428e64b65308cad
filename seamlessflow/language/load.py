"""A Seamlessfile on disk -> the expanded Workflow, or every error found in it.

Order of work: read and parse the file and its includes (in place, like C's
`#include`), read the top-level settings and the config, evaluate every `let`
(lets are global, whatever their place in the file), read the stages, then read
and expand each step. Errors are collected all the way through; one WorkflowError
carries them all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from seamlessflow.errors import DiagnosticCollector, SourcePos, WorkflowError
from seamlessflow.graph.model import Instance, StageSettings, Workflow
from seamlessflow.language import ast
from seamlessflow.language.config import load_config_file, merge
from seamlessflow.language.evaluate import ERROR, NAME, Evaluator
from seamlessflow.language.expand import Expander
from seamlessflow.language.fields import STAGE_FIELDS, FieldReader
from seamlessflow.language.glob_sweeps import check_glob_sweeps
from seamlessflow.language.parser import KEYWORDS, parse
from seamlessflow.language.source_text import read_source, undecodable_at
from seamlessflow.language.suggest import hint

SETTINGS = ("project", "config", "include", *STAGE_FIELDS)


def load_workflow(seamlessfile: str | os.PathLike, config_overrides: dict[str, Any] | None = None
                  ) -> Workflow:
    path = Path(seamlessfile).absolute()
    diagnostics = DiagnosticCollector()
    sources: dict[str, str] = {}  # path -> checksum of what was parsed
    statements = _read(path, diagnostics, sources, [], None)
    loader = _Loader(path, diagnostics, sources)
    workflow = loader.build(statements, config_overrides)
    diagnostics.raise_if_any()
    return workflow


def _read(path: Path, diagnostics: DiagnosticCollector, sources: dict[str, str], stack: list[Path],
          included_at: SourcePos | None) -> list[ast.Statement]:
    """The statements of `path` with its includes spliced in at their place."""
    try:
        text, checksum = read_source(path)
    except FileNotFoundError:
        if included_at is None:
            diagnostics.error(None, f"no Seamlessfile at {path}")
        else:
            diagnostics.error(included_at, f"included file {path.name} not found",
                              hint(path.name, _siblings(path.parent)) or f"looked for {path}")
        return []
    except UnicodeDecodeError as exc:
        diagnostics.error(undecodable_at(exc, str(path)),
                          f"byte 0x{exc.object[exc.start]:02x} is not UTF-8 text",
                          "a Seamlessfile is UTF-8 text: save it as UTF-8")
        return []
    except OSError as exc:
        diagnostics.error(included_at, f"cannot read {path}: {exc}")
        return []
    sources[str(path)] = checksum
    try:
        module = parse(text, str(path))
    except WorkflowError as exc:
        diagnostics.diagnostics.extend(exc.diagnostics)
        return []
    statements: list[ast.Statement] = []
    for statement in module.statements:
        statements.append(statement)  # an include too: an empty one is reported as a setting
        if not (isinstance(statement, ast.Setting) and statement.name == "include"):
            continue
        for item in statement.items:
            if not isinstance(item.value, ast.Scalar) or item.renamed or item.assigned \
                    or item.sweep:
                diagnostics.error(item.pos, "include: takes file paths")
                continue
            child = (path.parent / item.value.text).absolute()
            chain = [*stack, path]
            if child in chain:
                cycle = " -> ".join(p.name for p in chain[chain.index(child):]) + \
                    f" -> {child.name}"
                diagnostics.error(item.pos, f"include cycle: {cycle}",
                                  "remove one of these includes")
                continue
            if str(child) in sources:
                diagnostics.error(item.pos, f"{item.value.text} is included twice",
                                  "include each file once")
                continue
            statements.extend(_read(child, diagnostics, sources, chain, item.pos))
    return statements


def _siblings(folder: Path) -> list[str]:
    try:
        return [entry.name for entry in os.scandir(folder) if entry.is_file()]
    except OSError:
        return []


class _Loader:
    def __init__(self, path: Path, diagnostics: DiagnosticCollector, sources: dict[str, str]):
        self.path = path
        self.root = path.parent
        self.diagnostics = diagnostics
        self.sources = sources

    def build(self, statements: list[ast.Statement], overrides: dict[str, Any] | None
              ) -> Workflow:
        settings = [s for s in statements if isinstance(s, ast.Setting)]
        config = self._config(settings, overrides)
        ev = Evaluator(self.diagnostics, self.root, config)
        reader = FieldReader(ev)
        project, default_stage = self._settings(settings, reader)
        self._lets([s for s in statements if isinstance(s, ast.Let)], ev)
        stages = self._stages([s for s in statements if isinstance(s, ast.Stage)], reader)
        instances = self._steps([s for s in statements if isinstance(s, ast.Step)], reader, ev,
                                stages)
        check_glob_sweeps(ev, instances.values())
        return Workflow(root=str(self.root), seamlessfile=str(self.path), instances=instances,
                        project=project, default_stage=default_stage, stages=stages,
                        source_files=self.sources, globs=ev.globs)

    def _config(self, settings: list[ast.Setting], overrides: dict[str, Any] | None
                ) -> dict[str, Any] | None:
        """The config mapping; None without one; ERROR when the file failed (reported here,
        so that its `config.KEY` lookups are not all reported again)."""
        found = [s for s in settings if s.name == "config"]
        config: dict[str, Any] | None = None
        for extra in found[1:]:
            self.diagnostics.error(extra.pos, "config: given twice",
                                   f"the first is at {found[0].pos}; keep one config file")
        if found and found[0].items:  # an empty one is reported with the other settings
            setting = found[0]
            scalar = FieldReader(Evaluator(self.diagnostics, self.root, None)).single(setting)
            if scalar is not None:
                file = (Path(setting.pos.file).parent / scalar.text).absolute()
                config, checksum, problem = load_config_file(file, scalar.pos)
                if problem is not None:
                    self.diagnostics.diagnostics.append(problem)
                    return ERROR
                self.sources[str(file)] = checksum
        if overrides:
            config = merge(config or {}, overrides)
        return config

    def _settings(self, settings: list[ast.Setting], reader: FieldReader
                  ) -> tuple[str | None, StageSettings]:
        project = None
        stage_fields: dict[str, ast.Setting] = {}
        for setting in settings:
            if setting.name not in SETTINGS:
                self.diagnostics.error(
                    setting.pos, f"unknown setting '{setting.name}'",
                    hint(setting.name, [*SETTINGS, *KEYWORDS]) or
                    "top-level lines are project:, config:, include:, execution:, remote:, "
                    "cluster:, workers:, let, step and stage")
            elif not reader.has_items(setting) or setting.name in ("config", "include"):
                continue
            elif setting.name == "project":
                scalar = reader.single(setting)
                if scalar is not None:
                    if project is not None:
                        self.diagnostics.error(setting.pos, "project: given twice")
                    project = scalar.text
            elif setting.name in stage_fields:
                self.diagnostics.error(setting.pos, f"{setting.name}: given twice",
                                       f"the first is at {stage_fields[setting.name].pos}")
            else:
                stage_fields[setting.name] = setting
        return project, reader.stage_settings(list(stage_fields.values()), None)

    def _lets(self, lets: list[ast.Let], ev: Evaluator) -> None:
        where: dict[str, SourcePos] = {}
        for let in lets:
            if not self._first_valid(let.name, let.name_pos, where, "variable",
                                     f"'{let.name}' is defined twice", "the first definition is"):
                continue
            # A failed let is kept as ERROR, so that its uses are not reported as unknown too.
            ev.variables[let.name] = ev.value(let.value)

    def _first_valid(self, name: str, pos: SourcePos, seen: dict[str, SourcePos], kind: str,
                     twice: str, first_is: str, advice: str = "",
                     at: SourcePos | None = None) -> bool:
        """Whether `name` is a valid name declared for the first time; otherwise the error
        is reported here. `seen` remembers where each name was first declared (`at`)."""
        if not NAME.match(name):
            self.diagnostics.error(pos, f"'{name}' is not a valid {kind} name",
                                   "names are letters, digits and _, not starting with a digit")
            return False
        if name in seen:
            self.diagnostics.error(pos, twice, f"{first_is} at {seen[name]}{advice}")
            return False
        seen[name] = at or pos
        return True

    def _stages(self, stages: list[ast.Stage], reader: FieldReader) -> dict[str, StageSettings]:
        found: dict[str, StageSettings] = {}
        for stage in stages:
            if not NAME.match(stage.name) or stage.name == "default":
                self.diagnostics.error(stage.name_pos, f"'{stage.name}' cannot name a stage",
                                       "'default' is the top-level settings; names are letters,"
                                       " digits and _")
                continue
            if stage.name in found:
                self.diagnostics.error(stage.name_pos, f"stage '{stage.name}' is declared twice")
                continue
            fields = reader.by_name(stage.fields, STAGE_FIELDS, f"stage '{stage.name}'")
            found[stage.name] = reader.stage_settings(list(fields.values()), stage.pos)
        return found

    def _steps(self, steps: list[ast.Step], reader: FieldReader, ev: Evaluator,
               stages: dict[str, StageSettings]) -> dict[str, Instance]:
        expander = Expander(ev)
        where: dict[str, SourcePos] = {}
        instances: dict[str, Instance] = {}
        for step in steps:
            if not self._first_valid(step.name, step.name_pos, where, "step",
                                     f"step '{step.name}' is declared twice", "the first is",
                                     "; rename one", at=step.pos):
                continue
            spec = reader.step(step, stages)
            for instance in expander.instances(spec):
                instances[instance.name] = instance
        return instances
