"""Target selection: which instances a `run`/`dag` with TARGET arguments has to consider.

A user names what they want the way Make and Snakemake let them: a step, one instance,
or a file the workflow produces. Everything those need upstream comes along.
"""

from __future__ import annotations

from seamlessflow.errors import UsageError
from seamlessflow.graph.dag import Dag
from seamlessflow.graph.link import CaptureIndex


def select(dag: Dag, targets: list[str]) -> list[str]:
    """The instances needed for `targets` (all when empty), in `dag.order`."""
    if not targets:
        return list(dag.order)
    wanted = named(dag, targets)
    needed = set(wanted)
    stack = list(wanted)
    while stack:
        for up in dag.upstream[stack.pop()]:
            if up not in needed:
                needed.add(up)
                stack.append(up)
    return [name for name in dag.order if name in needed]


def named(dag: Dag, targets: list[str]) -> list[str]:
    """The instances `targets` name themselves, without what they need."""
    wanted: list[str] = []
    unknown: list[str] = []
    resolver = _Resolver(dag)
    for target in targets:
        names = resolver.resolve(target)
        if names:
            wanted.extend(names)
        else:
            unknown.append(target)
    if unknown:
        raise UsageError("; ".join(resolver.explain_unknown(t) for t in unknown))
    return wanted


class _Resolver:
    """Looks a target up as an instance, a step, a captured path, or a directory of those."""

    def __init__(self, dag: Dag):
        self.instances = dag.workflow.instances
        self.by_step: dict[str, list[str]] = {}
        for inst in self.instances.values():
            self.by_step.setdefault(inst.step, []).append(inst.name)
        self.captures = CaptureIndex(dag.workflow)

    def resolve(self, target: str) -> list[str]:
        if target in self.instances:
            return [target]
        if target in self.by_step:
            return self.by_step[target]
        path = _normalize(target)
        found = self.captures.find(path)
        if found is not None:
            return [found[0].instance]
        # A directory whose files are produced by several instances: all of them, as
        # `make dir/*` would be if Make had globs over targets.
        return list(dict.fromkeys(p.instance for p in self.captures.beneath.get(path, [])))

    def explain_unknown(self, target: str) -> str:
        candidates = list(dict.fromkeys([*self.by_step, *self.instances, *self.captures.paths]))
        import difflib  # only when a target is unknown

        close = difflib.get_close_matches(target, candidates, n=1, cutoff=0.6)
        message = (f"unknown target '{target}': not a step, an instance or a path that a "
                   "step captures")
        if close:
            message += " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"
        return message


def _normalize(target: str) -> str:
    """`./counts/` and `counts` name the same project path."""
    while target.startswith("./"):
        target = target[2:]
    return target.rstrip("/")
