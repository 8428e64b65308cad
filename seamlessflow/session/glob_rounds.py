"""Workflows whose shape depends on what they make: a glob() over what a step captures.

`step split` captures `chunks/`, `step per for c in glob("chunks/{c}.txt")` sweeps over
what it made (Snakemake's checkpoints). The instances of a workflow are fixed when it is
read, and then `chunks/` holds what an earlier run left there, or nothing. So `run`
first runs the instances that capture what such globs list, then reads the workflow
again, with the globs matching what they made, and runs it all (they are cached by then).
A dry run cannot run them: it says that it shows the instances of the files there now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from seamlessflow.graph.dag import Dag

if TYPE_CHECKING:
    from seamlessflow.session.options import RunOptions


def globs_over_captures(dag: Dag) -> dict[str, list[tuple[str, str]]]:
    """pattern -> (instance, path) of the captures each such glob() lists; {} for a
    workflow without them (the usual case, decided without importing anything)."""
    if not dag.workflow.globs:
        return {}
    from seamlessflow.language.glob_sweeps import captured_globs

    return captured_globs(dag.workflow.globs, dag.workflow.instances.values())


def producers(dag: Dag, found: dict[str, list[tuple[str, str]]]) -> list[str]:
    """The instances to run before the workflow is read again, in DAG order."""
    names = {name for captures in found.values() for name, _ in captures}
    return [name for name in dag.order if name in names]


def describe(pattern: str, captures: list[tuple[str, str]]) -> str:
    name, path = captures[0]
    more = f" (and {len(captures) - 1} more)" if len(captures) > 1 else ""
    return f'glob("{pattern}") lists {path}, which {name} captures{more}'


def first_round(dag: Dag, found: dict[str, list[tuple[str, str]]], options: RunOptions,
                announce: Callable[[str], None]) -> RunOptions:
    """The options of the first round (the same options, the instances that make what
    the globs list as targets), announced. A `--force` without names keeps meaning the
    user's targets, not these. Its summary line is left to the second round, unless it
    fails (then there is none)."""
    announce("running first what globs list: " + "; ".join(
        describe(pattern, captures) for pattern, captures in found.items()))
    force = options.targets if options.force == () and options.targets else options.force
    return options._replace(targets=tuple(producers(dag, found)), force=force)


def second_round(dag: Dag, options: RunOptions, first: RunOptions,
                 announce: Callable[[str], None]) -> RunOptions:
    """The options of the second round, announced: the user's `options`, without
    `--force` of what the `first` round ran (forced once is enough; forced again, it
    could make something else than what the globs were just read from). `-F` and a
    `--force` without names become the names they stand for: every step, or the
    targets."""
    announce("reading the Seamlessfile again, with the globs matching what they made")
    ran = set(first.targets)
    ran |= {dag.workflow.instances[name].step for name in ran}
    force = options.force
    if options.force_all or (force == () and not options.targets):
        force = tuple(dict.fromkeys(inst.step for inst in dag.workflow.instances.values()))
    elif force == ():
        force = options.targets
    if force is not None:
        force = tuple(f for f in force if f not in ran) or None
    return options._replace(force=force, force_all=False)
