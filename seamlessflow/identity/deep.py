"""Deep checksums of directories, with Seamless's rules.

A directory is identified by a flat index {relative path: file checksum}; its deep
checksum is the checksum of that index's plain serialization. Keys are sorted by the
serialization, so the order in which the walk meets files does not matter.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import checksum_file, checksum_value, is_checksum
from seamlessflow.storage.atomic import os_error
from seamlessflow.storage.leftovers import is_temp_name

Hasher = Callable[[str | Path], str]  # given a path, the checksum of its bytes


def deep_index(directory: Path, hasher: Hasher = checksum_file) -> dict[str, str]:
    """Walk like `os.walk`: symlinked directories are listed but not entered (so they
    contribute nothing), a symlink to a file counts as that file, and dangling links,
    sockets and other non-regular files are skipped, as Seamless skips them. So are
    seamlessflow's temporary files and folders (storage/leftovers.py): a write in
    progress, or one a killed process left, is no part of what a folder holds.

    A folder or file that cannot be read is a StoreError naming it: skipping it would
    give the directory a checksum without it, and a user who trusts that checksum (an
    upload, a step's input) would lose what was left out."""
    directory = Path(directory)
    index: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(directory, onerror=_refuse_folder):
        base = Path(dirpath)
        rel_dir = base.relative_to(directory).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = [name for name in dirnames if not is_temp_name(name)]
        for name in filenames:
            if is_temp_name(name):
                continue
            path = base / name
            if path.is_file():  # follows a file symlink; False for dangling links/fifos
                try:
                    index[prefix + name] = hasher(path)
                except OSError as exc:
                    raise _unreadable(exc, path, "file") from None
    return index


def _refuse_folder(exc: OSError) -> None:
    raise _unreadable(exc, exc.filename, "folder")


def _unreadable(exc: OSError, path: str | Path, what: str) -> StoreError:
    return StoreError(f"{os_error(exc, path, 'read ' + what)}; make it readable, or move "
                      "it out of the folder")


def deep_checksum(index: dict[str, str]) -> str:
    return checksum_value(index)


def validate_index(index: object) -> None:
    """Refuse an index whose paths could escape the folder it is written into: it may
    come from a store or a server, not from us."""
    if not isinstance(index, dict):
        raise StoreError("a deep index must be a JSON object of path -> checksum")
    for key, value in index.items():
        if not isinstance(key, str) or not _is_safe_relative(key):
            raise StoreError(f"unsafe path in deep index: {key!r}")
        if not isinstance(value, str) or not is_checksum(value):
            raise StoreError(f"deep index entry {key!r} is not a checksum: {value!r}")


def _is_safe_relative(key: str) -> bool:
    if not key or key.startswith("/") or "\\" in key or "\0" in key:
        return False
    if len(key) >= 2 and key[1] == ":":  # a Windows drive, absolute there
        return False
    return all(part not in ("", ".", "..") for part in key.split("/"))


def path_checksum(path: Path, hasher: Hasher = checksum_file) -> str:
    """A file's checksum, or a directory's deep checksum: what `checksum PATH` prints."""
    path = Path(path)
    if path.is_dir():
        return deep_checksum(deep_index(path, hasher=hasher))
    return hasher(path)
