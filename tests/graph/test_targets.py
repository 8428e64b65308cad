"""Selecting the instances that targets need."""

from __future__ import annotations

import pytest

from seamlessflow.errors import UsageError
from seamlessflow.graph.link import link
from seamlessflow.graph.targets import select


@pytest.fixture
def dag(wf):
    wf.add("tokenize", inputs=("corpus/",), captures=("tokens.txt",))
    for n in (3, 5):
        wf.add(f"count[n={n}]", inputs=("tokens.txt",), captures=(f"c -> counts/{n}.txt",),
               bindings={"n": n})
    wf.add("summary", inputs=("counts/3.txt", "counts/5.txt"), captures=("summary.md",))
    wf.add("bundle", inputs=("tokens.txt",), captures=("out/ -> bundle/",))
    wf.add("other", captures=("other.txt",))
    return link(wf.build())


def test_no_target_means_every_instance_in_order(dag):
    assert select(dag, []) == dag.order


def test_step_target_takes_all_its_instances_and_their_upstream(dag):
    assert select(dag, ["count"]) == ["tokenize", "count[n=3]", "count[n=5]"]


def test_instance_target(dag):
    assert select(dag, ["count[n=5]"]) == ["tokenize", "count[n=5]"]


def test_captured_path_target(dag):
    assert select(dag, ["counts/3.txt"]) == ["tokenize", "count[n=3]"]
    assert select(dag, ["./summary.md"]) == ["tokenize", "count[n=3]", "count[n=5]", "summary"]


def test_path_inside_a_captured_directory(dag):
    assert select(dag, ["bundle/deep/file.txt"]) == ["tokenize", "bundle"]
    assert select(dag, ["bundle/"]) == ["tokenize", "bundle"]


def test_directory_of_captured_files_takes_their_producers(dag):
    assert select(dag, ["counts/"]) == ["tokenize", "count[n=3]", "count[n=5]"]


def test_several_targets_are_merged_in_dag_order(dag):
    assert select(dag, ["other", "count[n=3]", "tokenize"]) == [
        "tokenize", "count[n=3]", "other"]


def test_unknown_target_suggests_a_close_name(dag):
    with pytest.raises(UsageError) as info:
        select(dag, ["summry"])
    message = str(info.value)
    assert "unknown target 'summry'" in message
    assert "did you mean 'summary'" in message


def test_unknown_path_target_suggests_a_captured_path(dag):
    with pytest.raises(UsageError) as info:
        select(dag, ["tokens.tx", "count"])
    assert "did you mean 'tokens.txt'" in str(info.value)


def test_project_input_is_not_a_target(dag):
    with pytest.raises(UsageError, match="unknown target 'corpus/'"):
        select(dag, ["corpus/"])
