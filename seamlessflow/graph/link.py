"""Linking: turn the expanded workflow into a DAG by matching input paths to capture paths.

Pure (no I/O): whether a `ProjectSource` exists on disk is the front end's business.
Everything is keyed by path in dicts, and directory containment is answered by looking
up each parent prefix of a path, so linking stays linear in the number of items.
"""

from __future__ import annotations

import heapq
from typing import NamedTuple

from seamlessflow.errors import Diagnostic, SourcePos, WorkflowError
from seamlessflow.graph.dag import Dag, ProjectSource, Source, StepSource
from seamlessflow.graph.model import Workflow
from seamlessflow.graph.reserved import ReservedPaths, stdout_key_diagnostic
from seamlessflow.identity.transformation import STDOUT_KEY


class Producer(NamedTuple):
    """One project path written by an instance: a capture, or its captured standard output."""

    instance: str
    capture: str  # the key of the instance's result mapping
    project_path: str
    is_dir: bool
    pos: SourcePos
    seq: int  # declaration order over all captures, to tell which of two came second


def parent_prefixes(path: str) -> list[str]:
    """`a`, `a/b` for `a/b/c`: the directories that would contain the path."""
    prefixes = []
    cut = path.find("/")
    while cut != -1:
        prefixes.append(path[:cut])
        cut = path.find("/", cut + 1)
    return prefixes


class CaptureIndex:
    """Every captured project path of a workflow, its producer, and the clashes between them.

    On a clash the first declaration keeps the path, so that later errors (and target
    lookups) still have one producer to name.
    """

    def __init__(self, workflow: Workflow):
        self.paths: dict[str, Producer] = {}
        # directory path -> producers of captured paths inside it, at any depth
        self.beneath: dict[str, list[Producer]] = {}
        self.problems: list[Diagnostic] = []
        reserved = ReservedPaths(workflow)
        refused: set[SourcePos] = set()  # a swept capture is reported once, not per instance
        seq = 0
        for inst in workflow.instances.values():
            items = [(c.workspace_path, c.project_path, c.is_dir, c.pos) for c in inst.captures]
            for key, _, _, pos in items:
                if key == STDOUT_KEY and pos not in refused:
                    refused.add(pos)
                    self.problems.append(stdout_key_diagnostic(inst.name, pos))
            if inst.stdout is not None:
                items.append((STDOUT_KEY, inst.stdout, False, inst.stdout_pos or inst.pos))
            for key, path, is_dir, pos in items:
                problem = None if pos in refused else reserved.problem(inst.name, path, is_dir, pos)
                if problem is not None:
                    refused.add(pos)
                    self.problems.append(problem)
                producer = Producer(inst.name, key, path, is_dir, pos, seq)
                seq += 1
                first = self.paths.setdefault(path, producer)
                if first is not producer:
                    self.problems.append(Diagnostic(
                        pos,
                        f"{producer.instance} captures {_shown(producer)}, "
                        f"which {first.instance} already captures",
                        f"{first.instance} captures it at {_at(first.pos)}; "
                        "give one of the two another project path",
                    ))
        self._dirs = {path for path, producer in self.paths.items() if producer.is_dir}
        for producer in self.paths.values():
            for prefix in parent_prefixes(producer.project_path):
                self.beneath.setdefault(prefix, []).append(producer)
                outer = self.paths.get(prefix)
                if outer is not None:
                    self.problems.append(_nested_capture_diagnostic(outer, producer))

    def find(self, path: str) -> tuple[Producer, str] | None:
        """The producer of `path` and the subpath inside its captured directory ("" if exact)."""
        exact = self.paths.get(path)
        if exact is not None:
            return exact, ""
        if self._dirs:  # without captured directories no prefix can match
            for prefix in parent_prefixes(path):
                if prefix in self._dirs:
                    return self.paths[prefix], path[len(prefix) + 1:]
        return None


def _nested_capture_diagnostic(outer: Producer, inner: Producer) -> Diagnostic:
    """At the later of the two captures, naming the earlier one."""
    first, second = sorted((outer, inner), key=lambda p: p.seq)
    return Diagnostic(
        second.pos,
        f"{second.instance} captures {_shown(second)} and {first.instance} captures "
        f"{_shown(first)}: {_shown(inner)} lies inside {_shown(outer)}",
        f"{first.instance} captures {_shown(first)} at {_at(first.pos)}; "
        "an instance's captured directory is wholly its own",
    )


