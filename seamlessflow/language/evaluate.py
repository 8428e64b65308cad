"""Values of expressions: literals, `config.KEY`, variables, `range(...)`, `glob(...)`.

Every failure is recorded as a diagnostic and answered with `ERROR`, so that
expansion goes on and the user sees all problems of the Seamlessfile at once.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from seamlessflow.errors import DiagnosticCollector, SourcePos
from seamlessflow.language import ast
from seamlessflow.language.suggest import hint

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
SIDECAR = ".CHECKSUM"
MAX_RANGE = 1_000_000  # a typo in a bound must give an error, not exhaust memory


class GlobCall(NamedTuple):
    pattern: str
    pos: SourcePos


class _Error:
    """The value of an expression that failed; its diagnostic is already recorded."""

    def __repr__(self) -> str:
        return "ERROR"


ERROR: Any = _Error()


def bare_value(text: str) -> Any:
    """A bare word's YAML-like type: `true` is a boolean, `3` a number, `a.txt` a string."""
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "null":
        return None
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def plain_text(value: Any) -> str:
    """How a value appears in a path or an instance name: `3`, `a`, `0.5`, `true`."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


class Evaluator:
    def __init__(self, diagnostics: DiagnosticCollector, root: Path,
                 config: dict[str, Any] | None):
        self.diagnostics = diagnostics
        self.root = root
        # None: the workflow has no config (no file, no --config); ERROR: its file failed
        self.config = config
        self.variables: dict[str, Any] = {}
        self.globs: dict[str, list[str]] = {}  # pattern -> the values it gave
        self.glob_calls: dict[int, GlobCall] = {}  # by id() of the list a glob() gave
        self.empty_glob_sweeps: list[tuple[GlobCall, SourcePos, str]] = []

    def note_sweep(self, values: list[Any], pos: SourcePos, what: str) -> None:
        """Remembers a sweep (of `what`, at `pos`) over a glob() that matched nothing:
        language.glob_sweeps reports it, unless a step of the workflow captures what the
        glob lists (then that is the error)."""
        if not values and id(values) in self.glob_calls:
            self.empty_glob_sweeps.append((self.glob_calls[id(values)], pos, what))

    def error(self, pos: SourcePos, message: str, hint_text: str | None = None) -> Any:
        self.diagnostics.error(pos, message, hint_text)
        return ERROR

    # ---- values

    def value(self, expr: ast.Expr) -> Any:
        """A value where a literal is expected (let, params, list elements): a bare word
        is a literal, except `config.KEY`."""
        if isinstance(expr, ast.Scalar):
            if expr.quoted:
                return expr.text
            if expr.text.startswith("config."):
                return self.config_value(expr.text, expr.pos)
            return bare_value(expr.text)
        if isinstance(expr, ast.ListExpr):
            items = [self.value(item) for item in expr.items]
            return ERROR if any(i is ERROR for i in items) else items
        return self.call(expr)

    def sequence(self, expr: ast.Expr, var: str) -> Any:
        """The list a `for VAR in ...` sweeps over; there a bare name is a variable."""
        if isinstance(expr, ast.Scalar) and not expr.quoted and NAME.match(expr.text):
            if expr.text not in self.variables:
                return self.error(expr.pos, f"unknown variable '{expr.text}'",
                                  hint(expr.text, self.variables) or
                                  f"define it with `let {expr.text} = [...]`")
            found = self.variables[expr.text]
        else:
            found = self.value(expr)
        if found is ERROR:
            return ERROR
        if not isinstance(found, list):
            return self.error(expr.pos, f"'{var}' must sweep over a list, but this is "
                                        f"{_describe(found)}",
                              "write a list like [a, b], or range(...) or glob(...)")
        for item in found:
            if isinstance(item, (list, dict)):
                return self.error(expr.pos, f"'{var}' sweeps over a list that holds "
                                            f"{_describe(item)}; its items must be single values")
        return found

    def config_value(self, text: str, pos: SourcePos) -> Any:
        if self.config is ERROR:
            return ERROR
        if self.config is None:
            return self.error(pos, f"{text}: this workflow has no config",
                              "add `config: FILE.yaml` at the top, or pass --config KEY=VALUE")
        value: Any = self.config
        walked = "config"
        for key in text.split(".")[1:]:
            if not isinstance(value, dict):
                return self.error(pos, f"{walked} is {_describe(value)}, it has no key '{key}'")
            if key not in value:
                return self.error(pos, f"{walked} has no key '{key}'",
                                  hint(key, [str(k) for k in value]))
            value = value[key]
            walked += "." + key
        if _holds_nul(value):
            return self.error(pos, f"{text} holds a NUL byte, which no command's environment, "
                                   "argument or path can carry", "remove it from the config")
        return value

    # ---- calls

    def call(self, call: ast.Call) -> Any:
        args = [self.value(a) for a in call.args]
        if any(a is ERROR for a in args):
            return ERROR
        if call.func == "range":
            return self._range(call, args)
        if call.func == "glob":
            return self._glob(call, args)
        return self.error(call.pos, f"unknown function '{call.func}'",
                          hint(call.func, ["range", "glob"]) or "the functions are range and glob")

    def _range(self, call: ast.Call, args: list[Any]) -> Any:
        if not 1 <= len(args) <= 3 or not all(type(a) is int for a in args):
            return self.error(call.pos, "range takes one to three whole numbers: "
                                        "range(START, STOP[, STEP])")
        if len(args) == 3 and args[2] == 0:
            return self.error(call.pos, "range step must not be 0")
        values = range(*args)
        if len(values) > MAX_RANGE:
            return self.error(call.pos, f"range gives {len(values):,} values, more than the "
                                        f"{MAX_RANGE:,} a sweep may have",
                              "check the bounds; a workflow that big should be split")
        return list(values)

    def _glob(self, call: ast.Call, args: list[Any]) -> Any:
        if len(args) != 1 or not isinstance(args[0], str):
            return self.error(call.pos, 'glob takes one pattern: glob("data/{sample}.txt")')
        pattern = args[0]
        names = _PLACEHOLDER.findall(pattern)
        if len(names) != 1 or pattern.count("{") + pattern.count("}") != 2:
            found = f"it holds {len(names)}" if len(names) != 1 else "and no other brace"
            return self.error(call.pos, f"glob pattern {pattern!r} must hold exactly one "
                                        f"{{placeholder}}, {found}",
                              'e.g. glob("data/{sample}.fastq") lists the values of sample')
        if pattern.startswith("/") or ".." in pattern.split("/"):
            return self.error(call.pos, f"glob pattern {pattern!r} must stay inside the "
                                        "project folder")
        try:
            values = glob_values(self.root, pattern)
        except re.error as exc:  # a bracket expression like [z-a]
            return self.error(call.pos, f"glob pattern {pattern!r} has an invalid [...] "
                                        f"expression: {exc.msg}")
        self.globs[pattern] = list(values)
        self.glob_calls[id(values)] = GlobCall(pattern, call.pos)
        return values


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return False


def glob_values(root: Path, pattern: str) -> list[str]:
    """The sorted distinct values of the placeholder over the project's files; a file
    present only as a `.CHECKSUM` sidecar counts, as it does for inputs."""
    regex = re.compile(pattern_regex(pattern) + "\\Z")
    fixed = pattern.split("{", 1)[0].rpartition("/")[0]  # the folder before any wildcard
    for wild in "*?[":
        if wild in fixed:
            fixed = fixed.split(wild, 1)[0].rpartition("/")[0]
    depth = pattern.count("/") - fixed.count("/") - (1 if fixed else 0)
    values: set[str] = set()
    start = root / fixed if fixed else root
    prefix = fixed + "/" if fixed else ""
    for relative in _walk(start, depth):
        if relative.endswith(SIDECAR):
            relative = relative[: -len(SIDECAR)]
        match = regex.match(prefix + relative)
        if match:
            values.add(match.group(1))
    return sorted(values)


def _walk(folder: Path, depth: int) -> list[str]:
    """Relative paths exactly `depth` folders below `folder` (0: its entries)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if depth == 0:
            found.append(entry.name)
        elif entry.is_dir():
            found.extend(entry.name + "/" + sub for sub in _walk(Path(entry.path), depth - 1))
    return found


def pattern_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "{":
            end = pattern.index("}", i)
            out.append("([^/]+)")
            i = end + 1
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            # As in the shell: `[!...]` negates, and a `]` right after `[` or `[!` is a member.
            negate = pattern.startswith("!", i + 1)
            first = i + 2 if negate else i + 1
            end = pattern.find("]", first + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                members = "".join("\\" + m if m in "\\[]" else m for m in pattern[first:end])
                out.append(f"[{'^' if negate else ''}{members}]")
                i = end + 1
                continue
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool) or value is None:
        return plain_text(value)
    return f"{type(value).__name__} {plain_text(value)!r}" if isinstance(value, str) \
        else f"the number {value}"
