"""The two storage interfaces everything else talks to.

A local folder and an HTTP hashserver are both a `BufferStore`; a local SQLite file
and an HTTP database service are both a `ResultDatabase`. Runners and the scheduler
see only these, which is what lets a transformation run wherever its buffers can be
fetched by checksum.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable


@runtime_checkable
class BufferStore(Protocol):
    """Content-addressed bytes. Checksums are 64 lowercase hex SHA-256 strings."""

    def has(self, checksums: Iterable[str]) -> list[bool]:
        """For each checksum, whether the store holds verified bytes for it."""
        ...

    def lengths(self, checksums: Iterable[str]) -> list[int]:
        """For each checksum, the buffer's length, 0 where absent."""
        ...

    def get(self, checksum: str) -> bytes | None:
        """The whole buffer (small buffers only), or None when absent or corrupt."""
        ...

    def open(self, checksum: str) -> BinaryIO | None:
        """A stream of the buffer's bytes, or None when absent. For large buffers."""
        ...

    def put(self, data: bytes) -> str:
        """Store bytes; return their checksum once they are stored (a result is recorded
        only after its buffers are put, so nothing recorded lacks its bytes). Idempotent."""
        ...

    def put_file(self, path: Path, checksum: str | None = None, hardlink: bool = False) -> str:
        """Store a file's bytes by streaming; return their checksum.

        When `checksum` is given it is what the caller believes the bytes hash to; the
        store still hashes what it actually reads and stores under *that* checksum, and
        raises StoreError if the two differ (the file changed under us).
        """
        ...

    def write_to(self, checksum: str, dest: Path) -> bool:
        """Write the buffer to `dest` atomically (temp file + rename, or a link where the
        store is a local folder and that is safe). False when absent."""
        ...


@runtime_checkable
class ResultDatabase(Protocol):
    """Transformation checksum -> result checksum, plus what `explain` and fingertip need."""

    def get_results(self, transformations: Iterable[str]) -> dict[str, str]:
        """Batched lookup: the known results among `transformations`."""
        ...

    def set_result(
        self,
        transformation: str,
        result: str,
        captures: dict[str, str] | None = None,
        record: dict | None = None,
        overwrite: bool = False,
    ) -> None:
        """Record a result, atomically. `captures` maps capture workspace path -> checksum;
        `record` is a small JSON-able execution record (when, how long, runner, job spec).
        Recording the result already recorded is harmless; a different one raises
        ResultConflict unless `overwrite` (a forced run, or a rerun replacing a result
        whose bytes are gone)."""
        ...

    def transformations_for(self, checksum: str) -> list[str]:
        """Transformations whose result checksum, or one of whose capture checksums, is
        `checksum` (newest first): the reverse index for fingertip and explain."""
        ...

    def get_record(self, transformation: str) -> dict | None:
        """The execution record stored with the transformation's result, if any."""
        ...

    def forget(self, transformation: str) -> None:
        """Drop a result with its captures and record (the database service's `forget`
        request); a forced run does not need it: it records with `overwrite`."""
        ...