def link(workflow: Workflow) -> Dag:
    """Join every input to the instance that captures it; raise all link errors at once."""
    captures = CaptureIndex(workflow)
    problems = list(captures.problems)
    sources: dict[str, list[Source]] = {}
    upstream: dict[str, list[str]] = {}
    for inst in workflow.instances.values():
        inst_sources: list[Source] = []
        needs: dict[str, None] = {}
        for item in inst.inputs:
            found = captures.find(item.project_path)
            if found is None:
                inner = captures.beneath.get(item.project_path)
                if inner:
                    problems.append(_uncaptured_dir_diagnostic(item.project_path, item.pos, inner))
                inst_sources.append(ProjectSource(item.project_path))
                continue
            producer, subpath = found
            if producer.instance == inst.name:
                problems.append(Diagnostic(
                    item.pos,
                    f"{inst.name} reads {shown_path(item.project_path, item.is_dir)}, "
                    "which it captures itself",
                    f"captured at {_at(producer.pos)}; a step cannot read its own output",
                ))
            elif not subpath and producer.is_dir != item.is_dir:
                problems.append(Diagnostic(
                    item.pos,
                    f"{inst.name} reads {shown_path(item.project_path, item.is_dir)} as a "
                    f"{'directory' if item.is_dir else 'file'}, but {producer.instance} "
                    f"captures it as a {'directory' if producer.is_dir else 'file'}",
                    f"write {_shown(producer)}, as the capture at {_at(producer.pos)} does",
                ))
            else:
                needs[producer.instance] = None
            inst_sources.append(StepSource(producer.instance, producer.capture, subpath))
        sources[inst.name] = inst_sources
        upstream[inst.name] = list(needs)
    if problems:
        raise WorkflowError(problems)
    downstream: dict[str, list[str]] = {name: [] for name in workflow.instances}
    for name, ups in upstream.items():
        for up in ups:
            downstream[up].append(name)
    dag = Dag(workflow, sources, upstream, downstream)
    dag.order = topological_order(dag)
    return dag


def topological_order(dag: Dag) -> list[str]:
    """Kahn's algorithm, always taking the earliest-declared ready instance, so that a
    workflow already written in dependency order keeps its order; raises on a cycle."""
    position = {name: i for i, name in enumerate(dag.workflow.instances)}
    waiting = {name: len(ups) for name, ups in dag.upstream.items()}
    ready = [position[name] for name, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    names = list(dag.workflow.instances)
    order: list[str] = []
    while ready:
        name = names[heapq.heappop(ready)]
        order.append(name)
        for down in dag.downstream[name]:
            waiting[down] -= 1
            if waiting[down] == 0:
                heapq.heappush(ready, position[down])
    if len(order) < len(names):
        done = set(order)
        raise WorkflowError(_cycle_diagnostics(dag, [n for n in names if n not in done]))
    return order


def _cycle_diagnostics(dag: Dag, stuck: list[str]) -> list[Diagnostic]:
    """One diagnostic per cycle (one per strongly connected component), naming every
    member in order, starting from and reported at its earliest-declared instance."""
    import networkx as nx  # only once a cycle is known to exist

    graph = nx.DiGraph()
    graph.add_nodes_from(stuck)
    stuck_set = set(stuck)
    graph.add_edges_from((up, name) for name in stuck for up in dag.upstream[name]
                         if up in stuck_set)
    position = {name: i for i, name in enumerate(dag.workflow.instances)}
    problems = []
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            continue  # waits on a cycle without being part of one
        start = min(component, key=position.__getitem__)
        edges = nx.find_cycle(graph.subgraph(component), source=start)
        members = [edge[0] for edge in edges]
        inst = dag.workflow.instances[start]
        reads = [_edge_reason(dag, edge[1], edge[0]) for edge in edges]
        problems.append(Diagnostic(
            inst.pos,
            "cycle: " + " -> ".join([*members, start]),
            "; ".join(reads),
        ))
    return problems


def _edge_reason(dag: Dag, reader: str, producer: str) -> str:
    inst = dag.workflow.instances[reader]
    for item, source in zip(inst.inputs, dag.sources[reader], strict=True):
        if isinstance(source, StepSource) and source.instance == producer:
            return f"{reader} reads {shown_path(item.project_path, item.is_dir)} from {producer}"
    raise AssertionError(f"no input of {reader} comes from {producer}")


def _uncaptured_dir_diagnostic(path: str, pos: SourcePos, inner: list[Producer]) -> Diagnostic:
    shown = ", ".join(f"{p.instance} captures {_shown(p)}" for p in inner[:3])
    if len(inner) > 3:
        shown += f" (and {len(inner) - 3} more)"
    listed = ", ".join(_shown(p) for p in inner[:3]) + (", ..." if len(inner) > 3 else "")
    return Diagnostic(
        pos,
        f"input {path}/ holds files that steps produce, but no step captures {path}/ "
        f"itself: {shown}",
        f"list those files as inputs instead ({listed})",
    )


def _at(pos: SourcePos) -> str:
    """A short position for hints; the diagnostic's own position carries the full path."""
    return f"{pos.file.rsplit('/', 1)[-1]}:{pos.line}"


def _shown(producer: Producer) -> str:
    return shown_path(producer.project_path, producer.is_dir)


def shown_path(path: str, is_dir: bool) -> str:
    """A path as a Seamlessfile writes it: a trailing `/` marks a directory."""
    return path + "/" if is_dir else path
