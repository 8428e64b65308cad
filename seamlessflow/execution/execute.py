"""One attempt of one Job, start to finish: materialize, run, capture, clean up.

Both entry points never raise for anything the step or its data did wrong: a failing
command, a missing capture or a missing input buffer is a failed JobOutcome with one
line for the user. Only cancellation (and the signals that stand for it) propagates,
after the command's process group was killed.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from seamlessflow.errors import SeamlessflowError
from seamlessflow.execution.capture import CaptureError, capture_results, same_file_system
from seamlessflow.execution.command import (
    MOVE_FAILED,
    CommandResult,
    CommandSpec,
    Stderr,
    bash_script,
    describe_failure,
    keep_files,
    kill_group,
    needs_private_files,
    prepare_bash,
    prepare_command,
    run_command,
    start_command,
    wait_command,
)
from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.execution.offload import SMALL_BYTES, in_process, off_loop, small
from seamlessflow.execution.seamless_bash import (
    collect_step_result,
    moved_capture_error,
    pin_variables,
    step_pins,
)
from seamlessflow.execution.variables import command_variables, cores_environment
from seamlessflow.execution.workspace import (
    Attempt,
    DeferredRemovals,
    make_capture_folders,
    materialize_inputs,
    open_attempt,
)
from seamlessflow.identity.seamless_bash import RESULT, is_bash_transformation
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.put_batch import puts_together


@dataclass
class _Prepared:
    attempt: Attempt
    command: CommandSpec
    stderr: Stderr
    started: float

    def discard(self) -> None:
        """Cancelled: the command is dead (or never started), nothing to debug."""
        self.stderr.close()
        self.attempt.remove()


@dataclass
class _Started:
    prepared: _Prepared
    proc: subprocess.Popen
    start: float


def execute_job(job: Job, store: BufferStore) -> JobOutcome:
    """The synchronous path, for worker processes that run one job at a time."""
    started = time.monotonic()
    prepared = _prepare(job, store, started)
    if isinstance(prepared, JobOutcome):
        return prepared
    try:
        try:
            result = run_command(prepared.command, prepared.stderr, job.timeout)
        except OSError as exc:
            return _not_started(job, prepared, exc)
        return _conclude(job, store, prepared, result)
    except BaseException:
        prepared.discard()
        raise


async def execute_job_async(job: Job, store: BufferStore,
                            removals: DeferredRemovals | None = None) -> JobOutcome:
    """The in-process path: the command is awaited on the event loop, so many jobs
    share it and cancelling the task kills the command. The file work before and after
    it runs on the loop when it is small, else in a thread (see `offload`). With
    `removals`, finished workspaces are removed when the caller flushes it."""
    local = in_process(store)
    if local and small(_input_sizes(job, store)):
        started = _prepare_and_start(job, store)
    else:
        started = await off_loop(_prepare_and_start, job, store, on_abandon=_abandon_started)
    if isinstance(started, JobOutcome):
        return started
    prepared = started.prepared
    try:
        result = await wait_command(started.proc, job.timeout, started.start)
    except BaseException:
        prepared.discard()
        raise
    if local and small(_capture_sizes(job, prepared)):
        return _conclude(job, store, prepared, result, removals)
    return await off_loop(_conclude, job, store, prepared, result, removals,
                          on_abandon=lambda _: prepared.discard())


def _input_sizes(job: Job, store: BufferStore) -> list[int]:
    inputs = job.inputs()
    if any(is_dir for _, is_dir in inputs.values()):
        return [SMALL_BYTES + 1]  # a tree: any number of files
    return store.lengths(cs for cs, _ in inputs.values())


def _capture_sizes(job: Job, prepared: _Prepared) -> list[int]:
    """The sizes of what there is to hash and store (a missing capture: nothing)."""
    sizes = []
    if is_bash_transformation(job.transformation):  # its captures are in RESULT by now
        paths = [os.path.join(RESULT, c) for c in job.captures] or [RESULT]
    else:
        paths = list(job.transformation["captures"])
    if prepared.command.stdout_path is not None:
        paths.append(str(prepared.command.stdout_path))
    for capture in paths:
        if capture.endswith("/"):
            return [SMALL_BYTES + 1]  # a tree: any number of files
        try:
            sizes.append(os.stat(os.path.join(prepared.attempt.workspace, capture)).st_size)
        except OSError:
            sizes.append(0)
    return sizes


def _prepare_and_start(job: Job, store: BufferStore) -> _Started | JobOutcome:
    started = time.monotonic()
    prepared = _prepare(job, store, started)
    if isinstance(prepared, JobOutcome):
        return prepared
    try:
        start = time.monotonic()
        proc = start_command(prepared.command, prepared.stderr)
    except OSError as exc:
        return _not_started(job, prepared, exc)
    except BaseException:
        prepared.discard()
        raise
    return _Started(prepared, proc, start)


def _abandon_started(started: _Started | JobOutcome | None) -> None:
    """The task was cancelled while its command was being prepared or started (this
    runs in the thread that did it, or in one of its own): kill the command, reap it
    and remove its folder."""
    if isinstance(started, _Started):
        kill_group(started.proc.pid)
        started.proc.wait()
        started.prepared.discard()


def _prepare(job: Job, store: BufferStore, started: float) -> _Prepared | JobOutcome:
    """A workspace holding the inputs and a command ready to start, or why not."""
    tf = job.transformation
    bash = is_bash_transformation(tf)
    language = tf["__language__"]
    capture_stdout = not bash and bool(tf.get("stdout"))
    script = None
    try:
        if bash:
            code, variables, inputs = step_pins(tf, job.texts, store)
            first = job.code_origin[1] if job.code_origin else 1
            moves = len(job.captures)
            script = bash_script(code, moves, job.pipefail, first)
        attempt = open_attempt(job, nested=job.keep_workspace or needs_private_files(
            language, job.code if script is None else script, capture_stdout))
    except (SeamlessflowError, OSError) as exc:
        return JobOutcome(ok=False, error=f"could not prepare the workspace: {exc}",
                          duration_s=time.monotonic() - started)
    stderr = None
    try:
        if script is not None:
            materialize_inputs(inputs, store, attempt.workspace)
            variables = pin_variables(variables, job.seamless_pins, attempt.workspace)
            make_capture_folders(job.captures, attempt.workspace)
            command = prepare_bash(script, variables, attempt.workspace, attempt.root,
                                   cores_environment(job.cores),
                                   job.code_origin[0] if job.code_origin else None)
        else:
            materialize_inputs(job.inputs(), store, attempt.workspace)
            make_capture_folders(tf["captures"], attempt.workspace)
            variables = command_variables(tf.get("params", {}), job.metavars)
            command = prepare_command(language, job.code, variables, attempt.workspace,
                                      attempt.root, capture_stdout,
                                      cores_environment(job.cores),
                                      tuple(job.code_origin) if job.code_origin else None)
        stderr = Stderr(attempt.root)
    except (SeamlessflowError, OSError) as exc:
        outcome = JobOutcome(ok=False, error=f"could not prepare the workspace: {exc}",
                             duration_s=time.monotonic() - started)
        _clean_up(job, attempt, outcome)
        return outcome
    except BaseException:
        if stderr is not None:
            stderr.close()
        attempt.remove()
        raise
    return _Prepared(attempt, command, stderr, started)


def _not_started(job: Job, prepared: _Prepared, exc: OSError) -> JobOutcome:
    """The command could not be started at all (no bash, arguments too long, ...)."""
    prepared.stderr.close()
    outcome = JobOutcome(ok=False, error=f"could not start the command: {exc}",
                         duration_s=time.monotonic() - prepared.started)
    _clean_up(job, prepared.attempt, outcome)
    return outcome


def _conclude(job: Job, store: BufferStore, prepared: _Prepared, result: CommandResult,
              removals: DeferredRemovals | None = None) -> JobOutcome:
    """Capture on success; on failure, the stderr tail and the log, and nothing stored.
    Then the attempt's folder is cleaned up."""
    command, stderr = prepared.command, prepared.stderr
    try:
        error = describe_failure(result, job.timeout)
        log_path = None
        if error is not None or stderr.size() > 0:
            log_path = _publish_log(stderr, job.log_path)
        outcome = JobOutcome(ok=False, exit_code=result.exit_code, log_path=log_path,
                             error=error)
        workspace = prepared.attempt.workspace
        bash = is_bash_transformation(job.transformation)
        if bash and result.exit_code == MOVE_FAILED:
            missing = moved_capture_error(workspace, job.captures)
            if missing is not None:  # the step's own command ended well: exit 0
                outcome.error, outcome.capture = str(missing), missing.capture
                outcome.exit_code = 0
        if outcome.error is None:
            try:
                # over HTTP, the small captures and the result mapping go in one request
                with puts_together(store) as target:
                    if bash:
                        outcome.result_checksum, outcome.result = collect_step_result(
                            workspace, job.captures, target, same_file_system(store, workspace),
                            kinds=not job.seamless_pins)
                    else:
                        outcome.result, outcome.result_checksum = capture_results(
                            job.transformation, workspace, command.stdout_path, target)
                outcome.ok = True
            except CaptureError as exc:
                outcome.error, outcome.capture = str(exc), exc.capture
            except (SeamlessflowError, OSError) as exc:
                outcome.error = str(exc)
        if not outcome.ok:
            outcome.stderr_tail = stderr.tail()
            if job.keep_workspace:
                outcome.rerun = _keep_files(command, stderr, prepared.attempt)
    finally:
        stderr.close()
    outcome.duration_s = time.monotonic() - prepared.started
    _clean_up(job, prepared.attempt, outcome, removals)
    return outcome


def _keep_files(command: CommandSpec, stderr: Stderr, attempt: Attempt) -> str | None:
    """The files of a kept attempt, written; the line that reruns it (None if they
    could not be written: a debugging aid must not change the outcome)."""
    try:
        return keep_files(command, stderr, attempt.root)
    except OSError:
        return None


def _publish_log(stderr: Stderr, log_path: str | None) -> str | None:
    """Copy the full stderr to the job's log file atomically (a reader never sees half a
    log of this attempt mixed with the previous one). A silent success writes no log:
    for a thousand quiet steps the log files would cost more than the commands."""
    if log_path is None:
        return None
    dest = Path(log_path)
    temp = dest.with_name(f".{dest.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(temp, "wb") as out:
            stderr.copy_to(out)
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
