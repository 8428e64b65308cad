"""`seamlessflow.load` and the Workflow it gives: its steps and instances, a plan (a dry
run) and runs, from Python, with the rules `seamlessflow run` follows.

A run never exits the process and prints nothing: it returns a RunSummary, raises a
SeamlessflowError (with the message the CLI prints, `exc.render()`), and tells its
progress to a callback if one is given. Inside a running event loop (Jupyter) the
synchronous `run` carries the run out in a worker thread with its own event loop;
`await run_async(...)` always does, leaving the caller's loop free meanwhile. Either
way, an interrupt of the caller (Ctrl-C, a cancelled task) stops the run's steps as
Ctrl-C stops `seamlessflow run`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seamlessflow.api.display import CallbackDisplay, Progress
from seamlessflow.api.results import RunSummary

# How an API caller names another Seamlessfile, for the error that finds none.
API_NAMING = "pass the path of the Seamlessfile (or of its folder)"

if TYPE_CHECKING:
    from concurrent.futures import Future

    from seamlessflow.graph.dag import Dag
    from seamlessflow.graph.model import Instance
    from seamlessflow.session.options import RunOptions


def load(path: str | os.PathLike = "Seamlessfile", config: Mapping[str, Any] | None = None
         ) -> Workflow:
    """Parse, expand and link the Seamlessfile at `path` (a folder means its
    Seamlessfile) with these config overrides (nested as in the config file: `{"plot":
    {"width": 40}}`). Raises WorkflowError with every problem found."""
    from seamlessflow.session.loading import load_dag
    from seamlessflow.session.startup import find_seamlessfile

    seamlessfile = find_seamlessfile(os.fspath(path), API_NAMING).absolute()
    config = dict(config) if config else None
    return Workflow(seamlessfile, config, load_dag(seamlessfile, config, keep_plan=False))


class Workflow:
    """A loaded Seamlessfile. `plan` and `run` read it again first, as each `seamlessflow
    run` does (cheaply, from the plan cache, while nothing changed): an edit made since
    `load` counts. `steps` and `instances` are as loaded."""

    def __init__(self, seamlessfile: Path, config: dict[str, Any] | None, dag: Dag):
        self.seamlessfile = seamlessfile
        self.root = seamlessfile.parent
        self.config = config
        self._dag = dag

    @property
    def instances(self) -> dict[str, Instance]:
        """Instance name -> the instance (step, bindings, params, inputs, captures, code),
        in declaration order."""
        return self._dag.workflow.instances

    @property
    def steps(self) -> dict[str, list[str]]:
        """Step name -> the names of its instances, in declaration order."""
        steps: dict[str, list[str]] = {}
        for inst in self.instances.values():
            steps.setdefault(inst.step, []).append(inst.name)
        return steps

    def plan(self, targets: str | Iterable[str] | None = None, *,
             progress: Progress | None = None, **options: Any) -> RunSummary:
        """A dry run: each instance's status ("cached", "will-run", "pending") and the
        reason, computing and writing nothing. Takes the options of `run`."""
        return self.run(targets, progress=progress, _dry_run=True, **options)

    def run(self, targets: str | Iterable[str] | None = None, *,
            jobs: int | None = None, keep_going: bool = False,
            force: bool | Iterable[str] | None = None, force_all: bool = False,
            until: Iterable[str] = (), stage: str | None = None, local: bool = False,
            no_local_cache: bool = False, no_download: bool = False,
            memory: int | str | None = None, report: str | os.PathLike | None = None,
            keep_workspace: bool = False, progress: Progress | None = None,
            _dry_run: bool = False, _worker: _Worker | None = None) -> RunSummary:
        """Run `targets` (steps, instances or project paths; None: every step), with the
        options of `seamlessflow run`: `force=True` reruns what the targets name, a list
        what it names; `memory` is bytes or a size ("4G"); `report` writes the JSON run
        report there. `progress` is called with an InstanceResult at each change of
        status. A failed instance does not raise: see `RunSummary.ok`."""
        options = _options(targets, jobs=jobs, dry_run=_dry_run, keep_going=keep_going,
                           force=force, force_all=force_all, until=until, stage=stage,
                           local=local, no_local_cache=no_local_cache,
                           no_download=no_download, memory=memory, config=self.config,
                           report=report, keep_workspace=keep_workspace)
        if _worker is not None or not _loop_running():  # (run_async's thread: _worker)
            return self._run(options, progress, _worker)
        from concurrent.futures import ThreadPoolExecutor

        worker = _Worker()
        pool = ThreadPoolExecutor(1, thread_name_prefix="seamlessflow")
        try:
            return _interruptible_result(pool.submit(self._run, options, progress, worker))
        except KeyboardInterrupt:
            worker.cancel()
            raise
        finally:
            pool.shutdown()

    async def run_async(self, targets: str | Iterable[str] | None = None,
                        **options: Any) -> RunSummary:
        """As `run`, in a worker thread with its own event loop: awaiting it leaves the
        caller's loop free to do other work meanwhile. Cancelling the awaiting task
        stops the run's steps (nothing is recorded for them) before it ends."""
        import asyncio
        import contextlib
        import functools

        worker = _Worker()
        future = asyncio.get_running_loop().run_in_executor(
            None, functools.partial(self.run, targets, _worker=worker, **options))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            worker.cancel()
            with contextlib.suppress(KeyboardInterrupt):  # how the stopped run ends
                await future
            raise

    async def plan_async(self, targets: str | Iterable[str] | None = None,
                         **options: Any) -> RunSummary:
        return await self.run_async(targets, _dry_run=True, **options)

    def _run(self, options: RunOptions, progress: Progress | None,
             worker: _Worker | None) -> RunSummary:
        from seamlessflow.session.run_workflow import run_workflow

        display = CallbackDisplay(progress)
        execute = None  # in the main thread: a new event loop that SIGTERM cancels
        if worker is not None or threading.current_thread() is not threading.main_thread():
            execute = (worker or _Worker()).execute
        summary = run_workflow(self.seamlessfile, options, display, execute=execute)
        return RunSummary(summary, display.warnings)

    def __repr__(self) -> str:
        return (f"<Workflow {self.seamlessfile}: {len(self.steps)} steps, "
                f"{len(self.instances)} instances>")


