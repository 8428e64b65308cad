"""Several stores and databases seen as one, for a run whose stages live in different places.

A run with a cluster stage and local stages has two homes: the local cache (this
machine's buffer folder and SQLite file) and the cluster's hashserver and database. A
result is a cache hit wherever it was recorded, so lookups read through every layer,
nearest first; bytes are read from whichever layer holds them. Writes go to the first
layer (the local cache); what a step computes is recorded in its own stage's home by
the scheduler, and `make_available` copies the bytes a consumer needs into its home.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeVar

from seamlessflow.errors import StoreError
from seamlessflow.storage.interfaces import BufferStore, ResultDatabase
from seamlessflow.storage.trees import load_index

T = TypeVar("T")

COPY_IN_MEMORY = 1 << 20  # a buffer up to this size is copied through memory, bigger ones via a file


class Home(NamedTuple):
    """Where a stage's steps find their inputs' bytes and record their results."""

    store: BufferStore
    db: ResultDatabase


class LayeredStore:
    """Reads through `layers` in order; writes to the first."""

    def __init__(self, layers: list[BufferStore]):
        self.layers = layers

    def __repr__(self) -> str:
        return f"LayeredStore({self.layers!r})"

    def has(self, checksums: Iterable[str]) -> list[bool]:
        return self._first_answers(checksums, lambda layer, asked: layer.has(asked))

    def lengths(self, checksums: Iterable[str]) -> list[int]:
        return self._first_answers(checksums, lambda layer, asked: layer.lengths(asked))

    def _first_answers(self, checksums: Iterable[str],
                       ask: Callable[[BufferStore, list[str]], list[T]]) -> list[T]:
        """Per checksum, the answer of the first layer that has it (a falsy answer, False
        or length 0, means it does not); each layer is asked only about what the layers
        before it lack, in one batch."""
        wanted = list(checksums)
        answers: list = [None] * len(wanted)
        for layer in self.layers:
            missing = [i for i, answer in enumerate(answers) if not answer]
            if not missing:
                break
            for i, answer in zip(missing, ask(layer, [wanted[i] for i in missing]), strict=True):
                answers[i] = answer
        return answers

    def get(self, checksum: str) -> bytes | None:
        for layer in self.layers:
            data = layer.get(checksum)
            if data is not None:
                return data
        return None

    def open(self, checksum: str) -> BinaryIO | None:
        for layer in self.layers:
            stream = layer.open(checksum)
            if stream is not None:
                return stream
        return None

    def write_to(self, checksum: str, dest: Path) -> bool:
        return any(layer.write_to(checksum, dest) for layer in self.layers)

    def put(self, data: bytes) -> str:
        return self.layers[0].put(data)

    def put_file(self, path: Path, checksum: str | None = None, hardlink: bool = False) -> str:
        return self.layers[0].put_file(path, checksum, hardlink)

    def discard(self, checksum: str) -> None:
        """Scratch bytes leave every layer that can drop them (the local folder)."""
        for layer in self.layers:
            discard = getattr(layer, "discard", None)
            if discard is not None:
                discard(checksum)


class LayeredDatabase:
    """Looks results up in every layer, nearest first; records in the first. A run
    records what a step computed in that step's own home (Home.db), not here."""

    def __init__(self, layers: list[ResultDatabase]):
        self.layers = layers

    def __repr__(self) -> str:
        return f"LayeredDatabase({self.layers!r})"

    def get_results(self, transformations: Iterable[str]) -> dict[str, str]:
        wanted = list(transformations)
        known: dict[str, str] = {}
        for layer in self.layers:
            missing = [t for t in wanted if t not in known]
            if not missing:
                break
            known.update(layer.get_results(missing))
        return known

    def set_result(self, transformation: str, result: str, captures: dict[str, str] | None = None,
                   record: dict | None = None, overwrite: bool = False) -> None:
        self.layers[0].set_result(transformation, result, captures, record, overwrite)

    def transformations_for(self, checksum: str) -> list[str]:
        found = [t for layer in self.layers for t in layer.transformations_for(checksum)]
        return list(dict.fromkeys(found))

    def get_record(self, transformation: str) -> dict | None:
        for layer in self.layers:
            record = layer.get_record(transformation)
            if record is not None:
                return record
        return None

    def forget(self, transformation: str) -> None:
        """From every layer that records it: a layer that does not (perhaps a cluster's
        database this account may only read) is not written to."""
        for layer in self.layers:
            if layer.get_results([transformation]):
                layer.forget(transformation)


def sharing(home: Home, other: Home) -> Home:
    """`home`, with the store or database it shares with `other` (the same folder or
    URL: a cluster without a hashserver keeps the local folder) taken from `other`, so
    that the run holds one object per place. Stores and databases name their place in
    their repr."""
    return Home(*(theirs if repr(mine) == repr(theirs) else mine
                  for mine, theirs in zip(home, other, strict=True)))


def layered(homes: list[Home]) -> Home:
    """One view of several homes, the first written to; a place shared by several is
    read once (see `sharing`)."""
    stores = list({id(h.store): h.store for h in homes}.values())
    dbs = list({id(h.db): h.db for h in homes}.values())
    return Home(stores[0] if len(stores) == 1 else LayeredStore(stores),
                dbs[0] if len(dbs) == 1 else LayeredDatabase(dbs))


def make_available(source: BufferStore, target: BufferStore, checksum: str,
                   is_dir: bool) -> bool:
    """Copy the buffer (for a directory: its index and every file) from `source` into
    `target` where `target` lacks it: an upload to a cluster's hashserver, or a download
    into the local folder. Only what is missing is copied. False when `source` lacks
    something too."""
    wanted = [checksum]
    if is_dir:
        if not target.has([checksum])[0] and not _copy(source, target, checksum):
            return False
        try:
            wanted = list(dict.fromkeys(load_index(target, checksum).values()))
        except StoreError:  # an unreadable index is a missing one
            return False
    present = target.has(wanted)
    return all(_copy(source, target, cs) for cs, ok in zip(wanted, present, strict=True)
               if not ok)


def _copy(source: BufferStore, target: BufferStore, checksum: str) -> bool:
    size = source.lengths([checksum])[0]
    if size <= COPY_IN_MEMORY:
        data = source.get(checksum)
        if data is None:
            return False
        target.put(data)
        return True
    import tempfile  # only for a big buffer: a run that copies none does not import it

    with tempfile.TemporaryDirectory(prefix="seamlessflow-copy-") as folder:
        path = Path(folder) / checksum
        if not source.write_to(checksum, path):
            return False
        target.put_file(path, checksum)
    return True
