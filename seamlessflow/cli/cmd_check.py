"""Parse, expand and link the Seamlessfile and check that every input exists and every
cluster its stages name is defined; run nothing."""

from __future__ import annotations

import argparse
import sys

from seamlessflow.cli.habits import add_config_option
from seamlessflow.errors import EXIT_OK, WorkflowError

# Writes nothing but its output: see main.entry.
NOTHING_TO_TEAR_DOWN = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)


def run(args: argparse.Namespace) -> int:
    from seamlessflow.language.config import parse_overrides
    from seamlessflow.scheduling.stages import check_stages
    from seamlessflow.session.glob_rounds import describe, globs_over_captures
    from seamlessflow.session.loading import load_dag, missing_inputs
    from seamlessflow.session.startup import find_seamlessfile

    dag = load_dag(find_seamlessfile(args.seamlessfile), parse_overrides(args.config))
    problems = missing_inputs(dag) + check_stages(dag.workflow)
    if problems:
        raise WorkflowError(problems)
    if not args.quiet:
        instances = dag.workflow.instances
        steps = len({inst.step for inst in instances.values()})
        print(f"ok: {_count(steps, 'step')}, {_count(len(instances), 'instance')}")
    for pattern, captures in globs_over_captures(dag).items():
        if not args.quiet:
            print(f"note: {describe(pattern, captures)}: the instances counted are those of "
                  f"the files there now; `run` reads it again once {captures[0][0]} has run",
                  file=sys.stderr, flush=True)
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
