"""Writing results into the project folder without ever losing what a user made.

Each write is atomic (the store writes a temp file beside the destination and renames).
A file already holding the right bytes is left alone (that is what makes a no-op run
cheap). A file whose bytes differ is first saved into the buffer store; when those bytes
are not what seamlessflow itself last wrote there, the user edited it, and a warning
names the checksum under which the edit can be recovered (`resolve`; `download` for a folder).

`.seamlessflow/outputs.json` remembers, per project path, what seamlessflow wrote and
which transformation produced it: that is how edits are recognised and what `explain`
reads.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from seamlessflow.errors import SeamlessflowError
from seamlessflow.identity.deep import deep_checksum, deep_index
from seamlessflow.storage.atomic import atomic_write_bytes
from seamlessflow.storage.interfaces import BufferStore, ResultDatabase
from seamlessflow.storage.leftovers import temp_name
from seamlessflow.storage.sidecars import (
    recovery_hint,
    sidecar_path,
    write_index,
    write_sidecar,
)
from seamlessflow.storage.statcache import StatCache
from seamlessflow.storage.trees import put_tree, swap_into_place, write_tree

OUTPUTS_FILE = "outputs.json"
OUTPUTS_LOCK = "outputs.lock"  # held by a run while it merges its entries into the file


class MissingBytes(Exception):
    """The store lacks a result's bytes (a scratch result, or a pruned store)."""


class OutsideProject(SeamlessflowError):
    """A folder on the way to an output is a link that leads out of the project folder."""


