"""The record of the project's last run: the JSON run report (session/report.py) of it, kept
in `.seamlessflow/last-run.json`, so that `dag --format svg` can colour the graph by status
and `report` can draw the run afterwards without having asked for `--report` then.

Written atomically after every run that is not a dry run (a dry run writes nothing) nor
told from a settled record (session/settled.py: the run that settled it wrote the same).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from seamlessflow.graph.reserved import STATE_DIR
from seamlessflow.scheduling.state import (
    CACHED,
    FAILED,
    PENDING,
    RAN,
    SKIPPED,
    WILL_RUN,
    RunSummary,
)

LAST_RUN_FILE = "last-run.json"
STATUSES = (RAN, CACHED, FAILED, SKIPPED, WILL_RUN, PENDING)


def keep(summary: RunSummary, root: Path) -> None:
    from seamlessflow.session.report import build_report
    from seamlessflow.storage.atomic import atomic_write_bytes

    path = root / STATE_DIR / LAST_RUN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, orjson.dumps(build_report(summary)))


def load(root: Path) -> dict | None:
    """The last run's report; None when the project has none or it is unreadable (it is
    only a picture's colours). Entries that are not as this version writes them (an edited
    file) are left out, so that nothing downstream meets a surprise."""
    try:
        record = orjson.loads((root / STATE_DIR / LAST_RUN_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("instances"), list):
        return None
    record["instances"] = [i for i in record["instances"] if _well_formed(i)]
    return record


def _well_formed(entry: object) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("name"), str)
            and entry.get("status") in STATUSES
            and all(isinstance(entry.get(k), (int, float, type(None)))
                    for k in ("started_at", "ended_at", "duration_s")))


def statuses(record: dict | None) -> dict[str, str]:
    """Instance name -> its status in the last run."""
    if record is None:
        return {}
    return {i["name"]: i["status"] for i in record["instances"]}
