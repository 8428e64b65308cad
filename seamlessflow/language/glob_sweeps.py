"""glob() sweeps whose values depend on more than the files there now.

A sweep over a glob() that matches nothing silently drops its steps (and everything
after them): that is an error, at each sweep it empties. A glob() over paths that a
step of the same workflow captures (a step that writes `chunks/`, a sweep over
`glob("chunks/{c}.txt")`) has the values of what an earlier run left there until that
step has run: `run` runs such steps first and reads the workflow again (session/glob_rounds.py),
so an empty match is no error there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from seamlessflow.graph.model import Instance
from seamlessflow.language.evaluate import Evaluator, pattern_regex


def check_glob_sweeps(ev: Evaluator, instances: Iterable[Instance]) -> None:
    """Reports, through `ev`, each sweep over a glob() that matched nothing and lists
    nothing a step captures."""
    if not ev.empty_glob_sweeps:
        return
    captured = captured_globs(ev.globs, instances)
    for call, pos, what in ev.empty_glob_sweeps:
        if call.pattern in captured:
            continue
        at = f"line {call.pos.line}" if call.pos.file == pos.file else str(call.pos)
        ev.error(pos, f'{what} sweeps over glob("{call.pattern}") (at {at}), '
                      "which matches no file, so it has no "
                      + ("instances" if what.startswith("step") else "paths"),
                 _nearby(ev.root, call.pattern))


def captured_globs(patterns: Iterable[str], instances: Iterable[Instance]
                   ) -> dict[str, list[tuple[str, str]]]:
    """pattern -> (instance, shown path) of each capture the pattern could list: a
    captured file or folder that matches it, or one that makes a folder it looks in.
    Only the patterns that have one."""
    compiled = []
    for pattern in patterns:
        parts = pattern.split("/")
        fixed = pattern[:min((i for i in (pattern.find(c) for c in "{*?[") if i >= 0),
                             default=len(pattern))].rpartition("/")[0]
        regexes = [re.compile(pattern_regex("/".join(parts[:n])) + r"\Z")
                   for n in range(1, len(parts) + 1)]
        compiled.append((pattern, fixed + "/" if fixed else "", regexes))
    if not compiled:
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for inst in instances:  # every capture of every instance: kept to string tests
        paths = [(c.project_path, c.is_dir) for c in inst.captures]
        if inst.stdout is not None:
            paths.append((inst.stdout, False))
        for path, is_dir in paths:
            for pattern, prefix, regexes in compiled:
                # below the folder the pattern looks in, or a folder on the way to it
                if not (path.startswith(prefix) or prefix.startswith(path)
                        and prefix[len(path)] == "/"):
                    continue
                depth = path.count("/") + 1
                if depth < len(regexes) and not is_dir:
                    continue  # a file holds no entries to list
                n = min(depth, len(regexes))
                if regexes[n - 1].match("/".join(path.split("/")[:n])):
                    found.setdefault(pattern, []).append(
                        (inst.name, path + "/" if is_dir else path))
    return found


def _nearby(root: Path, pattern: str) -> str:
    """What the folder the pattern looks in does hold, for spotting a wrong suffix."""
    folder = pattern[:pattern.find("{")].rpartition("/")[0]
    try:
        names = sorted(e.name for e in os.scandir(root / folder) if not e.name.startswith("."))
    except OSError:
        return f"there is no folder {folder or '.'} in the project" if folder else \
            "check the pattern"
    if not names:
        return f"{folder or 'the project folder'} is empty"
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{folder + '/' if folder else 'the project folder'} holds {shown}"
