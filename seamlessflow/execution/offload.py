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
import contextvars
import functools
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

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
    func: Callable[..., T], *args: Any, on_abandon: Callable[[T | None], None]
) -> T:
    """`func(*args)` in a thread. When the awaiting task is cancelled, `on_abandon`
    cleans up what `func` returned (None: `func` never ran), in a thread: the one that
    ran `func`, once it finishes, or one of its own when `func` had finished already.
    Not in an event loop callback: a cancelled run's loop ends right after, cancelling
    what is left on it, and the thread would then finish (start a command) unwatched."""
    handoff = _Handoff(on_abandon)
    future = _in_thread(handoff.run, func, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        handoff.abandon()
        raise


async def to_completion(func: Callable[..., T], *args: Any) -> T:
    """`func(*args)` in a thread; a cancellation waits for it to finish, then propagates."""
    future = _in_thread(func, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


def _in_thread(func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """As `asyncio.to_thread`, but a plain future rather than a task: `asyncio.run`
    cancels every task still pending when it ends, which would stop us learning when the
    thread finishes, though the thread itself runs on."""
    call = functools.partial(contextvars.copy_context().run, func, *args)
    return asyncio.get_running_loop().run_in_executor(None, call)


class _Handoff(Generic[T]):
    """Who gets what the thread returns: the awaiting task, or the cleanup once the task
    has let go. Decided under a lock, so that exactly one of them does."""

    def __init__(self, on_abandon: Callable[[T | None], None]) -> None:
        self._lock = threading.Lock()
        self._on_abandon = on_abandon
        self._abandoned = self._finished = False
        self._result: T | None = None

    def run(self, func: Callable[..., T], *args: Any) -> T | None:
        with self._lock:
            if self._abandoned:  # let go before the thread got to it: nothing to do
                return None
        result = func(*args)
        with self._lock:
            self._finished, self._result = True, result
            abandoned = self._abandoned
        if abandoned:
            self._on_abandon(result)
        return result

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
            if not self._finished:
                return  # the thread cleans up when it finishes (or never starts)
        threading.Thread(target=self._on_abandon, args=(self._result,)).start()
