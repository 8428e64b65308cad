"""The content a plan depends on, by checksum: what tells an edit from a touch.

File system events say that something happened, not that content changed (`touch`, an
editor saving unchanged text, `git checkout` of the same bytes). Comparing checksums before
and after decides; the stat cache keeps that cheap, re-reading only the files whose stat
changed.
"""

from __future__ import annotations

import os
from pathlib import Path

from seamlessflow.errors import SeamlessflowError
from seamlessflow.graph.link import shown_path
from seamlessflow.graph.reserved import STATE_DIR
from seamlessflow.identity.checksum import checksum_file
from seamlessflow.language.evaluate import glob_values
from seamlessflow.watch.plan import Plan

SOURCE, GLOB, INPUT = "source", "glob", "input"
Key = tuple[str, str]  # (SOURCE, GLOB or INPUT, the name shown to the user)
Fingerprint = dict[Key, str | None]  # None: absent or unreadable


def take(plan: Plan) -> Fingerprint:
    from seamlessflow.scheduling.inputs import ProjectInputs
    from seamlessflow.storage.local_store import LocalBufferStore
    from seamlessflow.storage.location import buffer_dir
    from seamlessflow.storage.statcache import StatCache

    root = Path(plan.root)
    found: Fingerprint = {}
    for source in plan.sources:
        found[(SOURCE, os.path.relpath(source, root))] = _guarded(checksum_file, Path(source))
    for pattern in plan.glob_patterns:
        found[(GLOB, f'glob("{pattern}")')] = "\n".join(glob_values(root, pattern))
    # The run's own rules for an input's checksum (local file, directory or sidecar).
    # Checksums never touch the store: the local one is named only to open no connection
    # to a remote one. Warnings are silenced: the run that follows gives them.
    inputs = ProjectInputs(root, StatCache.load(root / STATE_DIR), LocalBufferStore(buffer_dir()),
                           lambda _message: None)
    for path, is_dir in plan.inputs:
        found[(INPUT, shown_path(path, is_dir))] = _guarded(inputs.checksum, path, is_dir)
    return found


def differences(old: Fingerprint, new: Fingerprint) -> list[Key]:
    return [key for key in {**old, **new} if old.get(key) != new.get(key)]


def _guarded(func, *args) -> str | None:
    try:
        return func(*args)
    except (SeamlessflowError, OSError):
        return None
