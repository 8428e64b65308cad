"""Reading the fields of a step or stage: which exist, what each accepts.

The grammar parses every field alike; this is where `inputs:` learns that it holds
paths, `retries:` that it holds a whole number, and a misspelt `captrues:` gets its
"did you mean". Nothing here depends on sweep values: a step is read once, then
expanded into instances by language.expand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from seamlessflow.errors import SourcePos
from seamlessflow.graph.model import EXECUTIONS, MAX_WORKERS, REMOTES, StageSettings
from seamlessflow.language import ast
from seamlessflow.language.code_braces import mention_pos, read_code
from seamlessflow.language.evaluate import ERROR, NAME, Evaluator
from seamlessflow.language.interpolate import Template, TemplateError, compile_template
from seamlessflow.language.sizes import EXAMPLES, size_value
from seamlessflow.language.source_text import read_source
from seamlessflow.language.suggest import closest, hint

STEP_FIELDS = ("inputs", "params", "shell", "python", "captures", "stdout", "metavars",
               "stage", "scratch", "retries", "timeout", "cores", "memory")
STAGE_FIELDS = ("execution", "remote", "cluster", "workers")


class PathItem(NamedTuple):
    """An input or capture item: `first` is what is written left of `->`."""

    first: Template
    second: Template
    is_dir: bool
    pos: SourcePos
    sweep: list[tuple[str, list[Any]]]


class Assignment(NamedTuple):
    """A params or metavars item: a value, or (`ref`) the variable of that name."""

    name: str
    pos: SourcePos
    value: Any = None
    ref: str | None = None


@dataclass
class StepSpec:
    step: ast.Step
    language: str = "bash"
    code: str = ""
    code_pos: SourcePos | None = None  # where the code's first line is
    inputs: list[PathItem] = field(default_factory=list)
    captures: list[PathItem] = field(default_factory=list)
    params: list[Assignment] = field(default_factory=list)
    metavars: list[Assignment] = field(default_factory=list)
    stdout: Template | None = None
    stdout_pos: SourcePos | None = None
    stage: str | None = None
    stage_pos: SourcePos | None = None
    scratch: bool = False
    retries: int = 0
    timeout: float | None = None
    cores: int = 1
    memory: int = 0  # bytes; 0: not said
    # `cores: NAME`, `memory: NAME`: a param, sweep or let variable, whose value each
    # instance takes
    cores_ref: Assignment | None = None
    memory_ref: Assignment | None = None


class FieldReader:
    def __init__(self, evaluator: Evaluator):
        self.ev = evaluator

    def error(self, pos: SourcePos, message: str, hint_text: str | None = None) -> None:
        self.ev.error(pos, message, hint_text)

    # ---- fields common to all blocks

    def by_name(self, fields: list[ast.Field], known: tuple[str, ...], where: str) \
            -> dict[str, ast.Field]:
        """Each known field once; unknown and repeated fields are errors."""
        seen: dict[str, ast.Field] = {}
        for f in fields:
            if f.name not in known:
                self.error(f.pos, f"unknown field '{f.name}' in {where}",
                           hint(f.name, known) or "the fields are " + ", ".join(known))
            elif f.name in seen:
                self.error(f.pos, f"field '{f.name}' given twice in {where}",
                           f"the first is at line {seen[f.name].pos.line}; merge the two")
            elif self.has_items(f):
                seen[f.name] = f
        return seen

    def has_items(self, f: ast.Field | ast.Setting) -> bool:
        """An empty `inputs:` is an error of its own, so that it is not also read as
        "no value" by whatever reads the field."""
        if not f.items:
            self.error(f.pos, f"'{f.name}:' has no value",
                       "write its value after the ':'" if isinstance(f, ast.Setting) else
                       "write its value after the ':', or on lines indented below it")
        return bool(f.items)

    def single(self, f: ast.Field | ast.Setting) -> ast.Scalar | None:
        """The one plain value of a field like `stage:` or `retries:`."""
        if len(f.items) != 1:
            self.error(f.items[1].pos if len(f.items) > 1 else f.pos,
                       f"'{f.name}' takes one value, not {len(f.items)}")
            return None
        item = f.items[0]
        if item.renamed is not None or item.assigned is not None or item.sweep \
                or not isinstance(item.value, ast.Scalar):
            self.error(item.pos, f"'{f.name}' takes a single plain value here")
            return None
        return item.value

    def number(self, f: ast.Field | ast.Setting, whole: bool, minimum: float,
               maximum: float | None = None) -> Any:
        scalar = self.single(f)
        if scalar is None:
            return ERROR
        value = self.ev.value(scalar)
        if value is ERROR:
            return ERROR
        kind = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or value < minimum \
                or (maximum is not None and value > maximum):
            what = "a whole number" if whole else "a number"
            upto = "" if maximum is None else f" and at most {maximum:,}"
            self.error(scalar.pos, f"'{f.name}' must be {what} of at least {minimum:g}{upto}, "
                                   f"not {scalar.text!r}")
            return ERROR
        return value

    def choice(self, f: ast.Field | ast.Setting, options: tuple[str, ...]) -> str | None:
        scalar = self.single(f)
        if scalar is None:
            return None
        if scalar.text not in options:
            self.error(scalar.pos, f"'{f.name}' must be one of {', '.join(options)}, "
                                   f"not '{scalar.text}'", hint(scalar.text, options))
            return None
        return scalar.text

    def name(self, f: ast.Field | ast.Setting) -> str | None:
        scalar = self.single(f)
        if scalar is None:
            return None
        if not NAME.match(scalar.text):
            self.error(scalar.pos, f"'{scalar.text}' is not a valid name for '{f.name}'",
                       "names are letters, digits and _, not starting with a digit")
            return None
        return scalar.text

    # ---- stages

    def stage_settings(self, fields: list[ast.Field | ast.Setting], pos: SourcePos,
                       settings: StageSettings | None = None) -> StageSettings:
        settings = settings or StageSettings(pos=pos)
        for f in fields:
            settings.at[f.name] = f.pos
            if f.name == "execution":
                settings.execution = self.choice(f, EXECUTIONS)
            elif f.name == "remote":
                settings.remote = self.choice(f, REMOTES)
            elif f.name == "cluster":
                settings.cluster = self.name(f)
            elif f.name == "workers":
                workers = self.number(f, whole=True, minimum=1, maximum=MAX_WORKERS)
                settings.workers = None if workers is ERROR else workers
        return settings

    # ---- steps

    def step(self, step: ast.Step, stages: dict[str, Any]) -> StepSpec:
        spec = StepSpec(step)
        where = f"step '{step.name}'"
        fields = self.by_name(step.fields, STEP_FIELDS, where)
        # The fields the user wrote, or misspelt, or left empty: a misspelt `shel:` is
        # reported once, not also as "no command".
        meant = {f.name if f.name in STEP_FIELDS else closest(f.name, STEP_FIELDS)
                 for f in step.fields}
        if meant.isdisjoint(("shell", "python")):
            self.error(step.pos, f"{where} has no command",
                       'add `shell: "..."` (bash) or `python: """..."""`')
        else:
            self._code(spec, fields, where)
        if meant.isdisjoint(("captures", "stdout")):
            self.error(step.pos, f"{where} captures nothing",
                       "add `captures: FILE` (what the command writes) or `stdout: FILE`")
        if "inputs" in fields:
            spec.inputs = self._paths(fields["inputs"])
        if "captures" in fields:
            spec.captures = self._paths(fields["captures"])
        if "params" in fields:
            spec.params = self._assignments(fields["params"])
        if "metavars" in fields:
            spec.metavars = self._assignments(fields["metavars"])
        if spec.code:
            self._code_braces(spec, fields["shell" if spec.language == "bash" else "python"])
        if "stdout" in fields:
            scalar = self.single(fields["stdout"])
            if scalar is not None:
                spec.stdout = self._template(scalar.text, scalar.pos)
                spec.stdout_pos = scalar.pos
                if scalar.text.endswith("/"):
                    self.error(scalar.pos, "stdout is written to a file, not a directory",
                               "drop the trailing '/'")
        if "stage" in fields:
            name = self.name(fields["stage"])
            if name is not None and name != "default" and name not in stages:
                scalar = fields["stage"].items[0].value
                self.error(scalar.pos, f"unknown stage '{name}'",
                           hint(name, ["default", *stages]) or
                           f"declare it with a `stage {name}:` block")
            spec.stage = name
            spec.stage_pos = fields["stage"].pos
        if "scratch" in fields:
            spec.scratch = self._boolean(fields["scratch"])
        if "cores" in fields:
            spec.cores_ref = self._variable(fields["cores"])
        if "memory" in fields:
            spec.memory_ref = self._variable(fields["memory"])
            if spec.memory_ref is None:
                spec.memory = self._memory(fields["memory"])
        for key, whole, minimum in (("retries", True, 0), ("timeout", False, 0.001),
                                    ("cores", True, 1)):
            if key in fields and not (key == "cores" and spec.cores_ref is not None):
                value = self.number(fields[key], whole, minimum)
                if value is not ERROR:
                    setattr(spec, key, value)
        return spec

    def _memory(self, f: ast.Field) -> int:
        scalar = self.single(f)
        if scalar is None:
            return 0
        value = self.ev.value(scalar)
        if value is ERROR:
            return 0
        size = size_value(value)
        if size is None:
            self.error(scalar.pos, f"'memory' must be a size such as {EXAMPLES}, "
                                   f"not {scalar.text!r}")
            return 0
        return size

    def _variable(self, f: ast.Field) -> Assignment | None:
        """A field whose value is a bare name (`cores: threads`): the variable it refers
        to, looked up per instance; None for anything else (a number, `config.KEY`)."""
        if len(f.items) != 1 or not isinstance(f.items[0].value, ast.Scalar):
            return None
        scalar = f.items[0].value
        if scalar.quoted or not NAME.fullmatch(scalar.text) \
                or scalar.text in ("true", "false", "null"):
            return None
        return Assignment(f.name, scalar.pos, ref=scalar.text)

    def _code(self, spec: StepSpec, fields: dict[str, ast.Field], where: str) -> None:
        present = [k for k in ("shell", "python") if k in fields]
        if not present:
            return
        if len(present) == 2:
            self.error(fields["python"].pos, f"{where} has both shell: and python:",
                       "a step runs one command; split it into two steps")
        f = fields[present[0]]
        scalar = self.single(f)
        if scalar is None:
            return
        if not scalar.quoted:
            self.error(scalar.pos, f"the {f.name} code must be a quoted string",
                       f'write {f.name}: "{scalar.text}"')
        spec.language = "bash" if f.name == "shell" else "python"
        spec.code = scalar.text
        spec.code_pos = scalar.pos._replace(line=scalar.first_line) if scalar.first_line \
            else scalar.pos

    def _code_braces(self, spec: StepSpec, f: ast.Field) -> None:
        """Refuses `{name}` of a step variable in the code (see code_braces), and makes
        the escape `{{name}}` the literal `{name}` the command gets."""
        given = {a.name for a in [*spec.params, *spec.metavars]}
        names = given | {var.var for var in spec.step.sweep} | set(self.ev.variables)
        written = spec.code
        spec.code, mentions = read_code(written, spec.language, names)
        if not mentions:
            return
        string_pos = f.items[0].value.pos
        try:
            source = read_source(Path(string_pos.file))[0]
        except (OSError, UnicodeDecodeError):
            source = ""
        for mention in mentions:
            name = mention.name
            if spec.language == "bash":
                spelling = f"${name}"
                what = f"bash gets the text '{{{name}}}'"
            else:
                spelling = f'an f-string, f"...{{{name}}}..."'
                what = f"a plain Python string keeps the text '{{{name}}}'"
            if name not in given:
                spelling = f"{spelling}, with {name} added to params:"
            self.error(mention_pos(written, mention, string_pos, source) if source
                       else string_pos,
                       f"'{{{name}}}' in the {f.name} code is not replaced: {what}, "
                       f"not the value of '{name}'",
                       f"write {spelling} (or {{{{{name}}}}} for a literal {{{name}}})")

    def _boolean(self, f: ast.Field) -> bool:
        scalar = self.single(f)
        if scalar is None:
            return False
        if scalar.quoted or scalar.text not in ("true", "false"):
            self.error(scalar.pos, f"'{f.name}' must be true or false, not {scalar.text!r}")
            return False
        return scalar.text == "true"

    def _template(self, text: str, pos: SourcePos) -> Template:
        try:
            return compile_template(text)
        except TemplateError as exc:
            self.error(pos, str(exc))
            return compile_template(text.replace("{", "{{").replace("}", "}}"))

    def _paths(self, f: ast.Field) -> list[PathItem]:
        items = []
        for item in f.items:
            if item.assigned is not None:
                self.error(item.pos, f"'=' has no meaning in {f.name}:",
                           "inputs and captures are paths, optionally PATH -> OTHER_PATH")
                continue
            if not isinstance(item.value, ast.Scalar):
                self.error(item.pos, f"{f.name}: expected a path, not a list or call")
                continue
            first = item.value.text
            second = item.renamed.text if item.renamed is not None else first
            is_dir = first.endswith("/") or second.endswith("/")
            sweep = [(var.var, self.ev.sequence(var.values, var.var)) for var in item.sweep]
            if any(values is ERROR for _, values in sweep):
                continue  # reported; expanding without the variable would only add errors
            for var, values in zip(item.sweep, (values for _, values in sweep), strict=True):
                self.ev.note_sweep(values, var.values.pos, f"this {f.name} item")
            first_template = self._template(first, item.value.pos)
            second_template = first_template if item.renamed is None else \
                self._template(second, item.renamed.pos)
            items.append(PathItem(first_template, second_template, is_dir, item.pos, sweep))
        return items

    def _assignments(self, f: ast.Field) -> list[Assignment]:
        out: list[Assignment] = []
        seen: set[str] = set()
        for item in f.items:
            value = item.value
            if item.renamed is not None or item.sweep:
                what = "'->'" if item.renamed is not None else "'for'"
                self.error(item.pos, f"{what} has no meaning in {f.name}:",
                           "write NAME = VALUE, or a variable name; a list value is [a, b]")
                continue
            if not isinstance(value, ast.Scalar) or value.quoted or not NAME.match(value.text):
                shown = value.text if isinstance(value, ast.Scalar) else "this"
                self.error(item.pos, f"{f.name}: expected NAME = VALUE or a variable name, "
                                     f"not {shown!r}",
                           "names are letters, digits and _; quote values, not names")
                continue
            if value.text in seen:
                self.error(item.pos, f"{f.name}: '{value.text}' given twice")
                continue
            seen.add(value.text)
            if item.assigned is None:
                out.append(Assignment(value.text, item.pos, ref=value.text))
            else:
                evaluated = self.ev.value(item.assigned)
                if evaluated is not ERROR:
                    out.append(Assignment(value.text, item.pos, value=evaluated))
        return out
