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
from seamlessflow.errors import Diagnostic, SourcePos, UsageError, WorkflowError
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
    layers = _layers(workflow)
    _require_stage(layers, cli_stage)
    fallback = cli_stage or DEFAULT
    stages = {n: workflow.instances[n].stage or fallback for n in selected}
    clusters: dict[str, Cluster] | None = None
    choices: dict[str, RunnerChoice] = {}
    for stage in dict.fromkeys(stages.values()):
        settings = _effective(layers, stage)
        if settings.cluster is not None and clusters is None:
            from seamlessflow.config.clusters import load_clusters

            clusters = load_clusters()
        choice = _choice(settings, clusters or {}, local)
        if local:  # in-process, but still with the cluster's cache
            choice = RunnerChoice("process", choice.workers, choice.cluster)
        choices[stage] = choice
    used = {c.cluster for c in choices.values() if c.cluster is not None}
    if len(used) > 1:
        raise UsageError(f"the selected steps use several clusters ({', '.join(sorted(used))}); "
                         "one run uses one cluster: run the stages separately with --stage")
    cluster = (clusters or {}).get(used.pop()) if used else None
    return StagePlan(stages, choices, cluster)


def plan_exec_stage(root: Path, cli_stage: str | None, local: bool
                    ) -> tuple[RunnerChoice, Cluster | None]:
    """The runner and cluster of one command run outside a workflow (`exec`): the
    stage named on the command line (else the default) as seamless.yaml and
    seamless.profile.yaml set it, which is what seamless-run reads too."""
    layers = [load_project_file(root / name) for name in FILES]
    _require_stage(layers, cli_stage)
    stage = cli_stage or DEFAULT
    settings = _effective(layers, stage)
    clusters: dict[str, Cluster] = {}
    if settings.cluster is not None:
        from seamlessflow.config.clusters import load_clusters

        clusters = load_clusters()
    choice = _choice(settings, clusters, local)
    if local:
        choice = RunnerChoice("process", choice.workers, choice.cluster)
    return choice, clusters.get(choice.cluster) if choice.cluster is not None else None


def _require_stage(layers: list[ProjectSettings], cli_stage: str | None) -> None:
    """`--stage NAME` must name the default stage or one the layers define."""
    known = _known(layers)
    if cli_stage is not None and cli_stage not in known:
        raise UsageError(f"--stage {cli_stage}: no such stage{did_you_mean(cli_stage, known)}")


def check_stages(workflow: Workflow) -> list[Diagnostic]:
    """What `check` finds wrong in the settings of every stage, as `run` would find it
    on using the stage: a cluster that clusters.yaml does not define (or no
    clusters.yaml at all), a service the cluster lacks, remote execution without a
    cluster. Each problem once, where its setting is written."""
    layers = _layers(workflow)
    clusters: dict[str, Cluster] | None = None
    problems: list[Diagnostic] = []
    for stage in _known(layers):
        settings = _effective(layers, stage)
        if settings.cluster is not None and clusters is None:
            from seamlessflow.config.clusters import load_clusters

            clusters = load_clusters()
        try:
            _choice(settings, clusters or {}, local=False)
        except WorkflowError as exc:
            problems.extend(exc.diagnostics)
    return list(dict.fromkeys(problems))  # a stage inherits its default's settings


def _layers(workflow: Workflow) -> list[ProjectSettings]:
    """The layers of settings, lowest first."""
    root = Path(workflow.root)
    committed, profile = (load_project_file(root / name) for name in FILES)
    return [committed, _from_workflow(workflow), profile]


def _known(layers: list[ProjectSettings]) -> list[str]:
    return list(dict.fromkeys([DEFAULT, *(s for layer in layers for s in layer.stages)]))


def _from_workflow(workflow: Workflow) -> ProjectSettings:
    return ProjectSettings(workflow.project, workflow.default_stage, dict(workflow.stages))


def _effective(layers: list[ProjectSettings], stage: str) -> StageSettings:
    default = _merge([layer.default for layer in layers])
    if stage == DEFAULT:
        return default
    own = _merge([layer.stages[stage] for layer in layers if stage in layer.stages])
    return _merge([default, own])


_SETTINGS = tuple(f.name for f in fields(StageSettings) if f.name not in ("pos", "at"))


def _merge(settings: list[StageSettings]) -> StageSettings:
    """Later entries win where they set something, and say where it was set."""
    merged = StageSettings()
    for item in settings:
        for name in _SETTINGS:
            value = getattr(item, name)
            if value is not None:
                setattr(merged, name, value)
                where = item.at.get(name)
                if where is None:
                    merged.at.pop(name, None)
                else:
                    merged.at[name] = where
    return merged


def _workers(settings: StageSettings) -> int:
    return settings.workers or os.cpu_count() or 1


def _choice(settings: StageSettings, clusters: dict[str, Cluster], local: bool
            ) -> RunnerChoice:
    """The runner of a stage; with `local` only what decides the cluster (whose cache
    the run keeps) must hold."""
    execution = settings.execution
    cluster = None
    if settings.cluster is not None:
        if settings.cluster not in clusters:
            raise _unknown_cluster(settings, clusters)
        cluster = clusters[settings.cluster]
        execution = execution or "remote"  # Seamless's rule: a cluster means remote
    execution = execution or "process"
    if settings.remote is not None and cluster is None and not local:
        raise _problem(settings, "remote",
                       f"remote: {settings.remote} but no cluster",
                       "remote: chooses a service of a cluster: add `cluster: NAME` (a cluster "
                       "of clusters.yaml), or remove remote:")
    if execution != "remote" or (cluster is None and local):
        return RunnerChoice(execution, _workers(settings), settings.cluster)
    if cluster is None:
        raise _problem(settings, "execution",
                       "execution: remote but no cluster",
                       "add `cluster: NAME` (a cluster of clusters.yaml), or run with --local")
    remote = settings.remote or next(
        (s for s in ("jobserver", "daskserver") if s in cluster.services), None)
    if remote is None or remote not in cluster.services:
        raise _problem(settings, "remote" if settings.remote else "cluster",
                       f"cluster '{cluster.name}' has no {remote or 'jobserver or daskserver'} "
                       f"in {cluster.source}",
                       "add one to its frontend there, or choose another cluster")
    return RunnerChoice(remote, _workers(settings), cluster.name)


def _unknown_cluster(settings: StageSettings, clusters: dict[str, Cluster]) -> WorkflowError:
    from seamlessflow.config.clusters import clusters_file

    name, file = settings.cluster, clusters_file()
    if not file.is_file():
        return _problem(settings, "cluster", f"cluster '{name}': {file} does not exist",
                        f"create it with an entry '{name}:' for the cluster's services, or "
                        "set $SEAMLESS_CONFIG_DIR to the folder that has it")
    return _problem(settings, "cluster",
                    f"cluster '{name}' is not defined in {file}{did_you_mean(name, clusters)}",
                    f"it defines {', '.join(sorted(clusters))}" if clusters else
                    f"add an entry '{name}:' for the cluster's services")


def _problem(settings: StageSettings, key: str, message: str, hint: str) -> WorkflowError:
    """The error, where the setting `key` was written: at its line in a Seamlessfile,
    or naming the config file's item."""
    where = settings.at.get(key)
    if isinstance(where, SourcePos):
        return WorkflowError([Diagnostic(where, message, hint)])
    return WorkflowError([Diagnostic(None, f"{where}: {message}" if where else message, hint)])
