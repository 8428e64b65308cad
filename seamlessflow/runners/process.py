"""The `process` runner: every command is a subprocess of the seamlessflow process itself.

No Python interpreter starts per job (bash steps cost little more than starting bash),
and any number of commands run concurrently on one event loop; file work that is more
than a few small files runs in threads (see execution/offload.py). Cancelling `run`
kills the command's process group and awaits it.
"""

from __future__ import annotations

from seamlessflow.execution.execute import execute_job_async
from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.execution.workspace import DeferredRemovals
from seamlessflow.storage.interfaces import BufferStore


class ProcessRunner:
    name = "process"

    def __init__(self, store: BufferStore):
        self.store = store
        self.removals = DeferredRemovals()

    async def run(self, job: Job) -> JobOutcome:
        return await execute_job_async(job, self.store, self.removals)

    async def close(self) -> None:
        """Each job's subprocess is gone when its `run` returns; what is left are the
        finished workspaces, removed together (see DeferredRemovals)."""
        self.removals.flush()
