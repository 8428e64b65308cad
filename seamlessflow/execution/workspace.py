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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from seamlessflow.errors import ExecutionError, StoreError
from seamlessflow.execution.job import Job
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.trees import write_tree

_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.=-]+")


@dataclass(frozen=True)
class Attempt:
    """A private folder for one attempt: `workspace/` (the command's cwd) beside the
    command's script and output files, which therefore stay invisible to the command."""

    root: Path

    @property
    def workspace(self) -> Path:
        return self.root / "workspace"

    def remove(self) -> None:
        shutil.rmtree(self.root, onerror=_force_remove)


class DeferredRemovals:
    """Workspaces of finished attempts, removed in one go when the run ends.

    On ext4 without a journal (as on this project's CI machines), creating a file
    scans past every inode deleted in the last few seconds; removing each workspace
    as soon as its step ends made every later step's file creations slow, doubling a
    run of a thousand short steps. Removal is bounded so that a long run of big
    workspaces cannot fill the disk: past `max_bytes` or `max_count`, they go at once.
    """

    def __init__(self, max_count: int = 5000, max_bytes: int = 1 << 30):
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._pending: list[Attempt] = []
        self._bytes = 0

    def add(self, attempt: Attempt) -> None:
        self._pending.append(attempt)
        self._bytes += _tree_size(attempt.root)
        if len(self._pending) >= self.max_count or self._bytes >= self.max_bytes:
            self.flush()

    def flush(self) -> None:
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


def open_attempt(job: Job) -> Attempt:
    """A new private (mode 0700) folder under `job.workdir`, or the system temp folder."""
    parent = job.workdir or tempfile.gettempdir()
    os.makedirs(parent, exist_ok=True)
    label = _UNSAFE_NAME_CHARS.sub("_", job.name)[:60]
    attempt = Attempt(Path(tempfile.mkdtemp(prefix=f"seamlessflow-{label}-", dir=parent)))
    attempt.workspace.mkdir()
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


def materialize_inputs(job: Job, store: BufferStore, workspace: Path) -> None:
    """Write every declared input at its workspace path; StoreError if bytes are missing."""
    dir_inputs = set(job.dir_inputs)
    for relative, checksum in job.transformation["inputs"].items():
        dest = inside(workspace, relative)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if relative in dir_inputs:
            write_tree(store, checksum, dest)
        elif not store.write_to(checksum, dest):
            raise StoreError(f"input '{relative}' ({checksum}) is not in the buffer store")
        _make_writable(dest)


def _make_writable(path: Path) -> None:
    """Inputs are the command's own copies: let it modify them as it would a project file
    (store buffers are read-only, and a copy may have kept that mode)."""
    if path.is_dir():
        for folder, _, files in os.walk(path):
            for name in files:
                _add_owner_write(os.path.join(folder, name))
    else:
        _add_owner_write(str(path))


def _add_owner_write(path: str) -> None:
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
