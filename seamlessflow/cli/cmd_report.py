"""Write the HTML report of the last run: the graph coloured by status, the timeline, the
failures, the instances and where each output file came from, in one self-contained page.
It runs nothing."""

from __future__ import annotations

import argparse
from pathlib import Path

from seamlessflow.cli.habits import add_config_option
from seamlessflow.errors import EXIT_OK

# Writes nothing but its output file, atomically: see main.entry.
NOTHING_TO_TEAR_DOWN = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", default="report.html",
                        help="where to write the page (default: report.html)")
    add_config_option(parser)
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="show only these steps, instances or paths and what they need")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.session import last_run
    from seamlessflow.session.startup import find_seamlessfile

    seamlessfile = find_seamlessfile(args.seamlessfile)
    record = last_run.load(seamlessfile.absolute().parent)
    write_page(seamlessfile, args.config, list(args.targets), record, Path(args.output))
    return EXIT_OK


def write_page(seamlessfile: Path, config: list[str], targets: list[str], record: dict | None,
               output: Path) -> None:
    """The page of `record` (a run report) for `targets` of the current plan; shared with
    `run --html FILE`."""
    from seamlessflow.cli.html_report import build_html, write_html
    from seamlessflow.graph.targets import select
    from seamlessflow.language.config import parse_overrides
    from seamlessflow.session.loading import load_dag

    dag = load_dag(seamlessfile, parse_overrides(config))
    page = build_html(dag, select(dag, targets), record, everything=not targets)
    write_html(page, output)
