"""List the steps (of the targets, or all): how many instances each has, and their stages.

The same as `run --list`. Writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from seamlessflow.cli.habits import add_config_option
from seamlessflow.errors import EXIT_OK

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag

# Writes nothing but its output: see main.entry.
NOTHING_TO_TEAR_DOWN = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="list only the steps these steps, instances or paths need")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.graph.targets import select
    from seamlessflow.language.config import parse_overrides
    from seamlessflow.session.loading import load_dag
    from seamlessflow.session.startup import find_seamlessfile

    dag = load_dag(find_seamlessfile(args.seamlessfile), parse_overrides(args.config))
    sys.stdout.write(step_table(dag, select(dag, list(args.targets)), None))
    return EXIT_OK


def step_table(dag: Dag, names: list[str], stage: str | None) -> str:
    """A line per step of `names`, in the order the workflow first needs it: its name,
    its number of instances and its stages (`stage`, else `default`, for instances
    that name none)."""
    counts: dict[str, int] = {}
    stages: dict[str, dict[str, None]] = {}
    for name in names:
        inst = dag.workflow.instances[name]
        counts[inst.step] = counts.get(inst.step, 0) + 1
        stages.setdefault(inst.step, {})[inst.stage or stage or "default"] = None
    width = max([len("step"), *map(len, counts)])
    lines = [f"{'step':<{width}}  instances  stage"]
    lines += [f"{step:<{width}}  {count:>9}  {', '.join(stages[step])}"
              for step, count in counts.items()]
    return "\n".join(lines) + "\n"
