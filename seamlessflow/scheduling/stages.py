"""Which stage each instance runs in, and which runner and cluster a stage means.

Identity never depends on the stage: this only decides *where* a transformation runs.
Settings come in layers, lowest first (PROTOCOL.md): seamless.yaml, the Seamlessfile,
seamless.profile.yaml, then the command line (`--stage`, `--local`). Within the
layers, a setting of the named stage beats a setting of the default stage, whichever
layer each comes from: a stage block says what is special about that stage.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from seamlessflow.config.project_files import FILES, ProjectSettings, load_project_file
from seamlessflow.errors import UsageError
from seamlessflow.graph.model import StageSettings, Workflow
from seamlessflow.language.suggest import did_you_mean

if TYPE_CHECKING:  # clusters.yaml is read only when a stage names a cluster
    from seamlessflow.config.clusters import Cluster

DEFAULT = "default"


class RunnerChoice(NamedTuple):
    kind: str  # "process" | "spawn" | "jobserver" | "daskserver"
    workers: int
    cluster: str | None = None


class StagePlan(NamedTuple):
    stages: dict[str, str]  # instance -> stage name
    choices: dict[str, RunnerChoice]  # stage name -> runner
    cluster: Cluster | None  # the cluster whose hashserver and database the run uses


def plan_stages(workflow: Workflow, selected: list[str], cli_stage: str | None,
                local: bool) -> StagePlan:
    root = Path(workflow.root)
    committed, profile = (load_project_file(root / name) for name in FILES)
    layers = [committed, _from_workflow(workflow), profile]
    known = list(dict.fromkeys([DEFAULT, *(s for layer in layers for s in layer.stages)]))
    if cli_stage is not None and cli_stage not in known:
        raise UsageError(f"--stage {cli_stage}: no such stage{did_you_mean(cli_stage, known)}")
    fallback = cli_stage or DEFAULT
    stages = {n: workflow.instances[n].stage or fallback for n in selected}
    clusters: dict[str, Cluster] | None = None
    choices: dict[str, RunnerChoice] = {}
    for stage in dict.fromkeys(stages.values()):
        settings = _effective(layers, stage)
        if settings.cluster is not None and clusters is None:
            from seamlessflow.config.clusters import load_clusters

            clusters = load_clusters()
        choice = _choice(stage, settings, clusters or {}, local)
        if local:  # in-process, but still with the cluster's cache
            choice = RunnerChoice("process", choice.workers, choice.cluster)
        choices[stage] = choice
    used = {c.cluster for c in choices.values() if c.cluster is not None}
    if len(used) > 1:
        raise UsageError(f"the selected steps use several clusters ({', '.join(sorted(used))}); "
                         "one run uses one cluster: run the stages separately with --stage")
    cluster = (clusters or {}).get(used.pop()) if used else None
    return StagePlan(stages, choices, cluster)


def _from_workflow(workflow: Workflow) -> ProjectSettings:
    return ProjectSettings(workflow.project, workflow.default_stage, dict(workflow.stages))


def _effective(layers: list[ProjectSettings], stage: str) -> StageSettings:
    default = _merge([layer.default for layer in layers])
    if stage == DEFAULT:
        return default
    own = _merge([layer.stages[stage] for layer in layers if stage in layer.stages])
    return _merge([default, own])


def _merge(settings: list[StageSettings]) -> StageSettings:
    """Later entries win where they set something."""
    merged = StageSettings()
    for item in settings:
        for f in fields(StageSettings):
            value = getattr(item, f.name)
            if value is not None and f.name != "pos":
                setattr(merged, f.name, value)
    return merged


def _workers(settings: StageSettings) -> int:
    return settings.workers or os.cpu_count() or 1


def _choice(stage: str, settings: StageSettings, clusters: dict[str, Cluster], local: bool
            ) -> RunnerChoice:
    """The runner of a stage; with `local` only what decides the cluster (whose cache
    the run keeps) must hold."""
    execution = settings.execution
    cluster = None
    if settings.cluster is not None:
        if settings.cluster not in clusters:
            from seamlessflow.config.clusters import clusters_file

            raise UsageError(
                f"stage '{stage}' uses cluster '{settings.cluster}', which {clusters_file()} "
                f"does not define{did_you_mean(settings.cluster, clusters)}")
        cluster = clusters[settings.cluster]
        execution = execution or "remote"  # Seamless's rule: a cluster means remote
    execution = execution or "process"
    if settings.remote is not None and cluster is None and not local:
        raise UsageError(f"stage '{stage}' sets remote: {settings.remote} but no cluster; "
                         "remote: chooses a service of a cluster: add `cluster: NAME` (a "
                         "cluster of clusters.yaml), or remove remote:")
    if execution != "remote" or (cluster is None and local):
        return RunnerChoice(execution, _workers(settings), settings.cluster)
    if cluster is None:
        raise UsageError(f"stage '{stage}' has execution: remote but no cluster; add "
                         "`cluster: NAME` (a cluster of clusters.yaml), or run with --local")
    remote = settings.remote or next(
        (s for s in ("jobserver", "daskserver") if s in cluster.services), None)
    if remote is None or remote not in cluster.services:
        raise UsageError(f"stage '{stage}': cluster '{cluster.name}' ({cluster.source}) has no "
                         f"{remote or 'jobserver or daskserver'}")
    return RunnerChoice(remote, _workers(settings), cluster.name)
