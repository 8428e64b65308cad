"""Linking inputs to captures: edges, sources, order, and every link error."""

from __future__ import annotations

import pytest

from seamlessflow.errors import WorkflowError
from seamlessflow.graph.dag import ProjectSource, StepSource
from seamlessflow.graph.link import link


def _errors(workflow) -> list:
    with pytest.raises(WorkflowError) as info:
        link(workflow)
    return info.value.diagnostics


def test_file_edge_joins_capture_to_input(wf):
    wf.add("tokenize", inputs=("corpus/",), captures=("tokens.txt",))
    wf.add("count", inputs=("tokens.txt",), captures=("counts.txt",))
    dag = link(wf.build())
    assert dag.sources["tokenize"] == [ProjectSource("corpus")]
    assert dag.sources["count"] == [StepSource("tokenize", "tokens.txt")]
    assert dag.upstream == {"tokenize": [], "count": ["tokenize"]}
    assert dag.downstream == {"tokenize": ["count"], "count": []}
    assert dag.order == ["tokenize", "count"]


def test_renames_on_both_sides_link_by_project_path(wf):
    wf.add("make", captures=("out.tmp -> data/x.txt",))
    wf.add("use", inputs=("data/x.txt -> in.txt",), captures=("y",))
    dag = link(wf.build())
    # the source names the producer's workspace path: the key of its result mapping
    assert dag.sources["use"] == [StepSource("make", "out.tmp")]


def test_inputs_inside_a_captured_directory(wf):
    wf.add("build", captures=("work/ -> outdir/",))
    wf.add("one", inputs=("outdir/sub/f.txt",), captures=("a",))
    wf.add("sub", inputs=("outdir/sub/",), captures=("b",))
    wf.add("whole", inputs=("outdir/",), captures=("c",))
    dag = link(wf.build())
    assert dag.sources["one"] == [StepSource("build", "work", "sub/f.txt")]
    assert dag.sources["sub"] == [StepSource("build", "work", "sub")]
    assert dag.sources["whole"] == [StepSource("build", "work", "")]
    assert dag.downstream["build"] == ["one", "sub", "whole"]


def test_captured_stdout_feeds_downstream(wf):
    wf.add("report", stdout="report.txt")
    wf.add("read", inputs=("report.txt",), captures=("x",))
    dag = link(wf.build())
    assert dag.sources["read"] == [StepSource("report", "<stdout>")]


def test_a_path_next_to_a_captured_directory_is_a_project_file(wf):
    wf.add("build", captures=("out/",))
    wf.add("use", inputs=("out.txt", "outer/x"), captures=("y",))
    dag = link(wf.build())
    assert dag.sources["use"] == [ProjectSource("out.txt"), ProjectSource("outer/x")]
    assert dag.upstream["use"] == []


def test_fan_out_and_fan_in(wf):
    wf.add("tokenize", captures=("tokens.txt",))
    for n in (3, 5, 8):
        wf.add(f"count[n={n}]", inputs=("tokens.txt",), captures=(f"c -> counts/{n}.txt",),
               bindings={"n": n})
    wf.add("summary", inputs=("counts/3.txt", "counts/5.txt", "counts/8.txt", "tokens.txt"),
           captures=("summary.md",))
    dag = link(wf.build())
    assert dag.downstream["tokenize"] == ["count[n=3]", "count[n=5]", "count[n=8]", "summary"]
    assert dag.upstream["summary"] == ["count[n=3]", "count[n=5]", "count[n=8]", "tokenize"]
    assert dag.order == ["tokenize", "count[n=3]", "count[n=5]", "count[n=8]", "summary"]


def test_upstream_is_distinct_when_several_inputs_come_from_one_instance(wf):
    wf.add("make", captures=("a", "b"))
    wf.add("use", inputs=("a", "b"), captures=("c",))
    assert link(wf.build()).upstream["use"] == ["make"]


def test_order_puts_producers_first_and_otherwise_keeps_declaration_order(wf):
    wf.add("summary", inputs=("x", "y"), captures=("s",))
    wf.add("independent", captures=("i",))
    wf.add("make_y", inputs=("x",), captures=("y",))
    wf.add("make_x", captures=("x",))
    dag = link(wf.build())
    assert dag.order == ["independent", "make_x", "make_y", "summary"]
    position = {name: i for i, name in enumerate(dag.order)}
    for name, ups in dag.upstream.items():
        assert all(position[u] < position[name] for u in ups)


