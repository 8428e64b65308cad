"""Print the instance graph (or, with --steps, the step graph) as dot, mermaid or JSON."""

from __future__ import annotations

import argparse
import sys

from seamlessflow.cli.habits import add_config_option
from seamlessflow.errors import EXIT_OK

# Writes nothing but its output: see main.entry.
NOTHING_TO_TEAR_DOWN = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["dot", "mermaid", "json"], default="dot",
                        help="output format (default: dot)")
    parser.add_argument("--steps", action="store_true",
                        help="one node per step instead of one per instance")
    add_config_option(parser)
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="show only these steps, instances or paths and what they need")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.loading import load_dag
    from seamlessflow.cli.startup import find_seamlessfile
    from seamlessflow.graph.export import FORMATS, instance_graph, step_graph
    from seamlessflow.graph.targets import select

    dag = load_dag(find_seamlessfile(args.seamlessfile), args.config)
    names = select(dag, list(args.targets))
    graph = (step_graph if args.steps else instance_graph)(dag, names)
    sys.stdout.write(FORMATS[args.format](graph))
    return EXIT_OK
