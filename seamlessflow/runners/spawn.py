"""The `spawn` runner: a reused pool of local worker processes, each doing a whole job.

A worker materializes, runs the command and hashes and stores the captures itself, so
big outputs are hashed on all cores instead of in the seamlessflow process. Workers are
started lazily ("spawn" context: no inherited event loop, threads or locks) and reused
across jobs, so a job costs no interpreter start.

No orphans: every command is its worker's child in its own process group. Cancelling
`run` sends the worker SIGTERM, which kills the command's group (run_command turns the
signal into SystemExit and kills on the way out); a worker whose parent disappears
does the same to itself.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from seamlessflow.execution.execute import execute_job
from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.runners.inline import captured_at_hand, inputs_at_hand, remember_all
from seamlessflow.storage.interfaces import BufferStore

_STOP_GRACE_S = 5.0  # how long a worker gets to kill its command and exit after SIGTERM
_PARENT_POLL_S = 1.0


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection


class SpawnRunner:
    name = "spawn"

    def __init__(self, store: BufferStore, workers: int):
        self.store = store
        self.size = max(1, workers)
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._slots: asyncio.Semaphore | None = None  # created on the running loop

    async def run(self, job: Job) -> JobOutcome:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        async with self._slots:
            worker = self._idle.pop() if self._idle else self._start_worker()
            try:
                worker.conn.send((job.to_json(), inputs_at_hand(self.store, job)))
                await _readable(worker.conn.fileno())
                data, captured = worker.conn.recv()
            except (EOFError, OSError):
                await self._stop(worker)
                return JobOutcome(ok=False, error=f"spawn worker {worker.process.pid} died "
                                  f"(exit code {worker.process.exitcode})")
            except BaseException:  # cancelled: kill the command before anything else
                await asyncio.shield(self._stop(worker))
                raise
            self._idle.append(worker)
        remember_all(self.store, captured)
        return JobOutcome.from_json(data)

    async def close(self) -> None:
        await asyncio.gather(*(self._stop(w) for w in list(self._workers)))

    def _start_worker(self) -> _Worker:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=_worker_main, args=(theirs, self.store, os.getpid()),
                                  name="seamlessflow-spawn-worker", daemon=True)
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        self._workers.add(worker)
        return worker

    async def _stop(self, worker: _Worker) -> None:
        """SIGTERM (the worker kills its command's group and exits), then SIGKILL if it
        does not exit in time."""
        self._workers.discard(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        process = worker.process
        if process.exitcode is None:
            process.terminate()
            try:
                await asyncio.wait_for(_readable(process.sentinel), _STOP_GRACE_S)
            except asyncio.TimeoutError:
                process.kill()
        process.join()
        worker.conn.close()


async def _readable(fd: int) -> None:
    """Wait until `fd` can be read (a message arrived, or the other end is gone) without
    tying up a thread per running job."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(fd)


def _worker_main(conn: Connection, store: BufferStore, parent_pid: int) -> None:
    """Run jobs until told to stop (None), the pipe closes, or SIGTERM."""
    signal.signal(signal.SIGTERM, _exit_on_signal)
    # Ctrl-C reaches the whole terminal group: the parent decides what to cancel. A
    # handler, not SIG_IGN, because an ignored signal would stay ignored in commands.
    signal.signal(signal.SIGINT, lambda *_: None)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        conn.send(_execute(message, store))


def _execute(message: tuple[dict[str, Any], dict[str, bytes]], store: BufferStore
             ) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(the outcome, the small captured buffers the store keeps: runners/inline.py) of a
    message (the job, its small input buffers at hand in the parent's store)."""
    job_data, inputs = message
    try:
        remember_all(store, inputs)
        outcome = execute_job(Job.from_json(job_data), store)
        return outcome.to_json(), captured_at_hand(store, outcome)
    except Exception as exc:  # a bug must fail the job, not kill the worker silently
        return JobOutcome(ok=False, error=f"internal error in spawn worker: {exc!r}").to_json(), {}


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _watch_parent(parent_pid: int) -> None:
    """A worker whose parent died (SIGKILL, OOM) must not run its command on unattended."""
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)
