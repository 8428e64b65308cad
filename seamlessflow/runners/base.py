"""The one interface every runner implements."""

from __future__ import annotations

from typing import Protocol

from seamlessflow.execution.job import Job, JobOutcome


class Runner(Protocol):
    """Executes Jobs. Cancelling the task awaiting `run` kills the running command and
    records nothing; `run` never raises for a failing command, it returns a failed outcome."""

    name: str  # "process", "spawn", "jobserver" or "dask": what the run report shows

    async def run(self, job: Job) -> JobOutcome: ...

    async def close(self) -> None: ...
