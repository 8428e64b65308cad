"""One run (or one round of `watch`): from a linked DAG and the run's options to a summary.

Assembles the scheduler's parts (targets, stages, runners, stores, reporters) so that
every front end shares every rule about what a run means. What the run shows is the
front end's `Display`: the session layer itself prints nothing.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from seamlessflow.errors import UsageError, WorkflowError
from seamlessflow.graph.reserved import STATE_DIR
from seamlessflow.scheduling.state import CACHED, InstanceState, Reporter, Reporters, RunSummary

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag
    from seamlessflow.runners.base import Runner
    from seamlessflow.scheduling.scheduler import Scheduler
    from seamlessflow.session.options import RunOptions
    from seamlessflow.storage.layers import Home


class Display(Protocol):
    """What a front end shows of a run: the terminal's lines or live panel, an API
    caller's callback, nothing."""

    def reporter(self, dag: Dag | None, selected: list[str], summarize: bool) -> Reporter:
        """The reporter of a run of the instances `selected` (of `dag`; None for a run
        told from its settled record). `summarize`: False for the first of two rounds
        (session/glob_rounds.py), whose summary is the second's."""

    def held(self) -> AbstractContextManager[None]:
        """Within: the run executes nothing and is over in a moment, so what it shows
        may be written at once rather than line by line."""

    def announce(self, message: str) -> None:
        """Something the run does besides its instances (a service started, a round)."""


