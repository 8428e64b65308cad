"""glob() sweeps whose instances would not be what the user meant: refused at load.

A workflow's instances are fixed before anything runs. So a sweep over a glob() that
matches nothing silently drops its steps (and everything after them), and a glob()
over paths that a step of the same workflow captures sees only what an earlier run
left there: the run would go on with stale instances, and the next run would find
new ones. Both are errors, at the places that tell the user what to change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from seamlessflow.graph.model import Instance
from seamlessflow.language.evaluate import Evaluator, pattern_regex


def check_glob_sweeps(ev: Evaluator, instances: Iterable[Instance]) -> None:
    """Reports, through `ev`, each glob() listing a path some step captures, and each
    sweep over a glob() that matched nothing (unless that glob is the first case)."""
    captured = _captured_by_glob(ev, instances) if ev.globs else {}
    for pattern, (step, path) in captured.items():
        pos = next(call.pos for call in ev.glob_calls.values() if call.pattern == pattern)
        ev.error(pos, f'glob("{pattern}") lists {path}, which step \'{step}\' captures: the '
                      "instances of a workflow are fixed before it runs, so this glob would "
                      "see what an earlier run left there, not what this run makes",
                 f"list the values another way (a `let` list or the config), or move "
                 f"the steps that make {path} to a Seamlessfile of their own and run it "
                 f"first (`seamlessflow -f FILE run`)")
    for call, pos, what in ev.empty_glob_sweeps:
        if call.pattern in captured:
            continue
        at = f"line {call.pos.line}" if call.pos.file == pos.file else str(call.pos)
        ev.error(pos, f'{what} sweeps over glob("{call.pattern}") (at {at}), '
                      "which matches no file, so it has no "
                      + ("instances" if what.startswith("step") else "paths"),
                 _nearby(ev.root, call.pattern))


def _captured_by_glob(ev: Evaluator, instances: Iterable[Instance]) -> dict[str, tuple[str, str]]:
    """pattern -> (step, shown path) of the first capture the pattern could list: a
    captured file or folder that matches it, or one that makes a folder it looks in."""
    patterns = []
    for pattern in ev.globs:
        parts = pattern.split("/")
        fixed = pattern[:min((i for i in (pattern.find(c) for c in "{*?[") if i >= 0),
                             default=len(pattern))].rpartition("/")[0]
        regexes = [re.compile(pattern_regex("/".join(parts[:n])) + r"\Z")
                   for n in range(1, len(parts) + 1)]
        patterns.append((pattern, fixed + "/" if fixed else "", regexes))
    found: dict[str, tuple[str, str]] = {}
    for inst in instances:
        paths = [(c.project_path, c.is_dir) for c in inst.captures]
        if inst.stdout is not None:
            paths.append((inst.stdout, False))
        for path, is_dir in paths:
            for pattern, prefix, regexes in patterns:
                if pattern in found or not ((path + "/").startswith(prefix)
                                            or prefix.startswith(path + "/")):
                    continue
                depth = path.count("/") + 1
                if depth < len(regexes) and not is_dir:
                    continue  # a file holds no entries to list
                n = min(depth, len(regexes))
                if regexes[n - 1].match("/".join(path.split("/")[:n])):
                    found[pattern] = (inst.step, path + "/" if is_dir else path)
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
