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
    # A shell step's: the Seamless bash transformation, META__ pins included
    # (identity/seamless_bash.py); a Python step's: seamlessflow's own dict.
    transformation: dict[str, Any]
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
    # [Seamlessfile as shown, its line of the code's first line]: what errors name. A
    # bash transformation's code text starts with lines of its own before the step's
    # command, so its first line may be above the file's first (0 or less)
    code_origin: list | None = None
    # A bash transformation's targets in the order its code moves them into RESULT, a
    # folder's with "/" and "STDOUT" for stdout (empty: its result is stdout itself)
    captures: list[str] = field(default_factory=list)
    # The small buffers of its pins (code, params, metavars) by checksum, so that a
    # worker need not fetch them; checked against their checksums before use
    texts: dict[str, str] = field(default_factory=dict)
    # Seamless's bash has no pipefail; a step keeps seamlessflow's stricter rule
    pipefail: bool = True
    # exec: str pins as Seamless has them (files too), and captures of either kind (a
    # step's captures say theirs: a folder's ends in "/")
    seamless_pins: bool = False

    def to_json(self) -> dict[str, Any]:
        """A plain dict, so a Job can cross a process or network boundary."""
        return dict(self.__dict__)

    def inputs(self) -> dict[str, tuple[str, bool]]:
        """Every input: workspace path -> (checksum, is a folder), whichever form the
        transformation has."""
        from seamlessflow.identity.seamless_bash import input_pins, is_bash_transformation

        tf = self.transformation
        if is_bash_transformation(tf):
            return input_pins(tf)
        dirs = set(self.dir_inputs)
        return {path: (cs, path in dirs) for path, cs in tf["inputs"].items()}

    def inconsistency(self) -> str | None:
        """Why the transformation or the code is not what the checksums say, if it is
        not: a worker given such a Job would store a result under a wrong name."""
        from seamlessflow.identity.checksum import checksum_bytes, checksum_value
        from seamlessflow.identity.seamless_bash import (
            is_bash_transformation,
            text_buffer,
            transformation_checksum,
        )

        tf = self.transformation
        if is_bash_transformation(tf):
            checksum, code = transformation_checksum(tf), checksum_bytes(text_buffer(self.code))
            wanted = tf["code"][2] if len(tf["code"]) == 3 else None
        else:
            checksum, code = checksum_value(tf), checksum_bytes(self.code.encode())
            wanted = tf.get("code")
        if checksum != self.checksum:
            return f"the transformation does not hash to {self.checksum}"
        if code != wanted:
            return "the code does not hash to the transformation's \"code\""
        return None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        return cls(**data)


@dataclass
class JobOutcome:
    ok: bool
    # A Python step's result mapping: capture workspace path (directories with a
    # trailing "/") -> checksum, plus "<stdout>" when stdout is captured. A bash
    # transformation's: the mapping of files under RESULT, None when its result is
    # stdout itself. None on failure.
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
