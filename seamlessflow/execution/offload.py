"""When file work is handed to a thread, and what a cancellation then means.

A short step's file work (a few small files in a local store) takes tens of
microseconds per file; handing it to a thread and back costs more than that, in
wake-ups and in the GIL passing between the event loop and the thread (measured: a
thousand `wc -c` steps ran 20 % faster with small work done on the loop). Big work (a
large or many-file input, a directory, a store or database behind the network) goes
to a thread, so that the event loop keeps serving the other jobs meanwhile.

A thread cannot be cancelled. Either the awaiting task lets go at once and someone
cleans up after the thread (`off_loop`), or the task waits for the thread to finish
before it lets the cancellation through (`to_completion`), for work that shared state
must see finished: the result database, the project's outputs record.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from seamlessflow.storage.local_store import LocalBufferStore
from seamlessflow.storage.sqlite_db import SqliteResultDatabase

T = TypeVar("T")

SMALL_FILES = 16
SMALL_BYTES = 1 << 20


def in_process(*backends: object) -> bool:
    """Whether every store and database here is a local file (no network round trip)."""
    return all(isinstance(b, (LocalBufferStore, SqliteResultDatabase)) for b in backends)


def small(sizes: Iterable[int]) -> bool:
    """Whether file work on files of these sizes is small enough for the event loop."""
    count = total = 0
    for size in sizes:
        count += 1
        total += size
        if count > SMALL_FILES or total > SMALL_BYTES:
            return False
    return True


def file_sizes(root: Path, paths: Iterable[tuple[str, bool]]) -> list[int]:
    """Sizes of (path, is_dir) under `root`; a directory or an unreadable path counts
    as big."""
    sizes = []
    for path, is_dir in paths:
        try:
            sizes.append(SMALL_BYTES + 1 if is_dir else os.stat(root / path).st_size)
        except OSError:
            sizes.append(SMALL_BYTES + 1)
    return sizes


async def off_loop(
    func: Callable[..., T], *args: Any, on_abandon: Callable[[asyncio.Future[T]], None]
) -> T:
    """`func(*args)` in a thread; when the awaiting task is cancelled, `on_abandon`
    cleans up after the thread once it finishes, instead of racing it."""
    future = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(on_abandon)
        raise


async def to_completion(func: Callable[..., T], *args: Any) -> T:
    """`func(*args)` in a thread; a cancellation waits for it to finish, then propagates."""
    future = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise
