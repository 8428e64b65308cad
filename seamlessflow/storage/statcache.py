"""Remembered checksums of project files, keyed on what `stat` says (git's index idea).

A no-op run must not re-read its inputs: an unchanged (size, mtime_ns, inode,
ctime_ns) gives back the recorded checksum. An entry recorded within the file
system's timestamp granularity of the file's mtime is "racy" (an edit in the same
tick would leave the stat unchanged) and is re-verified by hashing, as git does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from seamlessflow.identity.checksum import checksum_fd, is_checksum
from seamlessflow.storage.atomic import atomic_write_bytes

FILENAME = "statcache.json"
FORMAT = 1
# Coarse file systems (FAT: 2 s, some network mounts: 1 s) round mtimes to whole
# seconds; 2 s covers them all. An mtime with a fraction of a second comes from a file
# system that keeps fine timestamps, taken from a clock that ticks every 1-10 ms on
# Linux: 100 ms covers that tick with a wide margin, so that a file is trusted a moment
# after it was written instead of two seconds later.
GRANULARITY_NS = 2_000_000_000
FINE_GRANULARITY_NS = 100_000_000

# entry: [size, mtime_ns, inode, ctime_ns, checksum, recorded_ns]
Entry = list
# (open file descriptor, its size) -> checksum of its bytes from the start
FdHasher = Callable[[int, int], str]


def signature(st: os.stat_result) -> tuple[int, int, int, int]:
    """What must stay the same for a file to count as unchanged."""
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def racy(time_ns: int, recorded_ns: int) -> bool:
    """Whether a change at `time_ns` (a file's mtime) might have gone unseen by a record
    taken at `recorded_ns`: within the file system's timestamp granularity of it."""
    fine = time_ns % 1_000_000_000 != 0  # a whole-second time may have been rounded
    return time_ns >= recorded_ns - (FINE_GRANULARITY_NS if fine else GRANULARITY_NS)


class StatCache:
    def __init__(self, file: Path | None, entries: dict[str, Entry] | None = None,
                 hasher: FdHasher = checksum_fd):
        self.file = file
        self.entries: dict[str, Entry] = entries if entries is not None else {}
        self.hasher = hasher
        self.changed = False

    @classmethod
    def load(cls, state_dir: Path, hasher: FdHasher = checksum_fd) -> StatCache:
        """A missing or unreadable cache file is an empty cache: it only ever costs speed."""
        file = Path(state_dir) / FILENAME
        try:
            data = orjson.loads(file.read_bytes())
            entries = data["entries"] if data.get("format") == FORMAT else {}
            if not isinstance(entries, dict):
                entries = {}
        except (OSError, orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
            entries = {}
        return cls(file, entries, hasher)

    def checksum(self, path: str | os.PathLike) -> str:
        return self.checksum_stat(os.path.abspath(path))

    def knows(self, key: str) -> bool:
        """Whether `key` has an entry, which only a stat can confirm: a caller that
        would stat the file just for this cache can skip it for a file never seen."""
        return key in self.entries

    def checksum_stat(self, key: str, st: os.stat_result | None = None) -> str:
        """`key` is the file's absolute, normalized path (as `os.path.abspath` gives
        it); `st` its stat, when the caller has just taken it. A file without an entry
        is not stat'ed by path at all: the open file is."""
        entry = self.entries.get(key)
        if entry is not None and _trusted(entry, signature(st or os.stat(key))):
            return entry[4]
        entry = self._hash(key)
        self.entries[key] = entry
        self.changed = True
        return entry[4]

    def _hash(self, key: str) -> Entry:
        """A new entry for the file at `key`, from one open descriptor."""
        # Taken before the read, this time makes an edit during the read racy (see
        # _trusted): such an edit leaves the file with a stat other than the one
        # recorded here, or within the racy window of it, so no second fstat is needed.
        recorded = time.time_ns()
        fd = os.open(key, os.O_RDONLY)
        try:
            sig = signature(os.fstat(fd))
            checksum = self.hasher(fd, sig[0])
        finally:
            os.close(fd)
        return [*sig, checksum, recorded]

    def save(self) -> None:
        if not self.changed or self.file is None:
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.file, orjson.dumps({"format": FORMAT, "entries": self.entries}))
        self.changed = False


def _trusted(entry: Entry, sig: tuple[int, int, int, int]) -> bool:
    try:
        size, mtime_ns, inode, ctime_ns, checksum, recorded_ns = entry
    except (TypeError, ValueError):
        return False
    if (size, mtime_ns, inode, ctime_ns) != sig or not isinstance(checksum, str):
        return False
    return not racy(mtime_ns, recorded_ns) and is_checksum(checksum)
