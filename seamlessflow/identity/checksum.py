"""Checksums of bytes, files and JSON-like values, as Seamless computes them.

A checksum is the SHA-256 of a buffer as 64 lowercase hex characters. Values are
turned into buffers by the *plain* serialization (orjson, sorted keys, two-space
indent, UTF-8, one trailing newline), which gives Seamless's bytes by construction.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from seamlessflow.errors import SeamlessflowError

CHUNK = 1 << 20  # 1 MiB reads: close to hashlib's throughput, flat memory
SMALL = 1 << 16  # files up to this size are hashed from a single read
_HEX = "0123456789abcdef"


def is_checksum(text: str) -> bool:
    """64 lowercase hex digits. (str.strip, not a regex: a no-op run asks this of every
    stat cache entry it trusts.)"""
    return len(text) == 64 and not text.strip(_HEX)


def checksum_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checksum_file(path: str | Path) -> str:
    fd = os.open(path, os.O_RDONLY)
    try:
        return checksum_fd(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def checksum_fd(fd: int, size: int) -> str:
    """The checksum of an open file, read from its start; `size` is what fstat said.
    A file of the expected small size is read with one system call: a run hashes
    thousands of small inputs, and building a file object for each cost more than
    the read and the hash."""
    if size <= SMALL:
        data = os.read(fd, SMALL + 1)
        if len(data) == size:
            return checksum_bytes(data)
        os.lseek(fd, 0, os.SEEK_SET)  # the file changed size, or a short read: stream it
    with open(fd, "rb", buffering=0, closefd=False) as f:
        return checksum_stream(f)


def checksum_stream(f: BinaryIO) -> str:
    """Stream an open file through SHA-256 in large chunks; memory does not grow with
    size. A small file is read in one go: allocating the 1 MiB buffer cost more than
    hashing the few bytes of a typical input."""
    head = f.read(SMALL + 1)
    h = hashlib.sha256(head)
    if len(head) <= SMALL:
        return h.hexdigest()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        n = f.readinto(buf)
        if not n:
            break
        h.update(view[:n])
    return h.hexdigest()


def plain_serialize(value: Any) -> bytes:
    """Seamless's plain serialization of a JSON-like value."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise SeamlessflowError(f"cannot serialize value as plain JSON: {exc}") from None


def checksum_value(value: Any) -> str:
    return checksum_bytes(plain_serialize(value))
