"""Which folders to observe for a plan, and which file system events concern it.

Only what the plan reads is watched: the folders holding the Seamlessfile, its includes,
config and file inputs (each alone, not recursively), and the input directories (with
everything below them). An event matters only when it touches one of those paths (or a
sidecar standing for an input), so the files a run writes itself, its captures, their
sidecars, `.seamlessflow/` and the buffer store, never trigger the next run, even when
they sit in a watched folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from seamlessflow.graph.reserved import STATE_DIR
from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX, INDEX_SUFFIX
from seamlessflow.watch.plan import Plan

# Reading a file (as every run does with its inputs) opens and closes it: never a change.
# A folder's "modified" only echoes a change of one of its entries, reported on its own.
_READS = frozenset({"opened", "closed_no_write"})
# Events that change which names exist: they matter on the way to a watched path too.
_STRUCTURAL = frozenset({"created", "deleted", "moved"})
LOST = "lost"  # the kernel dropped events: anything may have changed


@dataclass(frozen=True)
class Folder:
    path: str  # absolute
    recursive: bool


@dataclass(frozen=True)
class Event:
    """One path touched by a file system event (a move gives one for each end)."""

    at: float  # time.monotonic() when it was seen
    kind: str  # watchdog's event_type: created, modified, moved, deleted, attrib, closed, ...
    path: str  # absolute; "" for LOST
    is_dir: bool


class WatchSet:
    def __init__(self, plan: Plan, cache_dir: str):
        self.root = root = plan.root
        self.files: set[str] = set(plan.sources)
        self.trees: set[str] = set()  # input directories: anything below them matters
        for rel, is_dir in plan.inputs:
            local = os.path.join(root, rel)
            (self.trees if is_dir else self.files).add(local)
            self.files.add(local + CHECKSUM_SUFFIX)  # an input may be given by its sidecar
        self.globs: dict[str, bool] = {}  # folder a glob() lists -> whether below it too
        for pattern in plan.glob_patterns:
            folder, recursive = glob_folder(pattern)
            local = os.path.normpath(os.path.join(root, folder))
            self.globs[local] = self.globs.get(local, False) or recursive
        self.ignored: set[str] = {os.path.join(root, STATE_DIR), os.path.abspath(cache_dir)}
        for rel in plan.outputs:
            local = os.path.join(root, rel)
            self.ignored.update((local, local + CHECKSUM_SUFFIX, local + INDEX_SUFFIX))
        self._ancestors: set[str] = set()
        for path in (*self.files, *self.trees, *self.globs):
            self._ancestors.update(_parents(path))

    def folders(self) -> set[Folder]:
        """The folders to observe; a folder that does not exist yet is stood in for by its
        nearest existing parent, which sees it being created."""
        wanted = {Folder(os.path.dirname(f), False) for f in self.files}
        for tree in self.trees:
            wanted.update((Folder(tree, True), Folder(os.path.dirname(tree), False)))
        wanted.update(Folder(folder, recursive) for folder, recursive in self.globs.items())
        existing = set()
        for folder in wanted:
            path = folder.path
            while not os.path.isdir(path) and os.path.dirname(path) != path:
                path = os.path.dirname(path)
            existing.add(Folder(path, folder.recursive and path == folder.path))
        # a folder observed recursively needs no second, flat watch
        return {f for f in existing if f.recursive or Folder(f.path, True) not in existing}

    def concerns(self, event: Event) -> bool:
        if event.kind == LOST:
            return True
        if event.kind in _READS or (event.kind == "modified" and event.is_dir):
            return False
        path = event.path
        if _within(path, self.ignored):
            return False
        if path in self.files or _within(path, self.trees):
            return True
        if event.kind not in _STRUCTURAL:
            return False
        return path in self._ancestors or _within(path, self.globs)

    def __len__(self) -> int:
        """How many paths are watched (for the display): files, sidecars aside, and trees."""
        return sum(1 for f in self.files if not f.endswith(CHECKSUM_SUFFIX)) + len(self.trees)


def glob_folder(pattern: str) -> tuple[str, bool]:
    """The project folder whose entries a glob() pattern lists, and whether the pattern
    reaches below it (`data/{s}/reads.txt`)."""
    cut = min((i for i in (pattern.find(c) for c in "{*?[") if i >= 0), default=len(pattern))
    folder = pattern[:cut].rpartition("/")[0]
    rest = pattern[len(folder):].lstrip("/")
    return folder, "/" in rest


def _parents(path: str) -> list[str]:
    found = []
    parent = os.path.dirname(path)
    while parent != path:
        found.append(parent)
        path, parent = parent, os.path.dirname(parent)
    return found


def _within(path: str, tops: set[str] | dict[str, bool]) -> bool:
    """Whether `path` is one of `tops` or lies below one of them."""
    if path in tops:
        return True
    return any(parent in tops for parent in _parents(path))
