"""What a runner is given and what it gives back.

A runner receives a transformation (checksums plus code), never a step: anything that
can fetch buffers by checksum can execute a Job, which is what lets the same Job run
in-process, in a worker pool, on a jobserver or on a Dask worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    name: str  # the instance name, for messages and log file names
    checksum: str  # the transformation checksum
    transformation: dict[str, Any]  # the PROTOCOL.md transformation dict
    code: str  # the code text (its checksum is transformation["code"])
    # Workspace paths of inputs that are directories: their checksum in
    # transformation["inputs"] is a deep checksum whose index buffer is in the store.
    dir_inputs: list[str] = field(default_factory=list)
    metavars: dict[str, Any] = field(default_factory=dict)  # extra env/globals, not identity
    timeout: float | None = None  # seconds; the attempt is killed and fails after that
    log_path: str | None = None  # where the full stderr is written; None: not kept
    keep_workspace: bool = False  # keep the workspace of a failed attempt (for debugging)
    workdir: str | None = None  # parent folder of workspaces; None: the system temp folder
    cores: int = 1  # the slots the instance holds, for runners that place jobs by resources
    memory: int = 0  # bytes, the step's `memory:` (0: not said), for the same runners
    # [Seamlessfile as shown, its line of the code's first line]: what errors name
    code_origin: list | None = None

    def to_json(self) -> dict[str, Any]:
        """A plain dict, so a Job can cross a process or network boundary."""
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        return cls(**data)


@dataclass
class JobOutcome:
    ok: bool
    # capture workspace path (directories with a trailing "/") -> checksum, plus
    # "<stdout>" when stdout is captured; None on failure
    result: dict[str, str] | None = None
    result_checksum: str | None = None  # checksum of the plain serialization of `result`
    exit_code: int | None = None  # the command's exit status; None if it never ran
    error: str | None = None  # one line for the user: "exit 1", "timed out after 5s", ...
    stderr_tail: str = ""  # the last lines of stderr, shown on failure
    log_path: str | None = None
    duration_s: float = 0.0
    workspace: str | None = None  # the kept workspace of a failed attempt, if any
    rerun: str | None = None  # the shell line that reruns it there by hand, if kept
    capture: str | None = None  # the capture (workspace path) a failure is about, if one

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobOutcome:
        return cls(**data)
