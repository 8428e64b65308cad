"""The folder a step's command runs in: fresh per attempt, holding exactly its inputs.

Inputs are materialized from the buffer store by checksum, never read from the project,
so that an input edited while its step runs cannot poison the cache: what is recorded
is what the command actually saw. They are *copies*, never links into the store:
seamlessflow may run as root, which ignores read-only bits, and a command that writes to
an input would otherwise corrupt the stored buffer.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from seamlessflow.errors import ExecutionError, StoreError
from seamlessflow.execution.job import Job
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.trees import write_tree

_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.=-]+")


@dataclass(frozen=True)
class Attempt:
    """A private folder for one attempt. Nested, it holds `workspace/` (the command's
    cwd) beside the command's own files (a captured stdout, a long script, Python's
    script), which therefore stay invisible to the command. A command that needs no
    such files runs in the folder itself: one folder fewer per step, and creating a
    folder is among the dearest parts of a short step."""

    root: Path
    nested: bool = True

    @property
    def workspace(self) -> Path:
        return self.root / "workspace" if self.nested else self.root

    def remove(self) -> None:
        """Remove the folder; one already gone is fine (a cancelled job may be cleaned
        up twice)."""
        if os.path.lexists(self.root):
            shutil.rmtree(self.root, onerror=_force_remove)


class DeferredRemovals:
    """Workspaces of finished attempts, removed in one go when the run ends.

    On ext4 without a journal (as on this project's CI machines), creating a file
    scans past every inode deleted in the last few seconds; removing each workspace
    as soon as its step ends made every later step's file creations slow, doubling a
    run of a thousand short steps. Removal is bounded so that a long run of big
    workspaces cannot fill the disk: past `max_bytes` or `max_count`, they go at once.
    Attempts are added from worker threads, hence the lock.
    """

    def __init__(self, max_count: int = 5000, max_bytes: int = 1 << 30):
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._pending: list[Attempt] = []
        self._bytes = 0
        self._lock = threading.Lock()

    def add(self, attempt: Attempt) -> None:
        size = _tree_size(attempt.root)
        with self._lock:
            self._pending.append(attempt)
            self._bytes += size
            full = len(self._pending) >= self.max_count or self._bytes >= self.max_bytes
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending, self._bytes = self._pending, [], 0
        for attempt in pending:
            try:
                attempt.remove()
            except OSError:
                pass  # a leftover temp folder is harmless


def _tree_size(root: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def open_attempt(job: Job, nested: bool = True) -> Attempt:
    """A new private (mode 0700) folder under `job.workdir`, or the system temp folder."""
    return open_folder(job.name, job.workdir, nested)


def open_folder(name: str, workdir: str | None, nested: bool = True) -> Attempt:
    """A new private folder for an attempt of `name` under `workdir` (None: the system
    temp folder)."""
    parent = workdir or tempfile.gettempdir()
    prefix = "seamlessflow-" + _UNSAFE_NAME_CHARS.sub("_", name)[:60] + "-"
    try:
        root = tempfile.mkdtemp(prefix=prefix, dir=parent)
    except FileNotFoundError:
        os.makedirs(parent, exist_ok=True)
        root = tempfile.mkdtemp(prefix=prefix, dir=parent)
    attempt = Attempt(Path(root), nested)
    if nested:
        os.mkdir(attempt.workspace)
    return attempt


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing paths that could land outside `root`: they come from
    transformation dicts, which a remote client or a corrupt buffer may have written."""
    pure = PurePosixPath(relative.rstrip("/"))
    if not relative or "\0" in relative or pure.is_absolute() or str(pure) == ".":
        raise ExecutionError(f"invalid workspace path '{relative}'")
    if ".." in pure.parts:
        raise ExecutionError(f"workspace path '{relative}' climbs out of the workspace with '..'")
    return root.joinpath(*pure.parts)


def materialize_inputs(inputs: dict[str, tuple[str, bool]], store: BufferStore,
                       workspace: Path) -> None:
    """Write every input (workspace path -> (checksum, is a folder)) at its workspace
    path; StoreError if bytes are missing."""
    # nobody looks into a fresh workspace yet: no need for a temporary file and a rename
    write_file = getattr(store, "write_new", store.write_to)
    for relative, (checksum, is_dir) in inputs.items():
        dest = inside(workspace, relative)
        if dest.parent != workspace:
            dest.parent.mkdir(parents=True, exist_ok=True)
        if is_dir:
            write_tree(store, checksum, dest)
            _make_tree_writable(dest)
        elif write_file(checksum, dest):
            _add_owner_write(dest)
        else:
            raise StoreError(f"input '{relative}' ({checksum}) is not in the buffer store")


def make_capture_folders(captures: list[str], workspace: Path) -> None:
    """Create the folders that hold each declared capture (`sub/` of `sub/out.txt`), as
    Make and Snakemake users expect: `cp in.txt sub/out.txt` then just works."""
    for capture in captures:
        parent = inside(workspace, capture.rstrip("/")).parent
        if parent != workspace:
            parent.mkdir(parents=True, exist_ok=True)


def _make_tree_writable(path: Path) -> None:
    """Inputs are the command's own copies: let it modify them as it would a project file
    (store buffers are read-only, and a copy may have kept that mode)."""
    for folder, _, files in os.walk(path):
        for name in files:
            _add_owner_write(os.path.join(folder, name))


def _add_owner_write(path: str | Path) -> None:
    """The command may modify its own copy, whatever mode the store gave it."""
    mode = os.stat(path).st_mode
    if not mode & stat.S_IWUSR:
        os.chmod(path, mode | stat.S_IWUSR)


def _force_remove(function: object, path: str, _exc_info: object) -> None:
    """A command may leave read-only folders behind; make the parent writable and retry."""
    parent = os.path.dirname(path)
    os.chmod(parent, os.stat(parent).st_mode | stat.S_IRWXU)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, os.stat(path).st_mode | stat.S_IRWXU)
        shutil.rmtree(path, onerror=_force_remove)
    else:
        os.unlink(path)