def test_two_instances_capturing_one_path(wf):
    wf.add("first", captures=("out.txt",))
    second = wf.add("second", captures=("tmp -> out.txt",))
    [diag] = _errors(wf.build())
    assert diag.pos == second.captures[0].pos
    assert "second captures out.txt" in diag.message and "first" in diag.message


def test_capture_inside_another_instances_captured_directory(wf):
    wf.add("build", captures=("out/",))
    inner = wf.add("extra", captures=("out/extra.txt",))
    [diag] = _errors(wf.build())
    assert diag.pos == inner.captures[0].pos
    assert "out/extra.txt lies inside out/" in diag.message and "build" in diag.message


def test_captured_directory_declared_after_a_file_inside_it(wf):
    wf.add("extra", captures=("out/extra.txt",))
    outer = wf.add("build", captures=("out/",))
    [diag] = _errors(wf.build())
    assert diag.pos == outer.captures[0].pos  # the second capture, naming the first
    assert "extra" in diag.message and "out/extra.txt lies inside out/" in diag.message


def test_input_directory_holding_captured_files_must_itself_be_captured(wf):
    for n in (3, 5):
        wf.add(f"count[n={n}]", captures=(f"c -> counts/{n}.txt",))
    reader = wf.add("summary", inputs=("counts/",), captures=("s",))
    [diag] = _errors(wf.build())
    assert diag.pos == reader.inputs[0].pos
    assert "count[n=3] captures counts/3.txt" in diag.message
    assert "count[n=5] captures counts/5.txt" in diag.message
    assert "list those files as inputs" in diag.hint


def test_input_that_is_the_instance_own_capture(wf):
    inst = wf.add("loop", inputs=("state.txt",), captures=("state.txt",))
    [diag] = _errors(wf.build())
    assert diag.pos == inst.inputs[0].pos
    assert "loop reads state.txt, which it captures itself" in diag.message


def test_input_inside_the_instance_own_captured_directory(wf):
    inst = wf.add("loop", inputs=("out/a.txt",), captures=("out/",))
    [diag] = _errors(wf.build())
    assert diag.pos == inst.inputs[0].pos
    assert "captures itself" in diag.message


def test_input_kind_must_match_the_capture_kind(wf):
    wf.add("make", captures=("results",))
    user = wf.add("use", inputs=("results/",), captures=("x",))
    [diag] = _errors(wf.build())
    assert diag.pos == user.inputs[0].pos
    assert "as a directory, but make captures it as a file" in diag.message


def test_three_cycle_is_reported_whole_at_a_step_in_it(wf):
    wf.add("source", captures=("seed",))
    first = wf.add("tokenize", inputs=("seed", "counts/3.txt"), captures=("tokens.txt",))
    wf.add("count[n=3]", inputs=("tokens.txt",), captures=("c -> counted.txt",))
    wf.add("relabel", inputs=("counted.txt",), captures=("counts/3.txt",))
    wf.add("after", inputs=("tokens.txt",), captures=("z",))
    [diag] = _errors(wf.build())
    assert diag.pos == first.pos
    assert diag.message == "cycle: tokenize -> count[n=3] -> relabel -> tokenize"
    assert "tokenize reads counts/3.txt from relabel" in diag.hint


def test_separate_cycles_are_each_reported(wf):
    wf.add("a", inputs=("b.txt",), captures=("a.txt",))
    wf.add("b", inputs=("a.txt",), captures=("b.txt",))
    wf.add("c", inputs=("d.txt",), captures=("c.txt",))
    wf.add("d", inputs=("c.txt",), captures=("d.txt",))
    messages = sorted(d.message for d in _errors(wf.build()))
    assert messages == ["cycle: a -> b -> a", "cycle: c -> d -> c"]


def test_all_link_errors_are_reported_together(wf):
    wf.add("first", captures=("out.txt",))
    wf.add("second", captures=("out.txt",))
    wf.add("loop", inputs=("self",), captures=("self",))
    assert len(_errors(wf.build())) == 2


def test_ten_thousand_instances_link_in_a_chain(wf):
    wf.add("s0", captures=("d/0.txt",))
    for i in range(1, 10_000):
        wf.add(f"s{i}", inputs=(f"d/{i - 1}.txt",), captures=(f"d/{i}.txt",))
    dag = link(wf.build())
    assert dag.order == [f"s{i}" for i in range(10_000)]
    assert dag.sources["s9999"] == [StepSource("s9998", "d/9998.txt")]