class _Worker:
    """Executes a run's rounds in event loops of its own thread, and stops them when the
    caller is interrupted (`cancel`, from the caller's thread): the steps are killed
    and nothing is recorded for them, as Ctrl-C does to `seamlessflow run`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._loop = self._task = None

    def execute(self, session):  # noqa: ANN001, ANN201 - asyncio is imported only to execute
        import asyncio

        async def main():  # noqa: ANN202
            with self._lock:
                if self._cancelled:
                    raise KeyboardInterrupt
                self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
            try:
                return await session.execute()
            finally:
                with self._lock:
                    self._loop = self._task = None

        try:
            return asyncio.run(main())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._task.cancel)


def _interruptible_result(future: Future[RunSummary]) -> RunSummary:
    """`future.result()`, waking every tenth of a second: Linux may deliver a process's
    SIGINT (a notebook's "interrupt the kernel") to any of its threads, and Python raises
    KeyboardInterrupt only when the main thread runs, which a wait without a timeout
    would not do until the run had ended by itself."""
    from concurrent.futures import TimeoutError as NotYet

    while True:
        try:
            return future.result(timeout=0.1)
        except NotYet:
            continue


def _loop_running() -> bool:
    """Whether this thread runs an event loop (a notebook's): then a run cannot start
    its own here."""
    asyncio = sys.modules.get("asyncio")  # not imported: no loop can be running
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _options(targets: str | Iterable[str] | None, *, jobs: int | None, force: Any,
             until: Iterable[str], memory: int | str | None,
             report: str | os.PathLike | None, **rest: Any) -> RunOptions:
    """The session's options from the API's arguments, checked as the CLI checks its own."""
    from seamlessflow.errors import UsageError
    from seamlessflow.session.options import RunOptions

    if jobs is None:
        jobs = os.cpu_count() or 1
    from seamlessflow.graph.model import MAX_WORKERS

    if not isinstance(jobs, int) or not 1 <= jobs <= MAX_WORKERS:
        raise UsageError(f"jobs={jobs!r}: must be a whole number from 1 to {MAX_WORKERS:,}")
    if isinstance(memory, str):
        from seamlessflow.language.sizes import EXAMPLES, parse_size

        size = parse_size(memory)
        if size is None:
            raise UsageError(f"memory={memory!r}: expected a size ({EXAMPLES})")
        memory = size
    if force is True:
        force = ()
    elif force is False:
        force = None
    elif force is not None:
        force = _names(force)
    return RunOptions(targets=_names(targets), jobs=jobs, force=force, until=_names(until),
                      memory=memory, report=None if report is None else os.fspath(report),
                      **rest)


def _names(names: str | os.PathLike | Iterable[str | os.PathLike] | None) -> tuple[str, ...]:
    """Targets, `until` or `force` as names (a project path may be a Path)."""
    if names is None:
        return ()
    if isinstance(names, (str, os.PathLike)):
        return (os.fspath(names),)
    return tuple(os.fspath(name) for name in names)
