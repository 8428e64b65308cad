"""Print the instance graph (or, with --steps, the step graph) as dot, mermaid or JSON, or
draw it as an SVG picture or an HTML page, coloured by the status of the last run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from seamlessflow.cli.habits import add_config_option
from seamlessflow.errors import EXIT_OK

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag

# Writes nothing but its output: see main.entry.
NOTHING_TO_TEAR_DOWN = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["dot", "mermaid", "json", "svg", "html"],
                        default="dot", help="output format (default: dot); svg and html draw "
                        "the graph, coloured by the status of the last run")
    parser.add_argument("--steps", action="store_true",
                        help="one node per step instead of one per instance")
    add_config_option(parser)
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="show only these steps, instances or paths and what they need")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.graph.targets import select
    from seamlessflow.language.config import parse_overrides
    from seamlessflow.session.loading import load_dag
    from seamlessflow.session.startup import find_seamlessfile

    dag = load_dag(find_seamlessfile(args.seamlessfile), parse_overrides(args.config))
    names = select(dag, list(args.targets))
    if args.format in ("svg", "html"):
        sys.stdout.write(_picture(dag, names, args))
        return EXIT_OK
    from seamlessflow.graph.export import FORMATS, instance_graph, step_graph

    graph = (step_graph if args.steps else instance_graph)(dag, names)
    sys.stdout.write(FORMATS[args.format](graph))
    return EXIT_OK


def _picture(dag: Dag, names: list[str], args: argparse.Namespace) -> str:
    """The graph drawn (graph/svg.py); each sweep as one box when there are many instances."""
    from seamlessflow.graph import svg
    from seamlessflow.session import last_run

    root = Path(dag.workflow.root)
    graph = svg.picture_graph(dag, names, args.steps)
    statuses = last_run.statuses(last_run.load(root))
    if args.format == "svg":
        return svg.to_svg(graph, statuses)
    return svg.to_html(graph, statuses, title=f"{root.name}: the graph")
