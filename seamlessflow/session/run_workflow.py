"""A whole run of a Seamlessfile, as `run`, each round of `watch` and the Python API do it.

The settled record first (session/settled.py), else the plan, in two rounds for a
workflow that globs what it captures (session/glob_rounds.py), the execution, and the
records a run leaves: the last run's report and, when asked, the JSON run report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag
    from seamlessflow.scheduling.state import RunSummary
    from seamlessflow.session.options import RunOptions
    from seamlessflow.session.run import Display, RunSession

# How a round that must execute is carried through (default: `run.execute_in_loop`,
# in a new event loop that SIGTERM cancels, which only the main thread can arrange).
Execute = Callable[["RunSession"], "RunSummary"]


def run_workflow(seamlessfile: Path, options: RunOptions, display: Display,
                 dag: Dag | None = None, reload: Callable[[], Dag] | None = None,
                 execute: Execute | None = None) -> RunSummary:
    """The run the whole way. `dag`: the workflow already loaded (watch mode), else it is
    loaded here, or told from its settled record if that still holds; `reload` reads it
    again after the first of two rounds (default: load it). KeyboardInterrupt (and
    Terminated, for SIGTERM) stops it: running steps are stopped, nothing is recorded
    for them."""
    from seamlessflow.session.loading import load_dag

    root = seamlessfile.absolute().parent
    summary = settled_file = None
    if dag is None:
        from seamlessflow.session import settled

        if settled.eligible(options):  # the last run found everything cached: does it hold?
            from seamlessflow.session.run import replay_settled

            settled_file = settled.record_file(seamlessfile, options.config or None)
            summary = replay_settled(settled_file, options, root, display)
        if summary is None:
            dag = load_dag(seamlessfile, options.config, keep_plan=not options.dry_run)
    if summary is None:
        if reload is None:
            def reload() -> Dag:
                return load_dag(seamlessfile, options.config)
        summary = _rounds(dag, options, display, settled_file, reload, execute)
        if not options.dry_run:  # a settled run's record is that of the run that settled it
            from seamlessflow.session import last_run

            last_run.keep(summary, root)
    if options.report:
        from seamlessflow.session.report import write_report

        write_report(summary, Path(options.report))
    return summary


def _rounds(dag: Dag, options: RunOptions, display: Display, settled_file: Path | None,
            reload: Callable[[], Dag], execute: Execute | None) -> RunSummary:
    """One round, or two for a workflow that globs what it captures."""
    from seamlessflow.session import glob_rounds

    found = glob_rounds.globs_over_captures(dag)
    if found and options.dry_run:
        for pattern, captures in found.items():
            display.announce(f"note: {glob_rounds.describe(pattern, captures)}: this dry run "
                             "shows the instances of the files there now; `run` reads it "
                             f"again once {captures[0][0]} has run")
    elif found:
        first = glob_rounds.first_round(dag, found, options, display.announce)
        summary = _round(dag, first, display, None, execute, first_round=True)
        if not summary.ok:
            return summary
        options = glob_rounds.second_round(dag, options, first, display.announce)
        dag = reload()
    return _round(dag, options, display, settled_file, execute)


def _round(dag: Dag, options: RunOptions, display: Display, settled_file: Path | None,
           execute: Execute | None, first_round: bool = False) -> RunSummary:
    from seamlessflow.session.run import RunSession, execute_in_loop

    session = RunSession(dag, options, display, settled_file, first_round)
    summary = session.execute_without_loop()
    if summary is None:  # something must execute: only now is asyncio imported
        summary = (execute or execute_in_loop)(session)
    return summary
