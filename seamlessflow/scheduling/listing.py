"""What the project folder holds at the paths a run reads, in as few system calls as possible.

Of every project input a run asks whether it is there (as a file or a folder), whether a
`.FUTURE` or a `.CHECKSUM` lies beside it, and its stat for the stat cache. One path at a
time that is four or five system calls per input, most of them failed lookups of names
that are not there. A folder holding many of the inputs is instead read once with
scandir, which answers existence and kind from the directory itself and keeps the stat
of each entry it is asked about. A folder holding few inputs is not listed: it may be huge.

A listing is a snapshot, taken when a folder is first asked about; a run takes a new one.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable

LIST_FROM = 16  # inputs in one folder from which that folder is read whole


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

    def full(self, path: str) -> str:
        return self.root + "/" + path

    def stat(self, path: str) -> os.stat_result | None:
        """Following symbolic links, as opening the path would."""
        entry = self._entry(path)
        try:
            if isinstance(entry, _Unlisted):
                return os.stat(self.full(path))
            return None if entry is None else entry.stat()
        except OSError:
            return None

    def probe(self, path: str, *suffixes: str) -> tuple[os.stat_result | None, list[bool]]:
        """The stat of `path` and whether each of `path + suffix` exists: what an input's
        checksum needs, in one look at the listing."""
        folder, _, name = path.rpartition("/")
        if folder not in self._worth_listing:
            return self.stat(path), [os.path.exists(self.full(path + s)) for s in suffixes]
        listing = self._listing(folder)
        entry = listing.get(name)
        try:
            st = None if entry is None else entry.stat()
        except OSError:
            st = None
        return st, [name + s in listing for s in suffixes]

    def is_file(self, path: str) -> bool:
        entry = self._entry(path)
        if isinstance(entry, _Unlisted):
            return os.path.isfile(self.full(path))
        return entry is not None and _safely(entry.is_file)

    def is_dir(self, path: str) -> bool:
        entry = self._entry(path)
        if isinstance(entry, _Unlisted):
            return os.path.isdir(self.full(path))
        return entry is not None and _safely(entry.is_dir)

    def _entry(self, path: str) -> os.DirEntry | None | _Unlisted:
        folder, _, name = path.rpartition("/")
        if folder not in self._worth_listing:
            return UNLISTED
        return self._listing(folder).get(name)

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


def _safely(question) -> bool:
    try:
        return question()
    except OSError:
        return False
