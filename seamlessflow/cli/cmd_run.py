"""Run the workflow: only what is not cached runs, on the runner of each step's stage.

TARGET is a step name (all its instances), an instance name (`count[n=3]`), or a
project path that some step captures; no target means every step.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from seamlessflow.cli.habits import add_config_option
from seamlessflow.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag
    from seamlessflow.scheduling.state import RunSummary

# Files are written atomically and closed before `run` returns: see main.entry.
NOTHING_TO_TEAR_DOWN = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_run_options(p)
    p.add_argument("--list", action="store_true",
                   help="list the steps, their instance counts and stages; run nothing")
    p.add_argument("--summary", action="store_true",
                   help="for each output file: the instance making it, its status and "
                        "checksum; run nothing")
    p.add_argument("--html", metavar="FILE",
                   help="write the HTML report of the run to FILE (as `seamlessflow report`)")


def add_run_options(p: argparse.ArgumentParser) -> None:
    """The targets and options of `run`, shared with `watch`."""
    p.add_argument("targets", nargs="*", metavar="TARGET", help="steps, instances or paths")
    p.add_argument("-j", "--jobs", "-c", "--cores", type=_slot_count,
                   default=os.cpu_count() or 1, metavar="N",
                   help="at most N instances (in cores: slots) at once; `all`: one per CPU")
    p.add_argument("-n", "--dry-run", action="store_true", help="plan only; run nothing")
    p.add_argument("-k", "--keep-going", action="store_true",
                   help="after a failure, go on with everything that does not depend on it")
    p.add_argument("--force", nargs="*", default=None, metavar="NAME",
                   help="rerun what these steps, instances or paths name, even when "
                        "cached; without a NAME, the targets (all steps if none)")
    p.add_argument("-F", "--forceall", action="store_true",
                   help="rerun every selected instance, upstream ones too, even when cached")
    p.add_argument("--until", nargs="+", default=[], metavar="STEP",
                   help="only what these steps, instances or paths need, themselves included")
    p.add_argument("-p", "--printshellcmds", action="store_true",
                   help="print each command as it will run, with the variables it gets")
    p.add_argument("--resources", action="append", default=[], type=_resource,
                   metavar="mem=SIZE",
                   help="never run at once instances whose `memory:` sums past SIZE "
                        "(4G, 512M; Snakemake's mem_mb=N too)")
    p.add_argument("--stage", metavar="NAME", help="the stage of every step that names none")
    p.add_argument("--local", action="store_true", help="run everything in-process")
    p.add_argument("--no-local-cache", action="store_true",
                   help="with a cluster stage, keep every result and buffer of the run on "
                        "the cluster, none in the local cache")
    p.add_argument("-nd", "--no-download", action="store_true",
                   help="write PATH.CHECKSUM sidecars instead of result bytes")
    add_config_option(p)
    p.add_argument("--report", metavar="FILE", help="write the JSON run report to FILE")
    p.add_argument("--keep-workspace", action="store_true",
                   help="keep the workspace of a failed attempt, for debugging: its path "
                        "is printed with the line that reruns the command there")


def _resource(text: str) -> tuple[str, int]:
    """`mem=8G` (or Snakemake's `mem_mb=8000`) as ("mem", bytes)."""
    from seamlessflow.language.sizes import EXAMPLES, parse_size

    key, _, value = text.partition("=")
    if key == "mem_mb" and value.isdigit() and int(value) > 0:
        return "mem", int(value) << 20
    if key not in ("mem", "mem_mb"):
        raise argparse.ArgumentTypeError(f"unknown resource {key!r}: seamlessflow counts "
                                         "mem (e.g. --resources mem=8G)")
    size = parse_size(value) if key == "mem" else None
    if size is None:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected mem=SIZE ({EXAMPLES}) or mem_mb=MEGABYTES")
    return "mem", size


def _slot_count(text: str) -> int:
    """`-j N`, or `all` (as Snakemake's `--cores all`): one slot per CPU."""
    if text == "all":
        return os.cpu_count() or 1
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or all, got {text!r}") from None
    from seamlessflow.graph.model import MAX_WORKERS

    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be at least 1 and at most {MAX_WORKERS:,}")
    return value


def run(args: argparse.Namespace) -> int:
    from seamlessflow.language.config import parse_overrides
    from seamlessflow.session import settled
    from seamlessflow.session.run import replay_settled
    from seamlessflow.session.startup import find_seamlessfile

    seamlessfile = find_seamlessfile(args.seamlessfile)
    if args.list or args.summary:
        return _describe(seamlessfile, args)
    summary = settled_file = None
    if settled.eligible(args):  # the last run found everything cached: does that hold?
        overrides = parse_overrides(args.config) or None
        settled_file = settled.record_file(seamlessfile, overrides)
        summary = replay_settled(settled_file, args, seamlessfile.absolute().parent)
    if summary is None:
        summary = _run(seamlessfile, args, settled_file)
        if isinstance(summary, int):
            return summary
        if not args.dry_run:  # a settled run's record is that of the run that settled it
            from seamlessflow.session import last_run

            last_run.keep(summary, seamlessfile.absolute().parent)
    if args.report:
        from seamlessflow.session.report import write_report

        write_report(summary, Path(args.report))
    if args.html:
        from seamlessflow.cli.cmd_report import write_page
        from seamlessflow.session.report import build_report

        write_page(seamlessfile, args.config, list(args.targets), build_report(summary),
                   Path(args.html))
    return EXIT_OK if summary.ok else EXIT_FAILED


def _describe(seamlessfile: Path, args: argparse.Namespace) -> int:
    """`--list` or `--summary`: what a run would involve, printed; nothing runs."""
    from seamlessflow.session.loading import load_dag

    dag = load_dag(seamlessfile, args.config, keep_plan=False)
    if args.list:
        from seamlessflow.cli.cmd_list import step_table
        from seamlessflow.session.run import select_for

        sys.stdout.write(step_table(dag, select_for(dag, args), args.stage))
        return EXIT_OK
    from seamlessflow.cli.file_summary import file_summary

    sys.stdout.write(file_summary(dag, args))
    return EXIT_OK


def _run(seamlessfile: Path, args: argparse.Namespace, settled_file: Path | None
         ) -> RunSummary | int:
    """The run the whole way: plan, identities, lookups, execution; an exit status when
    it was interrupted. A workflow that globs what it captures is run in two rounds
    (session/glob_rounds.py)."""
    from seamlessflow.session import glob_rounds
    from seamlessflow.session.loading import load_dag

    dag = load_dag(seamlessfile, args.config, keep_plan=not args.dry_run)
    found = glob_rounds.globs_over_captures(dag)
    if found and args.dry_run:
        for pattern, captures in found.items():
            glob_rounds.tell(args, f"note: {glob_rounds.describe(pattern, captures)}: this dry "
                                   "run shows the instances of the files there now; `run` "
                                   f"reads it again once {captures[0][0]} has run")
    elif found:
        first = glob_rounds.first_round(dag, found, args)
        summary = _execute(dag, first, None)
        if isinstance(summary, int) or not summary.ok:
            return summary
        args = glob_rounds.second_round(dag, args, first)
        dag = load_dag(seamlessfile, args.config)
    return _execute(dag, args, settled_file)


def _execute(dag: Dag, args: argparse.Namespace, settled_file: Path | None
             ) -> RunSummary | int:
    from seamlessflow.session.run import RunSession, Terminated, execute_in_loop

    session = RunSession(dag, args, settled_file=settled_file)
    summary = session.execute_without_loop()
    if summary is None:  # something must execute: only now is asyncio imported
        try:
            summary = execute_in_loop(session)
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, Terminated)
            print(f"{'terminated' if terminated else 'interrupted'}: running steps were "
                  "stopped, nothing was recorded for them", file=sys.stderr)
            return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    return summary
