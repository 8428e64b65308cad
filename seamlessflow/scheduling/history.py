"""The project's run history: the meaning of the last transformation each instance ran
(or adopted from the cache), so that the next run can say what changed since.

Kept in `.seamlessflow/history.json`, written atomically; read only when a reason is
needed or a run has something new to record. Code texts are kept once per code (and
only small ones: scheduling/changes.DIFF_CODE_MAX), for the diff a reason shows.

Bounded: renamed steps and changed sweep values leave entries of instances that no longer
exist. Each entry remembers which save recorded it; one of an instance the workflow no
longer has is dropped once KEEP_SAVES later saves went by. So switching back and forth
between versions of a workflow keeps every reason, instances of the workflow keep theirs
however long ago they ran, and the file holds the workflow's instances plus those of the
last KEEP_SAVES runs that recorded something.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import orjson

from seamlessflow.scheduling.changes import DIFF_CODE_MAX
from seamlessflow.storage.atomic import atomic_write_bytes

HISTORY_FILE = "history.json"
KEEP_SAVES = 20  # how many saves the entry of an instance no longer in the workflow outlives


class RunHistory:
    def __init__(self, state_dir: Path):
        self.path = state_dir / HISTORY_FILE
        self._data: dict | None = None  # read on first use
        self._changed = False

    def _loaded(self) -> dict:
        if self._data is None:
            try:
                data = orjson.loads(self.path.read_bytes())
            except (OSError, orjson.JSONDecodeError):
                data = {}
            if not isinstance(data, dict) or not isinstance(data.get("instances"), dict):
                data = {"instances": {}, "codes": {}}
            data.setdefault("codes", {})
            self._data = data
        return self._data

    def last(self, name: str) -> tuple[dict | None, str | None]:
        """The meaning of `name`'s last recorded transformation, and its code text when
        kept; (None, None) when it never ran here."""
        data = self._loaded()
        entry = data["instances"].get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("meaning"), dict):
            return None, None
        return entry["meaning"], data["codes"].get(entry["meaning"].get("code"))

    def last_failed(self, name: str) -> bool:
        """Whether `name`'s last recorded run failed (its meaning is what it failed as)."""
        entry = self.entry(name)
        return bool(entry and entry.get("failed"))

    def recorded(self, name: str) -> tuple[str | None, bool]:
        """The transformation `name` last ran as, and whether that run failed."""
        entry = self.entry(name)
        return (None, False) if entry is None else \
            (entry.get("transformation"), bool(entry.get("failed")))

    def entry(self, name: str) -> dict | None:
        """What is recorded of `name`: its transformation checksum, meaning and the
        changes that made it run (scheduling/changes.py)."""
        entry = self._loaded()["instances"].get(name)
        return entry if isinstance(entry, dict) else None

    def record(self, name: str, transformation: str, meaning: dict, code: str,
               changes: list[dict], failed: bool = False) -> None:
        data = self._loaded()
        data["instances"][name] = {"transformation": transformation, "meaning": meaning,
                                   "changes": changes, "save": _saves(data) + 1,
                                   **({"failed": True} if failed else {})}
        if len(code) <= DIFF_CODE_MAX:
            data["codes"][meaning["code"]] = code
        self._changed = True

    def save(self, current: Collection[str]) -> None:
        """Write the history if this run changed it, with the entries of instances gone
        from the workflow (`current`: all its instances) for long pruned, and codes no
        instance uses dropped."""
        if not self._changed or self._data is None:
            return
        self._data["saves"] = _saves(self._data) + 1
        self._drop_gone(current)
        used = {e["meaning"].get("code") for e in self._data["instances"].values()
                if isinstance(e, dict) and isinstance(e.get("meaning"), dict)}
        self._data["codes"] = {k: v for k, v in self._data["codes"].items() if k in used}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, orjson.dumps(self._data))
        self._changed = False

    def _drop_gone(self, current: Collection[str]) -> None:
        instances, saves = self._data["instances"], self._data["saves"]
        for name in [name for name, entry in instances.items() if name not in current
                     and saves - _entry_save(entry) >= KEEP_SAVES]:
            del instances[name]


def _saves(data: dict) -> int:
    saves = data.get("saves")
    return saves if isinstance(saves, int) else 0


def _entry_save(entry: object) -> int:
    """The save that recorded `entry`; 0 for one written before saves were counted."""
    save = entry.get("save") if isinstance(entry, dict) else None
    return save if isinstance(save, int) else 0
