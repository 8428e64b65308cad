"""Atomic file writes: a temporary file beside the target, then one rename.

Killing seamlessflow at any moment must leave either the old file or the new one,
never half of either; every writer in the storage layer goes through here.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import CHUNK
from seamlessflow.storage.leftovers import sweep, temp_name


def _current_umask() -> int:
    # Read once at import (single-threaded then): os.umask can only be read by setting it.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


def os_error(exc: OSError, path: Path | str, action: str) -> StoreError:
    """A user-facing error for a failed write or read, naming the path and the cause."""
    if exc.errno == errno.ENOSPC:
        reason = "no space left on device"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "permission denied"
    elif exc.errno == errno.ENOENT:
        reason = "no such file or directory"
    else:
        reason = exc.strerror or str(exc)
    return StoreError(f"cannot {action} {path}: {reason}")


@contextmanager
def temp_in(folder: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """Yield (open temp file, its path) in `folder`, the folder of the final target, so
    the rename stays on one file system. The caller renames it into place inside the
    block; if anything in the block fails, the temp file is removed. The folder is
    created if missing; the first time this process writes there, what killed
    processes left there is removed (storage/leftovers.py)."""
    sweep(folder)
    try:
        fd, name = _create_temp(folder)
    except FileNotFoundError:
        Path(folder).mkdir(parents=True, exist_ok=True)
        fd, name = _create_temp(folder)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f, tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_temp(folder: Path | str) -> tuple[int, str]:
    """A new private file with a random name (tempfile.mkstemp's contract, for less)."""
    for _ in range(100):
        name = temp_name(folder)
        try:
            return os.open(name, _TEMP_FLAGS, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def temp_dir_in(folder: Path) -> Path:
    """A new private folder in `folder` (created if missing), named and swept as
    `temp_in` names and sweeps its files."""
    sweep(folder)
    Path(folder).mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        name = temp_name(folder)
        try:
            os.mkdir(name, 0o700)
            return Path(name)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def atomic_write_bytes(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    path = Path(path)
    try:
        with temp_in(path.parent) as (f, tmp):
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.replace(tmp, path)
    except OSError as exc:
        raise os_error(exc, path, "write") from None


def replaceable(path: Path) -> bool:
    """Whether a file the user named is written by atomic replacement: a regular file or
    a new path. Anything else standing there (a FIFO, a device, a symlink such as
    /dev/stdout) is written through, in place: replacing it would turn `--report
    /dev/stdout` into a regular file and a pipe into nothing."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return True


@contextmanager
def output_file(path: Path) -> Iterator[BinaryIO]:
    """Open a file the user named for writing (`--report FILE`, `-o FILE`): a regular
    file or a new path is replaced atomically when the block ends, with the umask's
    permissions; a FIFO, device or symlink is written through (see `replaceable`).
    OSError is the caller's to report (`os_error`)."""
    path = Path(path)
    if not replaceable(path):
        with open(path, "wb") as f:
            yield f
        return
    with temp_in(path.parent) as (f, tmp):
        yield f
        f.flush()
        os.fchmod(f.fileno(), FILE_MODE)
        os.replace(tmp, path)


def copy_hashing(src: BinaryIO, dst: BinaryIO) -> tuple[str, int]:
    """Copy a stream in fixed chunks, hashing on the way: one read of the source gives
    both the stored bytes and the proof of what they are. Returns (checksum, length).
    A small regular file is read in one go: the chunk buffer alone would cost more than
    the file."""
    h = hashlib.sha256()
    if small_regular_file(src):
        data = src.read()
        h.update(data)
        dst.write(data)
        return h.hexdigest(), len(data)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    total = 0
    while True:
        n = src.readinto(buf)
        if not n:
            break
        h.update(view[:n])
        dst.write(view[:n])
        total += n
    return h.hexdigest(), total


def small_regular_file(stream: BinaryIO) -> bool:
    """Whether the stream is a regular file below one chunk: cheaper read in one go."""
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False  # not a file (a network stream, say)
    return stat.S_ISREG(st.st_mode) and st.st_size < CHUNK
