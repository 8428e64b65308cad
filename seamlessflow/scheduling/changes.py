"""What changed in an instance since its last recorded run: the reason a dry run gives.

Pure: compares two *meanings* of a transformation (its params, inputs by where they
came from, code, captures) and never the transformation dict itself, whose layout is
not a promise. A meaning is a plain JSON-able dict, made by `meaning` and kept in the
project's run history (scheduling/history.py).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

# Code up to this size is kept in the history, so that a change can be shown as a diff.
DIFF_CODE_MAX = 4000
DIFF_LINES_MAX = 12


def meaning(language: str, code_checksum: str, params: dict,
            inputs: dict[str, tuple[str, str, str | None]], captures: list[str],
            stdout: bool) -> dict:
    """`inputs` maps each workspace name to (project path it came from, checksum,
    producing instance or None for a project file)."""
    return {
        "language": language,
        "code": code_checksum,
        "params": params,
        "inputs": {ws: list(src) for ws, src in inputs.items()},
        "captures": sorted(captures),
        "stdout": stdout,
    }


def compare(before: dict | None, now: dict, code_before: str | None = None,
            code_now: str | None = None, failed_before: bool = False) -> list[dict]:
    """The structured changes from `before` (None: never run) to `now`; a last run that
    failed comes first, since it alone explains a rerun of an unchanged instance."""
    if before is None:
        return [{"kind": "new"}]
    changes: list[dict] = [{"kind": "failed"}] if failed_before else []
    if before.get("language") != now["language"]:
        changes.append({"kind": "language", "before": before.get("language"),
                        "now": now["language"]})
    if before.get("code") != now["code"]:
        change: dict[str, Any] = {"kind": "code"}
        if code_before is not None and code_now is not None:
            change["diff"] = short_diff(code_before, code_now)
        changes.append(change)
    old_params, new_params = before.get("params", {}), now["params"]
    for name in sorted(set(old_params) | set(new_params)):
        if name not in new_params:
            changes.append({"kind": "param", "name": name, "before": old_params[name],
                            "change": "removed"})
        elif name not in old_params:
            changes.append({"kind": "param", "name": name, "now": new_params[name],
                            "change": "added"})
        elif _canonical(old_params[name]) != _canonical(new_params[name]):
            changes.append({"kind": "param", "name": name, "before": old_params[name],
                            "now": new_params[name], "change": "changed"})
    old_inputs, new_inputs = before.get("inputs", {}), now["inputs"]
    for ws in sorted(set(old_inputs) | set(new_inputs)):
        old, new = old_inputs.get(ws), new_inputs.get(ws)
        if old is not None and new is not None and list(old) == list(new):
            continue
        entry: dict[str, Any] = {"kind": "input", "name": ws}
        if new is None:
            entry.update(path=old[0], change="removed")
        elif old is None:
            entry.update(path=new[0], change="added")
        elif old[0] != new[0]:
            entry.update(path=new[0], before_path=old[0], change="source")
        else:
            entry.update(path=new[0], change="content")
        if new is not None and new[2]:
            entry["producer"] = new[2]
        changes.append(entry)
    if before.get("captures") != now["captures"] or before.get("stdout") != now["stdout"]:
        changes.append({"kind": "captures", "before": before.get("captures"),
                        "now": now["captures"]})
    return changes


def short_diff(before: str, now: str) -> str:
    """A unified diff of two code texts without its header, cut to a few lines."""
    lines = list(difflib.unified_diff(before.splitlines(), now.splitlines(), lineterm="",
                                      n=0))[2:]
    lines = [line for line in lines if not line.startswith("@@")]
    if len(lines) > DIFF_LINES_MAX:
        lines = lines[:DIFF_LINES_MAX] + [f"… ({len(lines) - DIFF_LINES_MAX} more lines)"]
    return "\n".join(lines)


def describe(changes: list[dict]) -> str:
    """One line for a reason: `param top: 5 → 9; input data/a.txt: content changed`."""
    return "; ".join(describe_one(c) for c in changes)


def describe_one(change: dict) -> str:
    kind = change["kind"]
    if kind == "new":
        return "never run before"
    if kind == "forced":
        return "forced with --force"
    if kind == "failed":
        return "its last run failed"
    if kind == "code":
        return "code changed"
    if kind == "language":
        return f"language: {change['before']} → {change['now']}"
    if kind == "param":
        name = change["name"]
        if change["change"] == "added":
            return f"param {name} added: {_show(change['now'])}"
        if change["change"] == "removed":
            return f"param {name} removed (was {_show(change['before'])})"
        return f"param {name}: {_show(change['before'])} → {_show(change['now'])}"
    if kind == "input":
        path = change["path"]
        by = f" (from {change['producer']})" if change.get("producer") else ""
        what = {"added": "new input", "removed": "no longer an input",
                "content": "content changed",
                "source": f"now read instead of {change.get('before_path')}"}[change["change"]]
        return f"input {path}{by}: {what}"
    if kind == "captures":
        return f"captures: {', '.join(change['before'] or [])} → {', '.join(change['now'])}"
    return kind


def code_diffs(changes: list[dict]) -> list[str]:
    """The short diffs among `changes`, for the lines shown under a reason."""
    return [c["diff"] for c in changes if c["kind"] == "code" and c.get("diff")]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
