"""Steps -> step instances: sweeps (Cartesian products), `{var}` in paths, params.

This runs once per instance, ten thousand times for a big sweep, so the per-instance
work is string formatting with precompiled templates; errors that would repeat for
every instance are reported once per source position.
"""

from __future__ import annotations

import itertools
from typing import Any, TypeVar

from seamlessflow.errors import SourcePos
from seamlessflow.graph.model import CaptureItem, InputItem, Instance
from seamlessflow.graph.pin_names import pin_clashes
from seamlessflow.language.evaluate import ERROR, Evaluator, plain_text
from seamlessflow.language.fields import Assignment, PathItem, StepSpec
from seamlessflow.language.interpolate import Template, TemplateError
from seamlessflow.language.sizes import EXAMPLES, size_value
from seamlessflow.language.suggest import hint

ItemT = TypeVar("ItemT", InputItem, CaptureItem)


MAX_NAME_BYTES = 255  # one file or folder name, on every common Linux file system


def clean_path(text: str) -> tuple[str, str | None]:
    """A project or workspace path as a relative POSIX path without a trailing slash,
    or the reason it is refused."""
    if text and text[0] not in "./~" and text[-1] != "/" and "/." not in text \
            and "//" not in text and len(text) <= MAX_NAME_BYTES // 4:
        return text, None  # the usual case, decided without splitting: no '.', '..' or ''
    path = text
    while path.startswith("./"):
        path = path[2:]
    path = path.rstrip("/")
    if path.startswith(("/", "~")):
        return path, f"{text} is an absolute path; paths are relative to the project folder"
    if not path or path == ".":
        return path, f"'{text}' names the project folder itself; name a file or folder in it"
    parts = path.split("/")
    if ".." in parts:
        return path, f"{text} climbs out of the project folder with '..'"
    for part in parts:
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            return path, (f"a name in this path is longer than the {MAX_NAME_BYTES} bytes "
                          "a file system allows for one file or folder name")
    if "" in parts or "." in parts:
        path = "/".join(p for p in parts if p not in ("", "."))
    return path, None