class RunSession:
    def __init__(self, dag: Dag, options: RunOptions, display: Display,
                 settled_file: Path | None = None, first_round: bool = False):
        """`settled_file`: where to keep the record of this run if it finds everything
        cached (session/settled.py), None to keep none. `first_round`: the first of two
        rounds (session/glob_rounds.py)."""
        from seamlessflow.scheduling.stages import plan_stages
        from seamlessflow.session.loading import missing_inputs, project_listing

        self.started_ns = time.time_ns()  # before any project file is read
        self.settled_file = settled_file
        self.dag = dag
        self.options = options
        self.display = display
        self.first_round = first_round
        workflow = dag.workflow
        self.root = Path(workflow.root)
        self.selected = select_for(dag, options)
        self.force = _force_set(dag, options, self.selected)
        self.listing = project_listing(dag, self.selected)
        problems = missing_inputs(dag, self.selected, self.listing)
        if problems:
            raise WorkflowError(problems)
        self.memory = _memory_limit(dag, self.selected, options.memory)
        self.plan = plan_stages(workflow, self.selected, options.stage, options.local)
        if self.plan.cluster is not None:  # its store and database: found, or started now
            from seamlessflow.services.launcher import with_urls

            self.plan = self.plan._replace(cluster=with_urls(
                self.plan.cluster, ["hashserver", "database"], display.announce))
        self.stages = self.plan.stages
        self._runners: dict[tuple[str, int], Runner] = {}
        self._made: Scheduler | None = None
        self._reported = _Reported()

    def runner_for(self, stage: str) -> Runner:
        from seamlessflow.runners import make_runner
        from seamlessflow.storage.location import service_url

        choice = self.plan.choices[stage]
        key = (choice.kind, choice.workers, choice.cluster)
        if key not in self._runners:
            url = dask_entry = None
            services = self.plan.cluster.services if self.plan.cluster is not None else {}
            if choice.kind == "daskserver":
                dask_entry = services["daskserver"].raw
            elif choice.kind in services:
                from seamlessflow.services.launcher import with_urls

                self.plan = self.plan._replace(
                    cluster=with_urls(self.plan.cluster, [choice.kind], self.display.announce))
                url = service_url(self.plan.cluster, choice.kind)
            self._runners[key] = make_runner(choice.kind, self.home_for(stage).store,
                                             choice.workers, url,
                                             dask_entry, announce=self.display.announce)
        return self._runners[key]

    def execute_without_loop(self) -> RunSummary | None:
        """The run, when nothing in it has to execute (a no-op or a dry run); None
        otherwise, and `execute` (in an event loop) carries on where this stopped."""
        scheduler = self._scheduler()
        try:
            with self.display.held():
                summary = scheduler.run_without_loop()
        except BaseException:
            self._save_state()
            raise
        if summary is not None:
            self._save_state()
            self._keep_settled(summary)
        return summary

    async def execute(self) -> RunSummary:
        scheduler = self._scheduler()
        try:
            return await scheduler.run()
        finally:
            for runner in self._runners.values():
                await runner.close()
            self._save_state()
            if self.settled_file is not None:  # something executed: the record is stale
                from seamlessflow.session import settled

                settled.forget(self.settled_file)

    def _scheduler(self) -> Scheduler:
        if self._made is not None:
            return self._made
        from seamlessflow.scheduling.history import RunHistory
        from seamlessflow.scheduling.inputs import ProjectInputs
        from seamlessflow.scheduling.outputs import OutputWriter
        from seamlessflow.scheduling.scheduler import RunOptions as SchedulerOptions
        from seamlessflow.scheduling.scheduler import Scheduler
        from seamlessflow.storage.layers import layered
        from seamlessflow.storage.statcache import StatCache

        state_dir = self.root / STATE_DIR
        self._homes = self._open_homes()
        self.store, db = layered(list(self._homes.values()))
        self._statcache = StatCache.load(state_dir)
        options = self.options
        reporter = Reporters([self.display.reporter(self.dag, self.selected,
                                                    not self.first_round), self._reported])
        self._inputs = inputs = ProjectInputs(self.root, self._statcache, self.store,
                                              reporter.on_warning, self.listing)
        outputs = OutputWriter(self.root, state_dir, self.store, self._statcache,
                               reporter.on_warning, no_download=options.no_download, db=db)
        scheduler_options = SchedulerOptions(
            jobs=options.jobs,
            keep_going=options.keep_going,
            force=self.force,
            dry_run=options.dry_run,
            keep_workspace=options.keep_workspace,
            log_dir=state_dir / "logs",
            memory=self.memory,
        )
        self._made = Scheduler(self.dag, self.selected, self.stages, self.runner_for,
                               self.store, db, inputs, outputs, reporter, scheduler_options,
                               RunHistory(state_dir), self.home_for)
        return self._made

    def _open_homes(self) -> dict[str | None, Home]:
        """Where the steps of each place (None: this machine; else a cluster's name)
        find their inputs' bytes and record their results, local first: a run reads
        results and bytes from all of them. With --no-local-cache, or a cluster whose
        clusters.yaml entry says `local_cache: false`, the cluster's is the only one."""
        from seamlessflow.storage.layers import sharing
        from seamlessflow.storage.location import open_home

        cluster = self.plan.cluster
        if cluster is None:
            return {None: open_home(None)}
        remote = open_home(cluster)
        if self.options.no_local_cache or not cluster.local_cache:
            return {None: remote, cluster.name: remote}
        local = open_home(None)
        return {None: local, cluster.name: sharing(remote, local)}

    def home_for(self, stage: str) -> Home:
        """The home of a stage's steps: its cluster's, or the local cache."""
        return self._homes[self.plan.choices[stage].cluster]

    def _save_state(self) -> None:
        if not self.options.dry_run:  # a dry run writes nothing but the report
            self._statcache.save()

    def _keep_settled(self, summary: RunSummary) -> None:
        """Record a run that found everything cached, so that the next can say so at
        the cost of a stat per file; remove the record of any other (a dry run leaves
        it alone: it writes nothing)."""
        if self.settled_file is None or self.options.dry_run:
            return
        from seamlessflow.session import settled

        if summary.counts[CACHED] != len(summary.states) or self._reported.warned \
                or self.plan.cluster is not None:
            settled.forget(self.settled_file)
            return
        settled.record(self.settled_file, workflow=self.dag.workflow, options=self.options,
                       started_ns=self.started_ns, inputs=self._inputs.known,
                       statcache=self._statcache, state_dir=self.root / STATE_DIR,
                       states=summary.states, reported=self._reported.names)


