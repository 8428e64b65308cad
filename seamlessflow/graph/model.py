"""The expanded workflow: what the language layer produces and everything else consumes.

Plain data only (no I/O, no parsing), so that the graph, identity and scheduling
layers can be tested without a Seamlessfile, and so the expanded workflow can be
serialized into the plan cache.

Paths are relative POSIX strings without a trailing slash; `is_dir` says whether
the item was written with a trailing `/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from seamlessflow.errors import SourcePos

Value = Any  # a YAML/JSON value: None, bool, int, float, str, list, dict


# Instances, items and sources are NamedTuples, not frozen dataclasses: a big sweep
# makes tens of thousands of them, and a frozen dataclass took ten times as long to
# construct.


class InputItem(NamedTuple):
    project_path: str
    workspace_path: str
    is_dir: bool
    pos: SourcePos


class CaptureItem(NamedTuple):
    workspace_path: str
    project_path: str
    is_dir: bool
    pos: SourcePos


class Instance(NamedTuple):
    """One step instance: a step with its sweep variables bound. Never changed once
    made (the defaults are shared); a NamedTuple, made ten thousand times by a sweep,
    builds faster than a dataclass, and so does its class."""

    name: str  # "count[n=3]", or the step name when the step is not swept
    step: str
    bindings: dict[str, Value]  # sweep variable -> value, in the order of the `for` clause
    language: str  # "bash" or "python"
    code: str  # after triple-quote dedent; never interpolated
    inputs: list[InputItem]
    params: dict[str, Value]
    captures: list[CaptureItem]
    pos: SourcePos  # the `step` keyword of the step's header
    stdout: str | None = None  # project path receiving standard output
    stdout_pos: SourcePos | None = None
    metavars: dict[str, Value] = {}  # read only, like every field
    stage: str | None = None  # None: the stage given by --stage, else "default"
    stage_pos: SourcePos | None = None
    scratch: bool = False
    retries: int = 0
    timeout: float | None = None
    cores: int = 1
    memory: int = 0  # bytes the command needs; 0: not said
    code_pos: SourcePos | None = None  # the Seamlessfile line of the code's first line


EXECUTIONS = ("process", "spawn", "remote")  # the values of `execution:`
REMOTES = ("jobserver", "daskserver")  # the values of `remote:`
MAX_WORKERS = 10_000  # of -j and workers:; more runs at once on no machine or cluster: a typo


@dataclass
class StageSettings:
    """Settings of one stage; None means "not set here" so layers of config can be merged."""

    execution: str | None = None  # "process" | "spawn" | "remote"
    remote: str | None = None  # "jobserver" | "daskserver"
    cluster: str | None = None
    workers: int | None = None
    pos: SourcePos | None = None
    # Where each setting above was written, for errors found when the stage is used (a
    # cluster clusters.yaml lacks): its line in a Seamlessfile, or a config file's item.
    at: dict[str, SourcePos | str] = field(default_factory=dict, compare=False)


@dataclass
class Workflow:
    """A fully expanded Seamlessfile."""

    root: str  # the project folder (absolute)
    seamlessfile: str  # the main Seamlessfile (absolute)
    instances: dict[str, Instance]  # by instance name, in declaration order
    project: str | None = None
    default_stage: StageSettings = field(default_factory=StageSettings)
    stages: dict[str, StageSettings] = field(default_factory=dict)  # named stages
    # Every file whose content shaped this workflow (the Seamlessfile, its includes and
    # config file), with the checksum of the bytes that were read. Watch mode watches
    # them; the plan cache is valid while they keep these checksums.
    source_files: dict[str, str] = field(default_factory=dict)
    # Each glob() pattern and the values it gave when this workflow was expanded: the
    # plan cache compares them with what the pattern gives now.
    globs: dict[str, list[str]] = field(default_factory=dict)
