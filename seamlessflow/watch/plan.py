"""What one round of watching works from: the linked DAG and what it reads from disk."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from seamlessflow.graph.dag import Dag, ProjectSource

if TYPE_CHECKING:
    from seamlessflow.session.options import RunOptions


@dataclass
class Plan:
    """The workflow as last loaded. `dag` is None when the Seamlessfile could not be loaded:
    then only `sources` are watched, for the edit that fixes it."""

    root: str  # the project folder, absolute
    sources: list[str]  # the Seamlessfile, its includes and config file, absolute
    dag: Dag | None = None
    glob_patterns: list[str] = field(default_factory=list)
    inputs: list[tuple[str, bool]] = field(default_factory=list)  # (project path, is_dir)
    outputs: list[str] = field(default_factory=list)  # project paths any instance writes


def load_plan(seamlessfile: Path, options: RunOptions) -> Plan:
    """Parse, link and select the targets; raises the SeamlessflowError `run` would."""
    from seamlessflow.session.loading import load_dag
    from seamlessflow.session.run import select_for

    dag = load_dag(seamlessfile, options.config)
    workflow = dag.workflow
    selected = select_for(dag, options)
    inputs: dict[tuple[str, bool], None] = {}  # ordered, distinct
    for name in selected:
        for item, source in zip(workflow.instances[name].inputs, dag.sources[name], strict=True):
            if isinstance(source, ProjectSource):
                inputs[(source.path, item.is_dir)] = None
    outputs = []
    for inst in workflow.instances.values():  # all of them: another target's outputs too
        outputs.extend(c.project_path for c in inst.captures)
        if inst.stdout is not None:
            outputs.append(inst.stdout)
    return Plan(
        root=os.path.abspath(workflow.root),
        sources=[os.path.abspath(s) for s in workflow.source_files],
        dag=dag,
        glob_patterns=list(workflow.globs),
        inputs=list(inputs),
        outputs=outputs,
    )


def broken_plan(seamlessfile: Path, previous: Plan | None) -> Plan:
    """The plan while the Seamlessfile does not load: watch the files it was made of
    (an include may be where the mistake is), or the Seamlessfile alone at start-up."""
    main = os.path.abspath(seamlessfile)
    sources = previous.sources if previous is not None else [main]
    return Plan(root=os.path.dirname(main), sources=sources)