class Expander:
    def __init__(self, evaluator: Evaluator):
        self.ev = evaluator
        self._reported: set[tuple[SourcePos, str]] = set()
        self._constant_paths: dict[int, tuple[str, str | None]] = {}  # by id(template)

    def error(self, pos: SourcePos, message: str, hint_text: str | None = None) -> None:
        if (pos, message) not in self._reported:
            self._reported.add((pos, message))
            self.ev.error(pos, message, hint_text)

    def instances(self, spec: StepSpec) -> list[Instance]:
        step = spec.step
        variables = [var.var for var in step.sweep]
        lists = []
        for index, var in enumerate(step.sweep):
            if var.var in variables[:index]:
                self.error(var.var_pos, f"'{var.var}' is swept twice in step '{step.name}'")
                return []
            values = self.ev.sequence(var.values, var.var)
            if values is ERROR:
                return []
            self.ev.note_sweep(values, var.values.pos, f"step '{step.name}'")
            lists.append((var, values))
        self._check_names(spec, variables)
        made: dict[str, Instance] = {}
        single = variables[0] if len(variables) == 1 else None  # the usual sweep: no join
        for combo in itertools.product(*(values for _, values in lists)):
            bindings = dict(zip(variables, combo, strict=True))
            if single is not None:
                name = f"{step.name}[{single}={plain_text(combo[0])}]"
            elif bindings:
                name = step.name + "[" + ",".join(
                    f"{k}={plain_text(v)}" for k, v in bindings.items()) + "]"
            else:
                name = step.name
            if name in made:
                # as written in a name, `1` and `"1"` (or `true` and `"true"`) are the same
                var = next(v for v, values in lists
                           if [plain_text(x) for x in values].count(
                               plain_text(bindings[v.var])) > 1)
                self.error(var.values.pos, f"the values '{var.var}' sweeps over repeat, so "
                                           f"{name} would be made twice", "drop the repeated value")
                continue
            made[name] = self._instance(spec, name, bindings)
        return list(made.values())

    def _check_names(self, spec: StepSpec, sweep_vars: list[str]) -> None:
        """Every {var} and bare param must name a sweep or let variable: checked once per
        step, so a typo gives one error, not one per instance."""
        known = [*sweep_vars, *self.ev.variables]
        for item in [*spec.inputs, *spec.captures]:
            names = set(known) | {var for var, _ in item.sweep}
            for template in (item.first, item.second):
                for missing in [n for n in template.names if n not in names]:
                    self.error(item.pos, f"unknown variable '{{{missing}}}' in a path",
                               hint(missing, names) or "sweep variables come from `for`, "
                                                       "others from `let`")
        if spec.stdout is not None:
            for missing in [n for n in spec.stdout.names if n not in known]:
                self.error(spec.stdout_pos or spec.step.pos,
                           f"unknown variable '{{{missing}}}' in a path", hint(missing, known))
        named = [*known, *(a.name for a in spec.params)]
        for attribute, instead in (("cores_ref", "give a whole number"),
                                   ("memory_ref", f"give a size such as {EXAMPLES}")):
            ref = getattr(spec, attribute)
            if ref is not None and ref.ref not in named:
                self.error(ref.pos, f"'{ref.name}: {ref.ref}' names no param, sweep or let "
                                    "variable", hint(ref.ref, named) or instead)
                setattr(spec, attribute, None)
        for assignment in [*spec.params, *spec.metavars]:
            if assignment.ref is not None and assignment.ref not in known:
                self.error(assignment.pos, f"'{assignment.ref}' is neither a sweep variable nor "
                                           "a let variable", hint(assignment.ref, known) or
                           f"give it a value: {assignment.ref} = VALUE")

    def _instance(self, spec: StepSpec, name: str, bindings: dict[str, Any]) -> Instance:
        env = {**self.ev.variables, **bindings} if bindings else self.ev.variables
        inputs = self._items(spec.inputs, env, InputItem)
        captures = self._items(spec.captures, env, CaptureItem)
        stdout = None
        if spec.stdout is not None:
            stdout = self._path(spec.stdout, env, spec.stdout_pos or spec.step.pos)
        if len(inputs) > 1:
            self._unique_workspace_paths(name, inputs, "input")
            self._no_input_inside_another(name, inputs)
        if len(captures) > 1:
            self._unique_workspace_paths(name, captures, "capture")
        params = self._values(spec.params, env) if spec.params else {}
        if spec.language == "bash":
            self._no_pin_clashes(spec, inputs, params, captures, stdout is not None)
        return Instance(
            name=name, step=spec.step.name, bindings=bindings, language=spec.language,
            code=spec.code, code_pos=spec.code_pos, inputs=inputs,
            params=params,
            captures=captures, pos=spec.step.pos, stdout=stdout, stdout_pos=spec.stdout_pos,
            metavars=self._values(spec.metavars, env) if spec.metavars else {},
            stage=spec.stage,
            stage_pos=spec.stage_pos, scratch=spec.scratch, retries=spec.retries,
            timeout=spec.timeout,
            cores=spec.cores if spec.cores_ref is None else self._cores(spec.cores_ref, name,
                                                                        params, env),
            memory=spec.memory if spec.memory_ref is None else self._memory(
                spec.memory_ref, name, params, env),
        )

    def _cores(self, ref: Assignment, name: str, params: dict[str, Any],
               env: dict[str, Any]) -> int:
        """`cores: NAME` for one instance."""
        value = _referenced(ref, params, env)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.error(ref.pos, f"'cores' must be a whole number of at least 1, but "
                                f"{ref.ref} is {plain_text(value)!r} in {name}")
            return 1
        return value

    def _memory(self, ref: Assignment, name: str, params: dict[str, Any],
                env: dict[str, Any]) -> int:
        """`memory: NAME` for one instance, in bytes."""
        value = _referenced(ref, params, env)
        size = size_value(value)
        if size is None:
            self.error(ref.pos, f"'memory' must be a size such as {EXAMPLES}, but {ref.ref} "
                                f"is {plain_text(value)!r} in {name}")
            return 0
        return size

    def _items(self, items: list[PathItem], env: dict[str, Any], make: type[ItemT]
               ) -> list[ItemT]:
        """`make(first, second, is_dir, pos)` for each item (several for an item with
        its own `for`), the items whose paths are refused left out. One loop, not nested
        generators: this runs for every item of every instance."""
        made = []
        for item in items:
            if item.sweep:
                made.extend(make(first, second, item.is_dir, item.pos)
                            for first, second in self._swept_pairs(item, env))
                continue
            pair = self._pair(item, env)
            if pair is not None:
                made.append(make(pair[0], pair[1], item.is_dir, item.pos))
        return made

    def _swept_pairs(self, item: PathItem, env: dict[str, Any]) -> list[tuple[str, str]]:
        variables = [var for var, _ in item.sweep]
        inner = dict(env)  # one copy, its swept variables overwritten for each combination
        pairs = []
        for combo in itertools.product(*(values for _, values in item.sweep)):
            inner.update(zip(variables, combo, strict=True))
            pair = self._pair(item, inner)
            if pair is not None:
                pairs.append(pair)
        return pairs

    def _pair(self, item: PathItem, env: dict[str, Any]) -> tuple[str, str] | None:
        first = self._path(item.first, env, item.pos)
        second = first if item.second is item.first else self._path(item.second, env, item.pos)
        if first is None or second is None:
            return None
        return first, second

    def _path(self, template: Template, env: dict[str, Any], pos: SourcePos) -> str | None:
        if not template.names:  # the same for every instance: cleaned once per template
            cleaned = self._constant_paths.get(id(template))  # templates outlive expansion
            if cleaned is None:
                cleaned = self._constant_paths[id(template)] = clean_path(template.parts[0])
        else:
            try:
                cleaned = clean_path(template.render(env))
            except KeyError:
                return None  # an unknown variable: reported by _check_names
            except TemplateError as exc:
                self.error(pos, str(exc))
                return None
        path, problem = cleaned
        if problem:
            self.error(pos, problem)  # reported once per position
            return None
        return path

    def _unique_workspace_paths(self, name: str, items: list, what: str) -> None:
        seen: dict[str, Any] = {}
        for item in items:
            first = seen.setdefault(item.workspace_path, item)
            if first is not item:
                self.error(item.pos, f"{name}: two {what}s at workspace path "
                                     f"{item.workspace_path}",
                           f"rename one with {'PATH -> OTHER' if what == 'input' else 'OTHER -> PATH'}")

    def _no_input_inside_another(self, name: str, inputs: list[InputItem]) -> None:
        """`a.txt -> q` and `b.txt -> q/r` cannot both be put into the workspace: q would
        have to be a file and a folder (a directory input, too, is the input's own)."""
        taken = {item.workspace_path: item for item in inputs}
        for item in inputs:
            path = item.workspace_path
            slash = path.rfind("/")
            while slash > 0:
                outer = taken.get(path[:slash])
                if outer is not None:
                    self.error(item.pos, f"{name}: input {item.project_path} would go to "
                                         f"{path}, inside input {outer.project_path} at "
                                         f"{outer.workspace_path} in the workspace",
                               "give one of them another workspace path: PATH -> OTHER")
                    break
                slash = path.rfind("/", 0, slash)

    def _no_pin_clashes(self, spec: StepSpec, inputs: list[InputItem], params: dict[str, Any],
                        captures: list[CaptureItem], stdout: bool) -> None:
        """A shell step's names must not be those its bash transformation uses itself
        (graph/pin_names.py): each clash is told at the name that clashes."""
        clashes = pin_clashes([item.workspace_path for item in inputs], params,
                              [a.name for a in spec.metavars],
                              [item.workspace_path for item in captures], stdout)
        for clash in clashes:
            items: list = {"input": inputs, "capture": captures}.get(clash.kind, [])
            assignments = spec.params if clash.kind == "param" else spec.metavars
            pos = next((item.pos for item in items if item.workspace_path == clash.name),
                       None) or next(a.pos for a in assignments if a.name == clash.name)
            told = self.ev.diagnostics.diagnostics  # a path refused already: not twice
            if all(diagnostic.pos != pos for diagnostic in told):
                self.error(pos, clash.message, clash.hint)

    def _values(self, assignments: list[Assignment], env: dict[str, Any]) -> dict[str, Any]:
        values = {}
        for a in assignments:
            if a.ref is None:
                values[a.name] = a.value
            elif a.ref in env:
                values[a.name] = env[a.ref]
        return values


def _referenced(ref: Assignment, params: dict[str, Any], env: dict[str, Any]) -> Any:
    """What `FIELD: NAME` names for one instance: the step's param of that name, else
    the sweep or let variable."""
    return params[ref.ref] if ref.ref in params else env[ref.ref]
