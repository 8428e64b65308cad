"""What the project folder holds at the paths a run reads, in as few system calls as possible.

Of every project input a run asks whether it is there (as a file or a folder), whether a
`.FUTURE` or a `.CHECKSUM` lies beside it, and, for a file the stat cache knows, its stat.
One path at a time that is four or five system calls per input, most of them failed
lookups of names that are not there. A folder holding many of the inputs is instead read
once with scandir, which answers existence and kind from the directory itself (no stat
at all for a file seen for the first time) and keeps the stat of each entry it is asked
about. A folder holding few inputs is not listed: it may be huge.

A listing is a snapshot, taken when a folder is first asked about; a run takes a new one.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from stat import S_ISDIR, S_ISREG

LIST_FROM = 16  # inputs in one folder from which that folder is read whole
FILE, DIR = "file", "dir"  # the kinds of path `probe` tells apart


class _Unlisted:
    """The folder is not listed: ask the file system about the path itself."""


UNLISTED = _Unlisted()


class ProjectListing:
    def __init__(self, root: str, paths: Iterable[str] = ()):
        """`root` is the absolute project folder; `paths` (relative, '/'-separated) are
        the inputs the run will ask about, which decide the folders worth listing."""
        self.root = root
        counts = Counter(path.rpartition("/")[0] for path in paths)
        self._worth_listing = {folder for folder, n in counts.items() if n >= LIST_FROM}
        self._listings: dict[str, dict[str, os.DirEntry]] = {}
        self._stats: dict[str, os.stat_result] = {}
        self._probes: dict[tuple[str, tuple[str, ...]], tuple[str | None, list[bool]]] = {}

    def full(self, path: str) -> str:
        return self.root + "/" + path

    def stat(self, path: str) -> os.stat_result | None:
        """Following symbolic links, as opening the path would."""
        entry = self._entry(path)
        try:
            if isinstance(entry, _Unlisted):
                return self._stat_unlisted(path)
            return None if entry is None else entry.stat()
        except OSError:
            return None

    def kind(self, path: str) -> str | None:
        """FILE, DIR, or None (absent, or neither): from the directory entry when the
        folder is listed, without a stat for anything but a symbolic link."""
        return self._kind(path, self._entry(path))

    def probe(self, path: str, *suffixes: str) -> tuple[str | None, list[bool]]:
        """The kind of `path` and whether each `path + suffix` exists: what an input's
        checksum needs, in one look at the listing, remembered for the snapshot (the
        presence check before a run and the checksum both ask). Its stat is left to the
        caller (`stat`): a file the stat cache has never seen needs none."""
        key = (path, suffixes)
        probed = self._probes.get(key)
        if probed is None:
            probed = self._probes[key] = self._probe(path, suffixes)
        return probed

    def _probe(self, path: str, suffixes: tuple[str, ...]) -> tuple[str | None, list[bool]]:
        folder, _, name = path.rpartition("/")
        if folder in self._worth_listing:
            listing = self._listing(folder)
            return self._kind(path, listing.get(name)), [name + s in listing for s in suffixes]
        flags = [os.path.exists(self.full(path + s)) for s in suffixes]
        return self._kind(path, UNLISTED), flags

    def _kind(self, path: str, entry: os.DirEntry | None | _Unlisted) -> str | None:
        try:
            if isinstance(entry, _Unlisted):
                mode = self._stat_unlisted(path).st_mode
                return FILE if S_ISREG(mode) else DIR if S_ISDIR(mode) else None
            if entry is None:
                return None
            return FILE if entry.is_file() else DIR if entry.is_dir() else None
        except OSError:
            return None

    def _entry(self, path: str) -> os.DirEntry | None | _Unlisted:
        folder, _, name = path.rpartition("/")
        if folder not in self._worth_listing:
            return UNLISTED
        return self._listing(folder).get(name)

    def _stat_unlisted(self, path: str) -> os.stat_result:
        """A path outside the listed folders is stat'ed once per snapshot, like a
        listed one: the presence check before the run and the checksum share it."""
        st = self._stats.get(path)
        if st is None:
            st = self._stats[path] = os.stat(self.full(path))
        return st

    def _listing(self, folder: str) -> dict[str, os.DirEntry]:
        listing = self._listings.get(folder)
        if listing is None:
            listing = self._listings[folder] = _scan(self.full(folder) if folder else self.root)
        return listing


def _scan(folder: str) -> dict[str, os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return {entry.name: entry for entry in entries}
    except OSError:
        return {}

