"""One attempt of one Job, start to finish: materialize, run, capture, clean up.

Both entry points never raise for anything the step or its data did wrong: a failing
command, a missing capture or a missing input buffer is a failed JobOutcome with one
line for the user. Only cancellation (and the signals that stand for it) propagates,
after the command's process group was killed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from seamlessflow.errors import SeamlessflowError
from seamlessflow.execution.capture import capture_results
from seamlessflow.execution.command import (
    CommandResult,
    CommandSpec,
    describe_failure,
    prepare_command,
    run_command,
    run_command_async,
    tail,
)
from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.execution.workspace import (
    Attempt,
    DeferredRemovals,
    materialize_inputs,
    open_attempt,
)
from seamlessflow.storage.interfaces import BufferStore

T = TypeVar("T")


@dataclass
class _Prepared:
    attempt: Attempt
    command: CommandSpec
    started: float


def execute_job(job: Job, store: BufferStore) -> JobOutcome:
    """The synchronous path, for worker processes that run one job at a time."""
    started = time.monotonic()
    prepared = _prepare(job, store, started)
    if isinstance(prepared, JobOutcome):
        return prepared
    try:
        result = run_command(prepared.command, job.timeout)
        outcome = _conclude(job, store, prepared, result)
    except BaseException:
        prepared.attempt.remove()  # cancelled: the command is dead, nothing to debug
        raise
    _clean_up(job, prepared.attempt, outcome)
    return outcome


async def execute_job_async(job: Job, store: BufferStore,
                            removals: DeferredRemovals | None = None) -> JobOutcome:
    """The in-process path: file work in a thread, the command as an asyncio subprocess,
    so many jobs share the event loop and cancelling the task kills the command. With
    `removals`, finished workspaces are removed when the caller flushes it."""
    started = time.monotonic()
    prepared = await _off_loop(_prepare, job, store, started, on_abandon=_discard_prepared)
    if isinstance(prepared, JobOutcome):
        return prepared
    try:
        result = await run_command_async(prepared.command, job.timeout)
    except BaseException:
        prepared.attempt.remove()
        raise
    outcome = await _off_loop(_conclude, job, store, prepared, result,
                              on_abandon=lambda _: prepared.attempt.remove())
    _clean_up(job, prepared.attempt, outcome, removals)
    return outcome


async def _off_loop(
    func: Callable[..., T], *args: Any, on_abandon: Callable[[asyncio.Future[T]], None]
) -> T:
    """`func(*args)` in a thread. A thread cannot be cancelled: when the awaiting task is,
    `on_abandon` cleans up after the thread once it finishes, instead of racing it."""
    future = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(on_abandon)
        raise


def _discard_prepared(future: asyncio.Future[_Prepared | JobOutcome]) -> None:
    if not future.cancelled() and future.exception() is None:
        prepared = future.result()
        if isinstance(prepared, _Prepared):
            prepared.attempt.remove()


def _prepare(job: Job, store: BufferStore, started: float) -> _Prepared | JobOutcome:
    """A workspace holding the inputs and a command ready to start, or why not."""
    try:
        attempt = open_attempt(job)
    except OSError as exc:
        return JobOutcome(ok=False, error=f"could not create a workspace: {exc}",
                          duration_s=time.monotonic() - started)
    try:
        materialize_inputs(job, store, attempt.workspace)
        variables = {**job.transformation.get("params", {}), **job.metavars}
        command = prepare_command(
            job.transformation["__language__"], job.code, variables,
            attempt.workspace, attempt.root, bool(job.transformation.get("stdout")),
        )
    except (SeamlessflowError, OSError) as exc:
        outcome = JobOutcome(ok=False, error=f"could not prepare the workspace: {exc}",
                             duration_s=time.monotonic() - started)
        _clean_up(job, attempt, outcome)
        return outcome
    except BaseException:
        attempt.remove()
        raise
    return _Prepared(attempt, command, started)


def _conclude(job: Job, store: BufferStore, prepared: _Prepared, result: CommandResult) -> JobOutcome:
    """Capture on success; on failure, the stderr tail and the log, and nothing stored."""
    command = prepared.command
    error = describe_failure(result, job.timeout)
    log_path = None
    if error is not None or _has_content(command.stderr_path):
        log_path = _publish_log(command.stderr_path, job.log_path)
    outcome = JobOutcome(ok=False, exit_code=result.exit_code, log_path=log_path, error=error)
    if outcome.error is None:
        try:
            outcome.result, outcome.result_checksum = capture_results(
                job.transformation, prepared.attempt.workspace, command.stdout_path, store
            )
            outcome.ok = True
        except (SeamlessflowError, OSError) as exc:
            outcome.error = str(exc)
    if not outcome.ok:
        outcome.stderr_tail = tail(command.stderr_path)
    outcome.duration_s = time.monotonic() - prepared.started
    return outcome


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _publish_log(stderr_path: Path, log_path: str | None) -> str | None:
    """Copy the full stderr to the job's log file atomically (a reader never sees half a
    log of this attempt mixed with the previous one). A silent success writes no log:
    for a thousand quiet steps the log files would cost more than the commands."""
    if log_path is None:
        return None
    dest = Path(log_path)
    temp = dest.with_name(f".{dest.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stderr_path, temp)
        temp.replace(dest)
    except OSError:
        temp.unlink(missing_ok=True)
        return None  # an unwritable log folder must not turn a success into a failure
    return log_path


def _clean_up(job: Job, attempt: Attempt, outcome: JobOutcome,
              removals: DeferredRemovals | None = None) -> None:
    """Remove the attempt's folder, unless it failed and the user asked to keep it."""
    if not outcome.ok and job.keep_workspace:
        outcome.workspace = str(attempt.workspace)
        return
    if removals is not None:
        removals.add(attempt)
        return
    try:
        attempt.remove()
    except OSError:
        pass  # a leftover temp folder is harmless; failing the job over it is not
