"""The JSON run report, written with `--report FILE`: docs/report.md describes it and
docs/report.schema.json is its JSON Schema (a test holds the two together)."""

from __future__ import annotations

import json
from pathlib import Path

from seamlessflow import __version__
from seamlessflow.scheduling.state import InstanceState, RunSummary


def instance_entry(state: InstanceState) -> dict:
    return {
        "name": state.name,
        "step": state.step,
        "bindings": state.bindings,
        "status": state.status,
        "reason": state.reason,
        "changes": state.changes or [],
        "transformation": state.transformation,
        "result": state.result,
        "captures": state.captures,
        "stage": state.stage,
        "runner": state.runner,
        "duration_s": None if state.duration_s is None else round(state.duration_s, 4),
        "started_at": _time(state.started_at),
        "ended_at": _time(state.ended_at),
        "attempts": state.attempts,
        "error": state.error,
        "stderr_tail": state.stderr_tail or None,
        "log": state.log_path,
        "workspace": state.workspace,
        "rerun": state.rerun,
    }


def _time(t: float | None) -> float | None:
    return None if t is None else round(t, 4)


def build_report(summary: RunSummary) -> dict:
    return {
        "seamlessflow": __version__,
        "ok": summary.ok,
        "dry_run": summary.dry_run,
        "instances": [instance_entry(s) for s in summary.states],
        "counts": summary.counts,
    }


def write_report(summary: RunSummary, path: Path) -> None:
    """Atomically for a regular file, through a FIFO, device or symlink such as
    /dev/stdout (storage.atomic.output_file); with the umask's permissions."""
    from seamlessflow.storage.atomic import os_error, output_file

    text = json.dumps(build_report(summary), indent=2) + "\n"
    try:
        with output_file(path) as f:
            f.write(text.encode())
    except OSError as exc:
        raise os_error(exc, path, "write the report to") from None
