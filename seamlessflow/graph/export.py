"""Export of the linked graph as Graphviz dot, Mermaid or JSON (`seamlessflow dag`).

Each format is rendered from one neutral node/edge description, so the instance graph
and the step graph (`--steps`) look the same in every format. The JSON shape is
documented in docs/graph.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from seamlessflow.graph.dag import Dag, StepSource
from seamlessflow.graph.link import shown_path
from seamlessflow.graph.model import Instance


@dataclass(frozen=True)
class Edge:
    source: str  # upstream node name
    target: str  # downstream node name
    path: str  # the project path that flows along it (trailing "/" for a directory)


@dataclass
class Graph:
    nodes: list[dict]  # JSON-ready; every node has a unique "name"
    edges: list[Edge]  # in input order, one per input item that an upstream node feeds


def instance_graph(dag: Dag, names: list[str] | None = None) -> Graph:
    """The instances `names` (all when None, in `dag.order`) and the edges among them."""
    chosen = list(dag.order) if names is None else names
    kept = set(chosen)
    nodes, edges = [], []
    for name in chosen:
        inst = dag.workflow.instances[name]
        nodes.append({
            "name": name,
            "step": inst.step,
            "bindings": inst.bindings,
            "inputs": [shown_path(i.project_path, i.is_dir) for i in inst.inputs],
            "captures": _captures(inst),
        })
        for item, source in zip(inst.inputs, dag.sources[name], strict=True):
            if isinstance(source, StepSource) and source.instance in kept:
                path = shown_path(item.project_path, item.is_dir)
                edges.append(Edge(source.instance, name, path))
    return Graph(nodes, edges)


def step_graph(dag: Dag, names: list[str] | None = None) -> Graph:
    """One node per step, an edge wherever an instance of one feeds an instance of another."""
    per_instance = instance_graph(dag, names)
    steps: dict[str, dict] = {}
    for node in per_instance.nodes:
        step = steps.setdefault(node["step"], {
            "name": node["step"], "step": node["step"], "instances": [],
            "inputs": [], "captures": [],
        })
        step["instances"].append(node["name"])
        for key in ("inputs", "captures"):
            step[key].extend(p for p in node[key] if p not in step[key])
    step_of = {node["name"]: node["step"] for node in per_instance.nodes}
    edges = dict.fromkeys(Edge(step_of[e.source], step_of[e.target], e.path)
                          for e in per_instance.edges)
    return Graph(list(steps.values()), list(edges))


def to_json(graph: Graph) -> str:
    body = {
        "nodes": graph.nodes,
        "edges": [{"from": e.source, "to": e.target, "path": e.path} for e in graph.edges],
    }
    # bindings come from YAML, which may hold dates: print those as text rather than fail
    return json.dumps(body, indent=2, default=str) + "\n"


def to_dot(graph: Graph) -> str:
    lines = ["digraph seamlessflow {", "    rankdir=LR;", "    node [shape=box];"]
    lines += [f"    {_dot_id(node['name'])};" for node in graph.nodes]
    lines += [f"    {_dot_id(a)} -> {_dot_id(b)};" for a, b in pairs(graph)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(graph: Graph) -> str:
    """Mermaid node ids must be plain words, so nodes get `n0, n1, ...` and a quoted label."""
    ids = {node["name"]: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    lines += [f'    {ids[node["name"]]}["{_mermaid_label(node["name"])}"]' for node in graph.nodes]
    lines += [f"    {ids[a]} --> {ids[b]}" for a, b in pairs(graph)]
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[Graph], str]] = {
    "dot": to_dot,
    "mermaid": to_mermaid,
    "json": to_json,
}


def pairs(graph: Graph) -> list[tuple[str, str]]:
    """Distinct (upstream, downstream) pairs: a picture needs one arrow, not one per file."""
    return list(dict.fromkeys((e.source, e.target) for e in graph.edges))


def _dot_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mermaid_label(name: str) -> str:
    """Mermaid has no backslash escapes inside quotes; it takes HTML entity codes."""
    for char, code in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        name = name.replace(char, code)
    return name


def _captures(inst: Instance) -> list[str]:
    paths = [shown_path(c.project_path, c.is_dir) for c in inst.captures]
    if inst.stdout is not None:
        paths.append(inst.stdout)
    return paths
