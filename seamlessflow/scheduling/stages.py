"""Which stage each instance runs in, and which runner a stage means.

Identity never depends on the stage: this only decides *where* a transformation runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from seamlessflow.errors import UsageError
from seamlessflow.graph.model import StageSettings, Workflow
from seamlessflow.language.suggest import did_you_mean

DEFAULT = "default"


@dataclass(frozen=True)
class RunnerChoice:
    kind: str  # "process" | "spawn"
    workers: int


def stage_names(workflow: Workflow, selected: list[str], cli_stage: str | None) -> dict[str, str]:
    known = [DEFAULT, *workflow.stages]
    if cli_stage is not None and cli_stage not in known:
        raise UsageError(f"--stage {cli_stage}: no such stage{did_you_mean(cli_stage, known)}")
    fallback = cli_stage or DEFAULT
    return {n: workflow.instances[n].stage or fallback for n in selected}


def runner_choice(workflow: Workflow, stage: str, local: bool) -> RunnerChoice:
    settings = workflow.default_stage if stage == DEFAULT else workflow.stages[stage]
    merged = _merge(workflow.default_stage, settings)
    execution = "process" if local else (merged.execution or "process")
    if execution == "remote":
        raise UsageError(
            f"stage '{stage}' asks for execution: remote ({merged.remote or 'no remote'}), "
            "which needs a cluster; this version runs stages with execution: process or spawn. "
            "Use --local to run everything in-process."
        )
    return RunnerChoice(execution, merged.workers or os.cpu_count() or 1)


def _merge(base: StageSettings, over: StageSettings) -> StageSettings:
    """A named stage inherits what it does not set from the top-level (default) settings."""
    return StageSettings(
        execution=over.execution or base.execution,
        remote=over.remote or base.remote,
        cluster=over.cluster or base.cluster,
        workers=over.workers or base.workers,
    )
