"""Storing the small buffers of one piece of work together: a step's captures and its
result mapping, one hashserver request instead of one each.

A PutBatch stands in for the store while the buffers are made: small ones are hashed
and held back, and `flush` stores them all at once, through the store's `put_many`.
Nothing that uses their checksums may rely on them before `flush` returns; a step's
result is recorded only after its outcome comes back, well after. A store without
`put_many` (a local folder, where a buffer costs no round trip) is used as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import checksum_bytes
from seamlessflow.storage.atomic import os_error
from seamlessflow.storage.interfaces import BufferStore

HELD_MAX = 1 << 16  # a buffer below this size is held back; larger ones are stored at once
FLUSH_BYTES = 4 << 20  # held back bytes are sent once they reach this (a big folder capture)


class PutBatch:
    def __init__(self, store: BufferStore):
        self.store = store
        self._held: list[bytes] = []
        self._held_bytes = 0

    def put(self, data: bytes) -> str:
        if len(data) >= HELD_MAX:
            return self.store.put(data)
        self._held.append(data)
        self._held_bytes += len(data)
        if self._held_bytes >= FLUSH_BYTES:
            self.flush()
        return checksum_bytes(data)

    def put_file(self, path: Path, checksum: str | None = None, hardlink: bool = False) -> str:
        try:
            small = Path(path).stat().st_size < HELD_MAX
            data = Path(path).read_bytes() if small else None
        except OSError as exc:
            raise os_error(exc, Path(path), "store") from None
        if data is None:
            return self.store.put_file(path, checksum, hardlink)
        held = self.put(data)
        if checksum is not None and held != checksum:
            raise StoreError(f"{path} changed while it was being stored: expected "
                             f"{checksum}, read {held}")
        return held

    def flush(self) -> None:
        held, self._held, self._held_bytes = self._held, [], 0
        if held:
            self.store.put_many(held)  # type: ignore[attr-defined]


@contextmanager
def puts_together(store: BufferStore) -> Iterator[BufferStore]:
    """The store to put the buffers of one piece of work into; they are all stored when
    the block ends without an error (after an error, what was held back is dropped)."""
    if not hasattr(store, "put_many"):
        yield store
        return
    batch = PutBatch(store)
    yield batch  # type: ignore[misc]
    batch.flush()
