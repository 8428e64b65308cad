"""The record of the project's last run: the JSON run report (cli/report.py) of it, kept
in `.seamlessflow/last-run.json`, so that `dag --format svg` can colour the graph by status
and `report` can draw the run afterwards without having asked for `--report` then.

Written atomically after every run that is not a dry run (a dry run writes nothing).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from seamlessflow.graph.reserved import STATE_DIR
from seamlessflow.scheduling.state import RunSummary

LAST_RUN_FILE = "last-run.json"


def keep(summary: RunSummary, root: Path) -> None:
    from seamlessflow.cli.report import build_report
    from seamlessflow.storage.atomic import atomic_write_bytes

    path = root / STATE_DIR / LAST_RUN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, orjson.dumps(build_report(summary)))


def load(root: Path) -> dict | None:
    """The last run's report; None when the project has none (or it is unreadable:
    it is only a picture's colours)."""
    try:
        record = orjson.loads((root / STATE_DIR / LAST_RUN_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("instances"), list) \
        else None


def statuses(record: dict | None) -> dict[str, str]:
    """Instance name -> its status in the last run."""
    if record is None:
        return {}
    return {i["name"]: i["status"] for i in record["instances"]
            if isinstance(i, dict) and isinstance(i.get("name"), str)}
