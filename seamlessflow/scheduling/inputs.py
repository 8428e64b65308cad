"""Checksums of inputs that come from the project folder, and getting their bytes into the store.

Identity needs only checksums, which the stat cache gives without reading unchanged
files; bytes are copied into the buffer store only for an instance that will actually
run, because the workspace is built from the store by checksum (so an input edited
while its step runs can never poison the cache).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from seamlessflow.errors import ExecutionError
from seamlessflow.identity.deep import deep_checksum, deep_index
from seamlessflow.scheduling.listing import DIR, FILE, ProjectListing
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.layers import make_available
from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX, read_sidecar, sidecar_path
from seamlessflow.storage.statcache import StatCache
from seamlessflow.storage.trees import complete_in_store, put_tree

FUTURE_WAIT_S = 60.0  # how long to wait for a file Seamless is still producing
FUTURE_SUFFIX = ".FUTURE"
PROBED = (FUTURE_SUFFIX, CHECKSUM_SUFFIX)  # what is asked beside every input


class ProjectInputs:
    def __init__(self, root: Path, statcache: StatCache, store: BufferStore, warn,
                 listing: ProjectListing | None = None):
        self.root = root
        self.statcache = statcache
        self.store = store
        self.warn = warn
        # the stat cache's keys are normalized absolute paths
        self.listing = listing or ProjectListing(os.path.abspath(root))
        self._known: dict[str, tuple[str, bool]] = {}  # path -> (checksum, is local)
        # (path, id of a store): bytes this run found or put in that store
        self._stored: set[tuple[str, int]] = set()

    def checksum(self, path: str, is_dir: bool) -> str:
        """The checksum of a project input: the local file (preferred) or its sidecar.

        Called for every input of every instance, also in a no-op run: see ProjectListing."""
        known = self._known.get(path)
        if known is not None:
            return known[0]
        listing = self.listing
        local = listing.full(path)
        kind, (future, sidecar) = listing.probe(path, *PROBED)
        if future:
            self._wait_for_future(local)
            listing = ProjectListing(listing.root)  # the snapshot predates the file
            kind, (_, sidecar) = listing.probe(path, *PROBED)
        if is_dir and kind == DIR:
            cs = deep_checksum(deep_index(Path(local), hasher=self.statcache.checksum))
            is_local = True
        elif not is_dir and kind == FILE:
            # a file never seen is opened without a stat first (statcache.py)
            st = listing.stat(path) if self.statcache.knows(local) else None
            cs, is_local = self.statcache.checksum_stat(local, st), True
        else:
            cs, is_local = read_sidecar(sidecar_path(local)), False
        if is_local and sidecar:
            self._check_sidecar_agrees(Path(local + CHECKSUM_SUFFIX), cs)
        self._known[path] = (cs, is_local)
        return cs

    @property
    def known(self) -> dict[str, tuple[str, bool]]:
        """Each project input asked about so far: (its checksum, whether the local file
        gave it rather than its sidecar)."""
        return self._known

    def ensure_in_store(self, path: str, is_dir: bool, again: bool = False,
                        store: BufferStore | None = None) -> None:
        """Copy a local input's bytes into the store (or into `store`, the home of the
        stage that needs them) unless they are there already (for a directory: its
        index and every file); only the missing files are read. Asked once per run,
        store and path, unless `again` (bytes found corrupt meanwhile were dropped from
        the store)."""
        target = self.store if store is None else store
        cs, is_local = self._known[path]
        key = (path, id(target))
        if key in self._stored and not again:
            return
        # A plain file bound for a hashserver is uploaded without asking first: its
        # put_file asks /has itself for a file big enough for that to pay.
        upload_at_once = is_local and not is_dir and getattr(target, "asks_before_upload",
                                                             False)
        if not upload_at_once and complete_in_store(target, cs, is_dir):
            self._stored.add(key)
            return
        if not is_local:
            if target is self.store or not make_available(self.store, target, cs, is_dir):
                raise ExecutionError(
                    f"input '{path}' is given by its sidecar {sidecar_path(Path(path))}, "
                    f"but the buffer store does not hold {cs}; upload it or restore the file"
                )
            self._stored.add(key)
            return
        local = self.root / path
        stored = put_tree(target, local, hasher=self.statcache.checksum)[0] if is_dir \
            else target.put_file(local)
        if stored != cs:
            raise ExecutionError(
                f"input '{path}' changed while seamlessflow was reading it; run again"
            )
        self._stored.add(key)

    def _check_sidecar_agrees(self, side: Path, cs: str) -> None:
        try:
            side_cs = read_sidecar(side)
        except Exception as exc:  # a malformed sidecar beside a real file is only noise
            self.warn(str(exc))
            return
        if side_cs != cs:
            self.warn(f"{side} is stale: it says {side_cs[:12]}…, the file is {cs[:12]}…; "
                      "the local file is used")

    @staticmethod
    def _wait_for_future(local: str) -> None:
        future = Path(local + FUTURE_SUFFIX)
        deadline = time.monotonic() + FUTURE_WAIT_S
        while future.exists():
            if time.monotonic() > deadline:
                raise ExecutionError(
                    f"{local} is still being produced ({future.name} exists) after "
                    f"{FUTURE_WAIT_S:.0f} s; remove {future} if nothing is producing it"
                )
            time.sleep(0.2)
