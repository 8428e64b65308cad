"""Write the buffer of a checksum to FILE or to standard output. The bytes are verified
against the checksum before any of them is written; exit 1 if the store lacks them."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checksum", metavar="CHECKSUM", help="64 hex characters")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.errors import EXIT_OK
    from seamlessflow.session.stores import open_store

    checksum = parse_checksum(args.checksum)
    emit(open_store(), checksum, args.output)
    return EXIT_OK


def parse_checksum(text: str) -> str:
    from seamlessflow.errors import UsageError
    from seamlessflow.identity.checksum import is_checksum

    checksum = text.strip().lower()
    if not is_checksum(checksum):
        raise UsageError(f"not a checksum (64 hex characters): {text!r}")
    return checksum


def emit(store, checksum: str, output: str | None) -> None:
    """Write the verified buffer to `output` (a file) or standard output; StoreError if
    the store lacks it. Shared with `fingertip`, which first makes sure it is there.
    A regular file (or a new path) is replaced atomically; a FIFO, a device or a symlink
    such as /dev/stdout is written through (storage.atomic.output_file)."""
    from seamlessflow.errors import StoreError
    from seamlessflow.session.stores import describe_store
    from seamlessflow.storage.atomic import os_error, replaceable

    present = store.has([checksum])[0]
    try:
        if not present:
            written = False
        elif output is not None and replaceable(Path(output)):
            written = store.write_to(checksum, Path(output))
        else:
            written = _through(store, checksum, output)
    except OSError as exc:
        raise os_error(exc, output or "standard output", "write") from None
    if not written:
        why = "is corrupt in (and was removed from)" if present else "is not in"
        raise StoreError(f"buffer {checksum} {why} the buffer store {describe_store(store)}")


def _through(store, checksum: str, output: str | None) -> bool:
    """Verify first, then stream to standard output or through the FIFO, device or
    symlink at `output`: once bytes reach a pipe they cannot be taken back, so nothing
    is written before the whole buffer hashed correctly. A remote store is verified by
    fetching into a temporary file first."""
    if not hasattr(store, "verify"):
        with tempfile.TemporaryDirectory(prefix="seamlessflow-resolve-") as tmp:
            local = Path(tmp) / checksum
            if not store.write_to(checksum, local):
                return False
            with open(local, "rb") as stream:
                _copy(stream, output)
        return True
    if not store.verify(checksum):
        return False
    stream = store.open(checksum)
    if stream is None:
        return False
    with stream:
        _copy(stream, output)
    return True


def _copy(stream: BinaryIO, output: str | None) -> None:
    from seamlessflow.storage.atomic import output_file

    if output is None:
        shutil.copyfileobj(stream, sys.stdout.buffer, 1 << 20)
        sys.stdout.buffer.flush()
        return
    with output_file(Path(output)) as out:
        shutil.copyfileobj(stream, out, 1 << 20)