def load_outputs_record(state_dir: Path) -> dict[str, dict]:
    """Read at the start of every run: orjson (a no-op run of 5,000 instances spent
    more on the stdlib json than on its cache lookups)."""
    try:
        record = orjson.loads((state_dir / OUTPUTS_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return record if isinstance(record, dict) else {}


def _lmode(path: Path) -> int:
    """The mode of what stands at `path` itself (a link is not followed); 0 for nothing."""
    try:
        return os.lstat(path).st_mode
    except OSError:
        return 0


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if missing) for the block: two runs saving
    their outputs record at once take turns."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class OutputWriter:
    def __init__(self, root: Path, state_dir: Path, store: BufferStore, statcache: StatCache,
                 warn, no_download: bool = False, db: ResultDatabase | None = None):
        """`db`, when given, tells bytes a step produced from a user's edit (see
        `_save_previous`)."""
        self.root = root
        self.db = db
        self._root = os.path.abspath(root)
        self.state_dir = state_dir
        self.store = store
        self.statcache = statcache
        self.warn = warn
        self.no_download = no_download
        self.record = load_outputs_record(state_dir)
        self._written: list[tuple[str, bool]] = []  # project files written by this run
        self._real_root = os.path.realpath(root)
        self._inside: set[str] = set()  # folders known to lead to a place in the project
        self._changed: set[str] = set()  # project paths whose entry this run set

    def is_current(self, project_path: str, checksum: str, is_dir: bool) -> bool:
        """Whether the project already holds exactly these bytes at that path."""
        if self.no_download:
            side = sidecar_path(self.root / project_path)
            return side.is_file() and side.read_text().strip() == checksum
        # root and project path are both normalized already: no abspath per output
        return self._checksum_at(self._root + "/" + project_path, is_dir) == checksum

    def write(self, project_path: str, checksum: str, is_dir: bool,
              transformation: str, instance: str) -> None:
        """Make the project path hold the result; raises MissingBytes if the store lacks them."""
        if not self.is_current(project_path, checksum, is_dir):
            self._check_inside(project_path)
            dest = self.root / project_path
            if self.no_download:
                self._write_sidecar(dest, checksum, is_dir)
            else:
                self._save_previous(project_path, dest, is_dir, checksum)
                dest.parent.mkdir(parents=True, exist_ok=True)
                if is_dir:
                    try:
                        write_tree(self.store, checksum, dest)
                    except Exception as exc:
                        raise MissingBytes(str(exc)) from None
                else:
                    self._write_file(checksum, dest)
                self._written.append((str(dest), is_dir))
        entry = {"checksum": checksum, "transformation": transformation, "instance": instance,
                 "is_dir": is_dir}
        if self.record.get(project_path) != entry:
            self.record[project_path] = entry
            self._changed.add(project_path)

    def recorded_checksums(self, keys: list[tuple[str, str, bool]]) -> dict[str, str] | None:
        """What this project recorded writing at each (result key, project path, is_dir)
        of `keys`, by key; None if it lacks one. A caller that proves it against the
        result checksum needs no read of the store for a cached instance (the checksum
        proves the mapping, whoever edited the record)."""
        result = {}
        for key, path, _ in keys:
            entry = self.record.get(path)
            if not isinstance(entry, dict) or not isinstance(entry.get("checksum"), str):
                return None
            result[key] = entry["checksum"]
        return result

    def adopt_local(self, project_path: str, checksum: str, is_dir: bool) -> bool:
        """Put the project's copy of a result back into the store, if it still matches."""
        dest = self.root / project_path
        if self._local_checksum(dest, is_dir) != checksum:
            return False
        stored = put_tree(self.store, dest)[0] if is_dir else self.store.put_file(dest)
        return stored == checksum

    def save(self) -> None:
        """At the end of a run. What this run wrote is read back into the stat cache
        first: read a moment after it was written, its entry is trusted (not racy), so the
        next run need not read it again (git updates its index after a checkout likewise).
        Reading the file, not assuming what was written, keeps an edit made since."""
        for dest, is_dir in self._written:
            try:
                self._local_checksum(dest, is_dir)
            except OSError:
                pass  # gone or unreadable: the next run looks again
        self._written = []
        if not self._changed:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with _locked(self.state_dir / OUTPUTS_LOCK):
            # another run in this folder may have saved its own entries since this one
            # read the record: keep them, and this run's for the paths it wrote
            record = load_outputs_record(self.state_dir)
            record.update((path, self.record[path]) for path in self._changed)
            atomic_write_bytes(self.state_dir / OUTPUTS_FILE, orjson.dumps(
                record, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        self.record = record
        self._changed = set()

    def _local_checksum(self, dest: str | Path, is_dir: bool) -> str | None:
        return self._checksum_at(os.path.abspath(dest), is_dir)

    def _checksum_at(self, dest: str, is_dir: bool) -> str | None:
        """`dest` is absolute and normalized. One stat per file: a no-op run asks this
        of every output."""
        try:
            st = os.stat(dest)
        except OSError:
            return None
        if is_dir:
            if not stat.S_ISDIR(st.st_mode):
                return None
            return deep_checksum(deep_index(Path(dest), hasher=self.statcache.checksum))
        if not stat.S_ISREG(st.st_mode):
            return None
        return self.statcache.checksum_stat(dest, st)

    def _check_inside(self, project_path: str) -> None:
        """Paths never escape the project folder, also not through a link: a folder on
        the way to `project_path` that is a symbolic link to a place outside the project
        is an error (one to a place inside it is followed). Asked once per folder."""
        folder = project_path.rpartition("/")[0]
        if not folder or folder in self._inside:
            return
        real = os.path.realpath(os.path.join(self._root, folder))
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise OutsideProject(
                f"{project_path} would be written outside the project folder: {folder} "
                f"leads to {real}; make {folder} a folder of the project, or a link to one")
        self._inside.add(folder)

    def _save_previous(self, project_path: str, dest: Path, is_dir: bool, checksum: str
                       ) -> None:
        """Whatever stands where an output goes is about to be replaced by `checksum`. A
        file or a folder is put into the buffer store first, and named in a warning
        unless seamlessflow made it; a symbolic link (its target is not touched) or a
        special file is named in a warning."""
        try:
            st = os.lstat(dest)
        except (FileNotFoundError, NotADirectoryError):
            return
        mode = st.st_mode
        if stat.S_ISLNK(mode):
            self.warn(f"{project_path} was a symbolic link to {os.readlink(dest)}; it is "
                      "replaced by the output (what it pointed to is left as it is)")
            return
        if stat.S_ISDIR(mode):
            current = put_tree(self.store, dest, hasher=self.statcache.checksum)[0]
        elif stat.S_ISREG(mode):
            current = self.statcache.checksum_stat(os.path.abspath(dest), st)
            if not self.store.has([current])[0]:
                current = self.store.put_file(dest)
        else:
            self.warn(f"{project_path} was a special file (not a file, folder or link); "
                      "it is replaced by the output")
            return
        if self._made_by_seamlessflow(project_path, current, checksum):
            return
        was_dir = stat.S_ISDIR(mode)
        if was_dir == is_dir:
            what = f"{project_path} was changed since seamlessflow wrote it"
        else:
            found, wanted = ("a folder", "a file") if was_dir else ("a file", "a folder")
            what = f"{project_path} is {found} where the output is {wanted}"
        self.warn(f"{what}; it is replaced, and its content is kept in the buffer store as "
                  f"{current} ({recovery_hint(current, was_dir)})")

    def _made_by_seamlessflow(self, project_path: str, current: str, checksum: str) -> bool:
        """Whether the bytes `current` at `project_path` are seamlessflow's, not a user's
        edit: what this run found recorded there, the very bytes about to be written,
        what another run in this folder recorded there since this one read the record,
        or bytes a step is recorded to have produced (another run may be writing them)."""
        if current in (checksum, self.record.get(project_path, {}).get("checksum")):
            return True
        if load_outputs_record(self.state_dir).get(project_path, {}).get("checksum") == current:
            return True
        return self.db is not None and bool(self.db.transformations_for(current))

    def _write_file(self, checksum: str, dest: Path) -> None:
        """A file output; a folder standing at `dest` (its content saved already) is
        swapped out once the file is complete beside it."""
        if not stat.S_ISDIR(_lmode(dest)):
            if not self.store.write_to(checksum, dest):
                raise MissingBytes(f"the buffer store lacks {checksum}")
            return
        beside = Path(temp_name(dest.parent))
        try:
            if not self.store.write_to(checksum, beside):
                raise MissingBytes(f"the buffer store lacks {checksum}")
            swap_into_place(beside, dest)
        finally:
            beside.unlink(missing_ok=True)

    def _write_sidecar(self, dest: Path, checksum: str, is_dir: bool) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_sidecar(dest, checksum)
        if is_dir:
            index = self.store.get(checksum)
            if index is None:
                raise MissingBytes(f"the buffer store lacks the index {checksum}")
            write_index(dest, json.loads(index))
