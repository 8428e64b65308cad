"""dot, mermaid and JSON renderings of the instance and step graphs."""

from __future__ import annotations

import json
import re

import pytest

from seamlessflow.graph.export import instance_graph, step_graph, to_dot, to_json, to_mermaid
from seamlessflow.graph.link import link


@pytest.fixture
def dag(wf):
    wf.add("tokenize", inputs=("corpus/",), captures=("tokens.txt",))
    for n in (3, 5):
        wf.add(f"count[n={n},m=x]", inputs=("tokens.txt",), captures=(f"c -> counts/{n}.txt",),
               bindings={"n": n, "m": "x"}, step="count")
    wf.add("summary", inputs=("counts/3.txt", "counts/5.txt", "tokens.txt"),
           captures=("summary.md",), stdout="summary.log")
    return link(wf.build())


def _mermaid_edges(text: str) -> set[tuple[str, str]]:
    labels = dict(re.findall(r'^\s+(n\d+)\["(.*)"\]$', text, re.M))
    return {(labels[a], labels[b]) for a, b in re.findall(r"^\s+(n\d+) --> (n\d+)$", text, re.M)}


def test_json_instance_graph(dag):
    data = json.loads(to_json(instance_graph(dag)))
    by_name = {node["name"]: node for node in data["nodes"]}
    assert list(by_name) == dag.order
    assert by_name["count[n=3,m=x]"] == {
        "name": "count[n=3,m=x]", "step": "count", "bindings": {"n": 3, "m": "x"},
        "inputs": ["tokens.txt"], "captures": ["counts/3.txt"],
    }
    assert by_name["tokenize"]["inputs"] == ["corpus/"]
    assert by_name["summary"]["captures"] == ["summary.md", "summary.log"]
    assert {"from": "count[n=5,m=x]", "to": "summary", "path": "counts/5.txt"} in data["edges"]
    assert len(data["edges"]) == 5  # two into the counts, three into summary


def test_json_step_graph(dag):
    data = json.loads(to_json(step_graph(dag)))
    assert [n["name"] for n in data["nodes"]] == ["tokenize", "count", "summary"]
    assert data["nodes"][1]["instances"] == ["count[n=3,m=x]", "count[n=5,m=x]"]
    pairs = {(e["from"], e["to"]) for e in data["edges"]}
    assert pairs == {("tokenize", "count"), ("count", "summary"), ("tokenize", "summary")}


def test_dot_quotes_names_and_has_one_arrow_per_pair(dag):
    text = to_dot(instance_graph(dag))
    assert text.startswith("digraph seamlessflow {") and text.rstrip().endswith("}")
    assert '    "tokenize" -> "count[n=3,m=x]";' in text
    assert '    "count[n=5,m=x]" -> "summary";' in text
    assert text.count('"tokenize" -> "summary"') == 1


def test_dot_escapes_quotes_and_backslashes(wf):
    wf.add('make[s=a"b\\c]', captures=("x",), step="make")
    wf.add("use", inputs=("x",), captures=("y",))
    text = to_dot(instance_graph(link(wf.build())))
    assert '    "make[s=a\\"b\\\\c]" -> "use";' in text


def test_mermaid_edges_and_labels(dag):
    text = to_mermaid(instance_graph(dag))
    assert text.startswith("flowchart LR\n")
    assert _mermaid_edges(text) == {
        ("tokenize", "count[n=3,m=x]"), ("tokenize", "count[n=5,m=x]"),
        ("count[n=3,m=x]", "summary"), ("count[n=5,m=x]", "summary"), ("tokenize", "summary"),
    }


def test_mermaid_escapes_quotes(wf):
    wf.add('make[s=a"b]', captures=("x",), step="make")
    text = to_mermaid(instance_graph(link(wf.build())))
    assert 'n0["make[s=a#quot;b]"]' in text


def test_mermaid_step_graph(dag):
    assert _mermaid_edges(to_mermaid(step_graph(dag))) == {
        ("tokenize", "count"), ("count", "summary"), ("tokenize", "summary")}


def test_subgraph_keeps_only_edges_among_chosen_instances(dag):
    data = json.loads(to_json(instance_graph(dag, ["tokenize", "count[n=3,m=x]"])))
    assert [e["to"] for e in data["edges"]] == ["count[n=3,m=x]"]
