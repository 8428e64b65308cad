"""A buffer store in a local folder, in the hashserver's "prefix" layout.

The layout (`ROOT/CS[:2]/CS`, marker `ROOT/.HASHSERVER_PREFIX`) is Seamless's, so a
real hashserver can serve this folder and Seamless can share it. Every buffer is
hashed while it is written and renamed into place only under the checksum its bytes
actually have; readers re-hash in `get` and `write_to`, so a buffer damaged later (a
disk error, an in-place edit of a hard-linked source) is never served. `open` does not
verify (it hands out a stream for speed); `get` and `write_to` are the verified paths.
Every temporary file is made in the root, not in a prefix folder: the root is then the
one folder to clear of what a killed process left (storage/leftovers.py), however many
buffers the store holds.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import (
    checksum_bytes,
    checksum_file,
    checksum_stream,
    is_checksum,
)
from seamlessflow.storage.atomic import (
    FILE_MODE,
    atomic_write_bytes,
    copy_hashing,
    os_error,
    small_regular_file,
    temp_in,
)
from seamlessflow.storage.leftovers import sweep, temp_name

MARKER = ".HASHSERVER_PREFIX"
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


def _warn(message: str, *args: object) -> None:
    """Warnings are rare: logging is imported only when there is one (its import was
    7 ms of a no-op run)."""
    import logging

    logging.getLogger("seamlessflow.storage").warning(message, *args)


class LocalBufferStore:
    """Plain attributes only: worker processes receive it pickled and rebuild it."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._prefix = str(self.root) + os.sep  # paths as strings: no pathlib per buffer
        self._marked = False  # the marker was seen: no need to look again

    def __repr__(self) -> str:
        return f"LocalBufferStore({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalBufferStore) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    def path_of(self, checksum: str) -> Path:
        return Path(self._file(checksum))

    def _file(self, checksum: str) -> str:
        if not is_checksum(checksum):
            raise StoreError(f"not a checksum: {checksum!r}")
        return f"{self._prefix}{checksum[:2]}{os.sep}{checksum}"

    # ---- queries -------------------------------------------------------------

    def has(self, checksums: Iterable[str]) -> list[bool]:
        """Presence only: re-hashing here would make every cache lookup read every
        buffer. Corruption is caught when the bytes are read (`get`, `write_to`)."""
        return [os.path.isfile(self._file(cs)) for cs in checksums]

    def lengths(self, checksums: Iterable[str]) -> list[int]:
        result = []
        for cs in checksums:
            try:
                result.append(os.stat(self._file(cs)).st_size)
            except FileNotFoundError:
                result.append(0)
        return result

    # ---- reads ---------------------------------------------------------------

    def get(self, checksum: str) -> bytes | None:
        path = self._file(checksum)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise os_error(exc, path, "read buffer") from None
        if checksum_bytes(data) != checksum:
            self._drop_corrupt(checksum)
            return None
        return data

    def verify(self, checksum: str) -> bool:
        """Whether the buffer is present and hashes to its name (a corrupt one is
        dropped). Streams, so it suits buffers of any size."""
        path = self.path_of(checksum)
        try:
            actual = checksum_file(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise os_error(exc, path, "read buffer") from None
        if actual != checksum:
            self._drop_corrupt(checksum)
            return False
        return True

    def open(self, checksum: str) -> BinaryIO | None:
        """Unverified stream (see the module docstring)."""
        path = self._file(checksum)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise os_error(exc, path, "read buffer") from None

    def write_to(self, checksum: str, dest: Path) -> bool:
        """Always a copy, never a link: steps may run as root, which ignores the
        read-only bit, and a step writing into a linked input would corrupt the store.
        The copy is hashed on the way and renamed into place only if it matches."""
        dest = Path(dest)
        src = self.open(checksum)
        if src is None:
            return False
        try:
            with src, temp_in(dest.parent) as (out, tmp):
                got, _ = copy_hashing(src, out)
                if got != checksum:
                    raise _Corrupt
                out.flush()
                os.fchmod(out.fileno(), FILE_MODE)
                os.replace(tmp, dest)
        except _Corrupt:
            self._drop_corrupt(checksum)
            return False
        except OSError as exc:
            raise os_error(exc, dest, "write") from None
        return True

    def write_new(self, checksum: str, dest: Path) -> bool:
        """`write_to` for a path nobody else looks at yet (a fresh workspace): written in
        place, without a temporary file and a rename; a corrupt buffer leaves no file.
        Where something is already there, it is replaced as `write_to` would."""
        src = self.open(checksum)
        if src is None:
            return False
        try:
            with src:
                try:
                    out = open(dest, "xb")
                except FileExistsError:
                    return self.write_to(checksum, dest)
                with out:
                    got, _ = copy_hashing(src, out)
            if got != checksum:
                os.unlink(dest)
                self._drop_corrupt(checksum)
                return False
        except OSError as exc:
            raise os_error(exc, dest, "write") from None
        return True

    # ---- writes --------------------------------------------------------------

    def put(self, data: bytes) -> str:
        checksum = checksum_bytes(data)
        target = self._file(checksum)
        if not self._present(target, len(data)):
            self._ensure_marker()
            try:
                with temp_in(self.root) as (out, tmp):
                    out.write(data)
                    out.flush()
                    os.fchmod(out.fileno(), READ_ONLY)
                    _rename_into_prefix_folder(tmp, Path(target))
            except OSError as exc:
                raise StoreError(f"cannot store buffer {checksum}: "
                                 f"{os_error(exc, target, 'write')}") from None
        return checksum

    def put_file(self, path: Path, checksum: str | None = None, hardlink: bool = False) -> str:
        """Stream the file into the store (memory stays flat whatever its size).

        With `hardlink`, the file itself becomes the buffer (no copy, no extra disk)
        and is made read-only. The risk: if it is later edited in place, the buffer
        changes too; the verified reads then find it corrupt and drop it, so it is
        lost from the store but never served wrong."""
        path = Path(path)
        if hardlink:
            stored = self._link_file(path)
        else:
            stored = self._copy_file(path)
        if checksum is not None and stored != checksum:
            raise StoreError(
                f"{path} changed while it was being stored: expected {checksum}, read {stored}"
            )
        return stored

    def discard(self, checksum: str) -> None:
        """Remove a buffer (scratch results); absent is fine."""
        try:
            self.path_of(checksum).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise os_error(exc, self.path_of(checksum), "remove buffer") from None

    # ---- internals -----------------------------------------------------------

    def _copy_file(self, path: Path) -> str:
        """A small file is read whole and stored as `put` stores bytes; a big one streams
        through a temporary file, its name known only once it has been read."""
        try:
            with open(path, "rb") as src:
                if not small_regular_file(src):
                    return self._stream_in(src)
                data = src.read()
        except OSError as exc:
            raise os_error(exc, path, "store") from None
        return self.put(data)

    def _stream_in(self, src: BinaryIO) -> str:
        self._ensure_marker()
        with temp_in(self.root) as (out, tmp):
            checksum, length = copy_hashing(src, out)
            target = self.path_of(checksum)
            if not self._present(target, length):
                out.flush()
                os.fchmod(out.fileno(), READ_ONLY)
                _rename_into_prefix_folder(tmp, target)
            else:
                tmp.unlink()
        return checksum

    def _link_file(self, path: Path) -> str:
        try:
            with open(path, "rb") as f:
                before = os.fstat(f.fileno())
                checksum = checksum_stream(f)
            target = self.path_of(checksum)
            if self._present(target, before.st_size):
                return checksum
            self._ensure_marker()
            sweep(self.root)
            tmp = Path(temp_name(self.root))
            try:
                os.link(path, tmp)
            except OSError as exc:
                if exc.errno in (errno.EXDEV, errno.EPERM):  # another file system, or no links
                    _warn("warning: cannot hard-link %s into the store (%s); copying",
                                path, exc.strerror)
                    return self._copy_file(path)
                raise
            try:
                after = os.stat(tmp)
                if (after.st_ino, after.st_size, after.st_mtime_ns) != (
                    before.st_ino, before.st_size, before.st_mtime_ns):
                    raise StoreError(f"{path} changed while it was being stored")
                os.chmod(tmp, READ_ONLY)
                _rename_into_prefix_folder(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise os_error(exc, path, "store") from None
        return checksum

    @staticmethod
    def _present(target: str | Path, length: int) -> bool:
        """An existing buffer of the right length is kept: rewriting identical bytes
        costs I/O, and a damaged one is caught and dropped by the verified reads."""
        try:
            return os.stat(target).st_size == length
        except FileNotFoundError:
            return False

    def _ensure_marker(self) -> None:
        if self._marked:
            return
        marker = self.root / MARKER
        if not marker.exists():
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise os_error(exc, self.root, "create buffer store") from None
            atomic_write_bytes(marker, b"1\n")
        self._marked = True

    def _drop_corrupt(self, checksum: str) -> None:
        path = self.path_of(checksum)
        _warn(
            "warning: buffer %s in %s is corrupt (its bytes do not hash to its name); "
            "removed from the store", checksum, self.root)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            _warn("warning: cannot remove corrupt buffer %s: %s", path, exc.strerror)


def _rename_into_prefix_folder(src: Path, dst: Path) -> None:
    """A temporary file from the root to its name in a prefix folder, creating the
    folder the first time."""
    try:
        os.replace(src, dst)
    except FileNotFoundError:
        if not os.path.exists(src):
            raise
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)


class _Corrupt(Exception):
    """Internal signal: the bytes read did not hash to the requested checksum."""
