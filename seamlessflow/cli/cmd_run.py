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
    from seamlessflow.cli.display import TerminalDisplay
    from seamlessflow.session.options import RunOptions

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
    from seamlessflow.session.startup import find_seamlessfile

    seamlessfile = find_seamlessfile(args.seamlessfile)
    options = run_options(args)
    if args.list or args.summary:
        return _describe(seamlessfile, args, options)
    from seamlessflow.session.run import Terminated
    from seamlessflow.session.run_workflow import run_workflow

    try:
        summary = run_workflow(seamlessfile, options, terminal_display(args))
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        print(f"{'terminated' if terminated else 'interrupted'}: running steps were "
              "stopped, nothing was recorded for them", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    if args.html:
        from seamlessflow.cli.cmd_report import write_page
        from seamlessflow.session.report import build_report

        write_page(seamlessfile, args.config, list(args.targets), build_report(summary),
                   Path(args.html))
    return EXIT_OK if summary.ok else EXIT_FAILED


def run_options(args: argparse.Namespace) -> RunOptions:
    """The options of `run` (and `watch`) as the session layer takes them."""
    from seamlessflow.language.config import parse_overrides
    from seamlessflow.session.options import RunOptions

    limits = [amount for key, amount in args.resources if key == "mem"]  # the last one said
    return RunOptions(
        targets=tuple(args.targets), jobs=args.jobs, dry_run=args.dry_run,
        keep_going=args.keep_going, force=None if args.force is None else tuple(args.force),
        force_all=args.forceall, until=tuple(args.until), stage=args.stage, local=args.local,
        no_local_cache=args.no_local_cache, no_download=args.no_download,
        memory=limits[-1] if limits else None, config=parse_overrides(args.config) or None,
        report=args.report, keep_workspace=args.keep_workspace)


def terminal_display(args: argparse.Namespace) -> TerminalDisplay:
    from seamlessflow.cli.display import TerminalDisplay

    # -v prints each command too
    return TerminalDisplay(args.quiet, args.dry_run, args.printshellcmds or args.verbose,
                           args.jobs)


def _describe(seamlessfile: Path, args: argparse.Namespace, options: RunOptions) -> int:
    """`--list` or `--summary`: what a run would involve, printed; nothing runs."""
    from seamlessflow.session.loading import load_dag

    dag = load_dag(seamlessfile, options.config, keep_plan=False)
    if args.list:
        from seamlessflow.cli.cmd_list import step_table
        from seamlessflow.session.run import select_for

        sys.stdout.write(step_table(dag, select_for(dag, options), args.stage))
        return EXIT_OK
    from seamlessflow.cli.file_summary import file_summary

    sys.stdout.write(file_summary(dag, options))
    return EXIT_OK
