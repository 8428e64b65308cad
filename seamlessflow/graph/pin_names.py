"""Names a shell step's inputs, params, metavars and captures may not take, because its
Seamless bash transformation (identity/seamless_bash.py) uses them itself.

Every input and param of a shell step is a pin named by that name, beside the pins the
transformation has of its own: `code`, the double-underscore keys, a `META__` pin per
metavar. The code text collects the result in the folder `RESULT`, writes standard
output to `STDOUT`, and exports each metavar from its pin (`export N="${META__N}"`, in
the order of their names: a metavar `META__N` would overwrite the pin of a metavar `N`).
A name that clashes would give a transformation that does not compute what the step
says (or none at all), so the rule is applied twice, from this one function: when
the workflow is read, where the error can point at the name in the Seamlessfile, and
when an identity is built, which must never be wrong whatever built the instance.

Pure: names in, clashes out. Constants are the transformation's own names. A capture
named like standard output's key in a result is told by graph/reserved.py, for any step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from seamlessflow.identity.transformation import STDOUT_KEY

CODE = "code"
RESULT = "RESULT"  # the folder the code text collects the result in
STDOUT = "STDOUT"  # the file standard output goes to beside captures
META_PREFIX = "META__"  # a metavar's pin is META_PREFIX + its name
_RESERVED = frozenset({CODE, RESULT, STDOUT})
_PREFIXES = ("__", META_PREFIX)
_OWN_NAMES = f"{CODE}, {RESULT}, {STDOUT}, names starting with __ or {META_PREFIX}"
# Characters that make a capture's path mean something else to bash (split it, expand
# it, redirect, quote, comment) in the code text's `mv PATH RESULT/...` line, which
# quotes nothing, as seamless-run writes it. Letters of any script are plain to bash.
_UNQUOTABLE = re.compile(r"[\s|&;<>()$`\\\"'*?\[\]#~{}!\x00-\x1f\x7f]")


def moved_unquoted(path: str) -> str | None:
    """Why `path` cannot be a capture of a bash transformation, if it cannot: bash
    would not read it as one name in the code text's `mv` line."""
    bad = _UNQUOTABLE.search(path)
    if bad is not None:
        shown = "a space" if bad.group().isspace() else f"'{bad.group()}'"
        return f"{shown} means something to bash there"
    if path.startswith("-"):
        return "a name starting with '-' is an option to mv"
    return None


class PinClash(NamedTuple):
    """One name that clashes: which of the step's items it is, the name as given, what
    is wrong and how to fix it."""

    kind: str  # "input", "param", "metavar" or "capture"
    name: str  # a workspace path (inputs, captures) or a variable name
    message: str
    hint: str


def _taken(name: str) -> bool:
    """Whether a pin may not be named `name` (a path: its first folder counts)."""
    return name.split("/", 1)[0] in _RESERVED or name.startswith(_PREFIXES)


def pin_clashes(inputs: Iterable[str], params: Iterable[str], metavars: Iterable[str],
                captures: Iterable[str], stdout: bool) -> tuple[PinClash, ...]:
    """The clashes of one shell step instance, in the order of the arguments.

    inputs and captures: workspace paths (a folder's without its `/`); params and
    metavars: their names; stdout: whether standard output is captured too. The
    instances of a sweep mostly share their workspace paths and names (what varies is
    their project paths): each set of names is judged once."""
    return _clashes(tuple(inputs), tuple(params), tuple(metavars), tuple(captures), stdout)


@lru_cache(maxsize=1024)
def _clashes(inputs: tuple[str, ...], params: tuple[str, ...], metavars: tuple[str, ...],
             captures: tuple[str, ...], stdout: bool) -> tuple[PinClash, ...]:
    clashes = []
    input_names = set()
    for name in inputs:
        input_names.add(name)
        if _taken(name):
            clashes.append(PinClash(
                "input", name, f"input '{name}' takes a name the bash transformation uses "
                               f"itself ({_OWN_NAMES})",
                "give it another workspace path: PATH -> OTHER"))
    for name in params:
        if name in input_names:
            clashes.append(PinClash(
                "param", name, f"param '{name}' has the name of input '{name}': the "
                               "command would see one of them only",
                "rename the param, or give the input another workspace path: PATH -> OTHER"))
        elif _taken(name):
            clashes.append(PinClash(
                "param", name, f"param '{name}' takes a name the bash transformation uses "
                               f"itself ({_OWN_NAMES})", "rename the param"))
    for name in metavars:  # one named like a param wins over it, as documented
        if name.startswith(META_PREFIX):
            clashes.append(PinClash(
                "metavar", name, f"metavar '{name}' starts with {META_PREFIX}, the prefix "
                                 "of the pins that hold metavars", "rename the metavar"))
    for path in captures:
        top = path.split("/", 1)[0]
        unquoted = None if path == STDOUT_KEY else moved_unquoted(path)  # graph/reserved.py
        if unquoted is not None:
            clashes.append(PinClash(
                "capture", path,
                f"capture '{path}' cannot be moved into {RESULT} by the bash "
                f"transformation's code, which names it without quotes: {unquoted}",
                "let the command write a name without it, and capture that: NAME -> PATH "
                "(the project path may be any)"))
            continue
        if top == RESULT:
            where = "the folder where the bash transformation collects its result"
        elif path == STDOUT or (stdout and top == STDOUT):
            where = "the file the bash transformation writes standard output to"
        else:
            continue
        clashes.append(PinClash(
            "capture", path,
            f"capture '{path}' " + (f"takes the name of {top}, " if path == top else
                                    f"is inside {top}, ") + where,
            "give it another workspace path: OTHER -> PATH" +
            ("; to capture standard output, write `stdout: PATH`" if top == STDOUT else "")))
    return tuple(clashes)