def replay_settled(file: Path, options: RunOptions, root: Path, display: Display
                   ) -> RunSummary | None:
    """The run, told again from the record of the last one, when that found everything
    cached and nothing that decided it has changed (session/settled.py); None otherwise."""
    from seamlessflow.session import settled
    from seamlessflow.session.startup import without_cyclic_gc

    started = time.perf_counter()
    with without_cyclic_gc():
        found = settled.replay(file, options, root)
    if found is None:
        return None
    states, reported = found
    reporter = display.reporter(None, [s.name for s in states], True)
    with display.held():
        for state in reported:
            reporter.on_event(state)
    summary = RunSummary.of(states, time.perf_counter() - started, options.dry_run)
    reporter.on_finish(summary)
    return summary


class _Reported:
    """The order in which the run reported its instances, and whether it warned: what a
    record of the run needs to tell it again."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.warned = False

    def on_event(self, state: InstanceState) -> None:
        if state.status == CACHED:
            self.names.append(state.name)

    def on_warning(self, message: str) -> None:
        self.warned = True

    def on_finish(self, summary: RunSummary) -> None:
        pass


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while steps ran; they were stopped as for Ctrl-C."""


def execute_in_loop(session: RunSession) -> RunSummary:
    """`session.execute()` in a new event loop. Ctrl-C cancels it (asyncio.run's own
    handler); so does SIGTERM, which batch systems, `timeout` and service managers send,
    instead of ending seamlessflow at once and orphaning the running commands (each
    leads its own process group). Either way running commands are killed and nothing is
    recorded for them; SIGTERM then raises Terminated."""
    import asyncio

    received: list[bool] = []
    try:
        return asyncio.run(_cancelled_by_sigterm(session.execute(), received))
    except asyncio.CancelledError:
        if received:
            raise Terminated from None
        raise


async def _cancelled_by_sigterm(work, received: list[bool]) -> RunSummary:
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def on_sigterm() -> None:
        received.append(True)
        task.cancel()

    loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    try:
        return await work
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _memory_limit(dag: Dag, selected: list[str], limit: int | None) -> int | None:
    """The memory the run may use (`--resources mem=SIZE`; None: no limit). An
    instance needing more than all of it could never start: refused now."""
    if limit is None:
        return None
    from seamlessflow.language.sizes import format_size

    instances = dag.workflow.instances
    too_big = [name for name in selected if instances[name].memory > limit]
    if too_big:
        first = instances[too_big[0]]
        more = f" (and {len(too_big) - 1} more)" if len(too_big) > 1 else ""
        raise UsageError(f"{first.name}{more} needs {format_size(first.memory)} of memory, "
                         f"more than --resources mem={format_size(limit)} allows: give the "
                         "run more, or the step less")
    return limit


def select_for(dag: Dag, options: RunOptions) -> list[str]:
    """The instances the targets need, cut at `--until`: only what its steps, instances
    or paths need, themselves included (Snakemake's `--until`)."""
    from seamlessflow.graph.targets import select

    selected = select(dag, list(options.targets))
    if options.until:
        until = set(select(dag, list(options.until)))
        selected = [name for name in selected if name in until]
    return selected


def _force_set(dag: Dag, options: RunOptions, selected: list[str]) -> set[str]:
    """`--force NAME...` means every instance the names name (steps, instances or paths,
    as targets do). Without a name it means what the targets name (everything selected
    when there are none); `-F` means everything selected, upstream instances too."""
    from seamlessflow.graph.targets import named

    names = options.force
    if options.force_all or (names == () and not options.targets):
        return set(selected)
    if names is None:
        return set()
    try:
        return set(named(dag, list(names or options.targets)))
    except UsageError as exc:
        raise UsageError(f"--force: {exc}") from None
