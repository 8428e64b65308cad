"""A linked DAG as plain builtins (tuples, lists, dicts, str, int), and back.

The plan cache stores this with `marshal`, which only knows builtins and so cannot be
made to run code when it is read (pickle can). Rebuilding the objects from tuples is
also several times faster than unpickling dataclasses: a no-op run of 5,000 instances
must not spend its budget recreating what it parsed last time.

Source positions repeat across all instances of a swept step, so they are written once
in a table and referred to by index; equal strings are shared by marshal itself.
"""

from __future__ import annotations

from seamlessflow.errors import SourcePos
from seamlessflow.graph.dag import Dag, ProjectSource, Source, StepSource
from seamlessflow.graph.model import CaptureItem, InputItem, Instance, StageSettings, Workflow

FORMAT = 3


class _Positions:
    def __init__(self) -> None:
        self.table: list[tuple[str, int, int]] = []
        self._index: dict[SourcePos, int] = {}

    def ref(self, pos: SourcePos | None) -> int:
        if pos is None:
            return -1
        index = self._index.get(pos)
        if index is None:
            index = self._index[pos] = len(self.table)
            self.table.append((pos.file, pos.line, pos.column))
        return index


def dag_to_data(dag: Dag) -> tuple:
    positions = _Positions()
    wf = dag.workflow
    instances = [_instance_data(inst, positions) for inst in wf.instances.values()]
    sources = [[s.path if isinstance(s, ProjectSource) else (s.instance, s.capture, s.subpath)
                for s in dag.sources[name]] for name in wf.instances]
    stages = {name: _stage_data(st, positions) for name, st in wf.stages.items()}
    workflow = (wf.root, wf.seamlessfile, wf.project, _stage_data(wf.default_stage, positions),
                stages, wf.source_files, wf.globs)
    return (FORMAT, positions.table, workflow, instances, sources, dag.upstream, dag.downstream,
            dag.order)


def dag_from_data(data: tuple) -> Dag:
    """Raises ValueError (or TypeError/KeyError on a damaged file) when `data` is not ours."""
    fmt, table, workflow, instances, sources, upstream, downstream, order = data
    if fmt != FORMAT:
        raise ValueError(f"plan format {fmt!r}, expected {FORMAT}")
    positions = [SourcePos(*entry) for entry in table]
    root, seamlessfile, project, default_stage, stages, source_files, globs = workflow
    made = [_instance_from(entry, positions) for entry in instances]
    wf = Workflow(
        root=root, seamlessfile=seamlessfile, instances={inst.name: inst for inst in made},
        project=project, default_stage=_stage_from(default_stage, positions),
        stages={name: _stage_from(st, positions) for name, st in stages.items()},
        source_files=source_files, globs=globs,
    )
    linked: dict[str, list[Source]] = {
        inst.name: [ProjectSource(s) if isinstance(s, str) else StepSource(*s) for s in entry]
        for inst, entry in zip(made, sources, strict=True)
    }
    return Dag(wf, linked, upstream, downstream, order)


def _instance_data(inst: Instance, positions: _Positions) -> tuple:
    ref = positions.ref
    return (
        inst.name, inst.step, inst.bindings, inst.language, inst.code,
        [(i.project_path, i.workspace_path, i.is_dir, ref(i.pos)) for i in inst.inputs],
        inst.params,
        [(c.workspace_path, c.project_path, c.is_dir, ref(c.pos)) for c in inst.captures],
        ref(inst.pos), inst.stdout, ref(inst.stdout_pos), inst.metavars, inst.stage,
        ref(inst.stage_pos), inst.scratch, inst.retries, inst.timeout, inst.cores,
        inst.memory, ref(inst.code_pos),
    )


def _instance_from(entry: tuple, positions: list[SourcePos]) -> Instance:
    (name, step, bindings, language, code, inputs, params, captures, pos, stdout, stdout_pos,
     metavars, stage, stage_pos, scratch, retries, timeout, cores, memory, code_pos) = entry
    return Instance(
        name, step, bindings, language, code,
        [InputItem(p, w, d, positions[i]) for p, w, d, i in inputs],
        params,
        [CaptureItem(w, p, d, positions[i]) for w, p, d, i in captures],
        positions[pos], stdout, _at(positions, stdout_pos), metavars, stage,
        _at(positions, stage_pos), scratch, retries, timeout, cores, memory,
        _at(positions, code_pos),
    )


def _stage_data(st: StageSettings, positions: _Positions) -> tuple:
    # a workflow's settings are all from its Seamlessfiles: positions, never config items
    at = {key: positions.ref(pos) for key, pos in st.at.items() if isinstance(pos, SourcePos)}
    return (st.execution, st.remote, st.cluster, st.workers, positions.ref(st.pos), at)


def _stage_from(entry: tuple, positions: list[SourcePos]) -> StageSettings:
    execution, remote, cluster, workers, pos, at = entry
    return StageSettings(execution, remote, cluster, workers, _at(positions, pos),
                         {key: positions[index] for key, index in at.items()})


def _at(positions: list[SourcePos], index: int) -> SourcePos | None:
    return None if index < 0 else positions[index]
