"""Jobs of shell steps as the scheduler makes them: a Seamless bash transformation
(identity/shell_step.py, checked against `seamless-run` by tests/identity and
tests/interop), its buffers put into a store and nowhere else, so that a worker that
executes it fetches its code and variables by checksum as a remote worker does."""

from __future__ import annotations

from typing import Any

from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.identity.shell_step import job_captures, shell_transformation


def bash_job(store: Any, code: str, *, inputs: dict[str, str] | None = None,
             dir_inputs: dict[str, str] | None = None, params: dict | None = None,
             metavars: dict | None = None, captures: list[str] | None = None,
             stdout: bool = False, with_texts: bool = False, **fields: Any) -> Job:
    """`inputs` / `dir_inputs`: workspace path -> checksum of bytes already in `store`;
    `captures` with a trailing "/" for a folder; `with_texts`: the small buffers travel
    with the Job, as the scheduler sends them; `fields`: the rest of the Job."""
    pins = [(path, cs, False) for path, cs in (inputs or {}).items()]
    pins += [(path, cs, True) for path, cs in (dir_inputs or {}).items()]
    declared = [(c.rstrip("/"), c.endswith("/")) for c in captures or []]
    bash = shell_transformation(code, pins, params or {}, metavars or {}, declared, stdout)
    for buffer in (bash.identity_buffer, *bash.buffers.values()):
        store.put(buffer)
    return Job(checksum=bash.checksum, transformation=bash.transformation, code=bash.code,
               dir_inputs=sorted(dir_inputs or {}), captures=job_captures(declared, stdout),
               texts={cs: b.decode() for cs, b in bash.buffers.items()} if with_texts else {},
               **fields)


def printed(outcome: JobOutcome, store: Any) -> bytes | None:
    """What a job's command printed: a shell step's result when stdout is all it
    captures, its `STDOUT` beside other captures; a Python step's `<stdout>`."""
    if outcome.result is None:
        return store.get(outcome.result_checksum)
    return store.get(outcome.result.get("STDOUT") or outcome.result["<stdout>"])
