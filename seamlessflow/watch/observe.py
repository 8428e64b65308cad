"""watchdog observers on the folders of a WatchSet; their events, timestamped, in a queue.

The observers' threads only timestamp and queue: which events matter is decided by the
watch loop, against the plan of the moment.

Ctrl-C raises KeyboardInterrupt in the main thread between any two bytecodes, even just
after a lock was taken and before the `with` holding it is set up; a lock that watchdog's
threads share with the main thread (the queue's, watchdog's own) could stay held, and the
shutdown would wait for it forever. So every method here that takes such a lock only
notes a Ctrl-C, and raises it once the lock is released.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator

from seamlessflow.errors import UsageError
from seamlessflow.watch.watchset import LOST, Event, Folder

_STOP_WAIT_S = 5.0
_WATCHDOG_LOGGERS = ("watchdog.observers.inotify", "watchdog.observers.inotify_c")


class Observers:
    def __init__(self) -> None:
        from watchdog.observers import Observer

        self._events: queue.Queue[Event] = queue.Queue()
        self._watches: dict[Folder, object] = {}  # folder -> watchdog's ObservedWatch
        self._gone: set[str] = set()  # observed folders deleted or moved away since
        self._gone_lock = threading.Lock()
        self._handler = _handler(self)
        self._observer = Observer()
        self._log_filter = _LogFilter(self)
        for name in _WATCHDOG_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        with _interrupts_deferred():
            self._observer.start()

    def next_event(self, timeout: float) -> Event | None:
        """The next event, or None after `timeout` seconds without one."""
        with _interrupts_deferred():
            try:
                return self._events.get(timeout=timeout)
            except queue.Empty:
                return None

    def observe(self, folders: set[Folder]) -> None:
        """Observe exactly `folders` from now on. A folder that was deleted or moved away
        lost its watch with it: it is observed afresh if it is there again."""
        with _interrupts_deferred():
            with self._gone_lock:
                gone, self._gone = self._gone, set()
            for folder in list(self._watches):
                if folder not in folders or folder.path in gone:
                    self._unwatch(folder)
            for folder in folders - set(self._watches):
                self._watch(folder)

    def close(self) -> None:
        with _interrupts_deferred():
            self._observer.stop()
            self._observer.join(_STOP_WAIT_S)
        for name in _WATCHDOG_LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)

    def record(self, kind: str, path: str | bytes, is_dir: bool) -> None:
        """Called on the observers' thread for each path an event touches."""
        path = os.path.abspath(os.fsdecode(path))
        if kind in ("deleted", "moved") and is_dir:
            with self._gone_lock:
                self._gone.add(path)
        self._events.put(Event(time.monotonic(), kind, path, is_dir))

    def lost(self) -> None:
        """The kernel dropped events: anything may have changed."""
        self._events.put(Event(time.monotonic(), LOST, "", False))

    def _watch(self, folder: Folder) -> None:
        try:
            self._watches[folder] = self._observer.schedule(
                self._handler, folder.path, recursive=folder.recursive)
        except OSError as exc:
            if not os.path.isdir(folder.path):
                return  # gone meanwhile: its removal is an event of its parent
            limit = exc.errno == errno.ENOSPC
            raise UsageError(
                f"cannot watch {folder.path}: {exc.strerror or exc}"
                + ("; raise the limit fs.inotify.max_user_watches (sysctl)" if limit else "")
            ) from None

    def _unwatch(self, folder: Folder) -> None:
        watch = self._watches.pop(folder)
        with contextlib.suppress(KeyError):  # its emitter already ended with the folder
            self._observer.unschedule(watch)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Within: Ctrl-C is only noted. On the way out, it is raised as KeyboardInterrupt."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield  # Ctrl-C does not raise here anyway (ignored, as in a background job)
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt


def _handler(owner: Observers):
    from watchdog.events import FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            owner.record(event.event_type, event.src_path, event.is_directory)
            if event.dest_path:
                owner.record("moved", event.dest_path, event.is_directory)

    return Handler()


class _LogFilter(logging.Filter):
    """watchdog says through its log what it knows of no event for: lost events become
    one that makes the loop compare content; the error of a watch stopping while
    it reads (each unwatch, and quitting) is noise."""

    def __init__(self, owner: Observers):
        super().__init__()
        self.owner = owner

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "overflowed" in message:
            self.owner.lost()
        return "called when the thread is inactive" not in message
