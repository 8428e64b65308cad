"""The plan cache's form of a DAG gives back an equal DAG, every field included."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from seamlessflow.graph.link import link
from seamlessflow.graph.serialize import dag_from_data, dag_to_data
from seamlessflow.language.load import load_workflow

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = [REPO / "Seamlessfile.example",
             *sorted((REPO / "examples" / "workflows").glob("*/Seamlessfile"))]


@pytest.mark.parametrize("seamlessfile", WORKFLOWS, ids=lambda p: p.parent.name)
def test_round_trip_through_marshal(seamlessfile):
    dag = link(load_workflow(seamlessfile))
    back = dag_from_data(marshal.loads(marshal.dumps(dag_to_data(dag))))
    assert back == dag
    assert back.workflow.stages == dag.workflow.stages and back.workflow.source_files
    # where the stage settings are written (no part of their equality)
    assert [st.at for st in (back.workflow.default_stage, *back.workflow.stages.values())] == \
        [st.at for st in (dag.workflow.default_stage, *dag.workflow.stages.values())]


def test_another_format_is_refused(wf):
    wf.add("a", captures=("x.txt",))
    data = dag_to_data(link(wf.build()))
    with pytest.raises(ValueError):
        dag_from_data((data[0] + 1, *data[1:]))
