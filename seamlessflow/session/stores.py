"""Which buffer store and result database a command works with, and what it may run.

The configuration decides (storage/location.py: a local folder, or a cluster's
hashserver and database); the front ends ask here, so that none of them opens a store
or makes a runner itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from seamlessflow.config.clusters import Cluster
    from seamlessflow.execution.job import Job, JobOutcome
    from seamlessflow.storage.interfaces import BufferStore, ResultDatabase


def open_store(cluster: Cluster | None = None) -> BufferStore:
    from seamlessflow.storage.location import open_default_store

    return open_default_store(cluster)


def open_database(cluster: Cluster | None = None) -> ResultDatabase:
    from seamlessflow.storage.location import open_default_database

    return open_default_database(cluster)


def describe_store(store: BufferStore) -> str:
    """Where the store is, as messages name it."""
    from seamlessflow.storage.location import describe_store

    return describe_store(store)


def buffer_folder() -> Path:
    """The local buffer store's folder (a hashserver or database serves it by default)."""
    from seamlessflow.storage.location import buffer_dir

    return buffer_dir()


def store_at(url: str | None, folder: Path | None) -> BufferStore:
    """The hashserver at `url`, else the buffer folder `folder` (default: the local one)."""
    if url:
        from seamlessflow.storage.http_store import HttpBufferStore

        return HttpBufferStore(url)
    from seamlessflow.storage.local_store import LocalBufferStore

    return LocalBufferStore(folder or buffer_folder())


def exec_cache(folder: Path, stage: str | None, local: bool
               ) -> tuple[ExecStage, BufferStore, ResultDatabase]:
    """For `exec` in `folder`: the stage's runner, and the buffer store and result
    database as `run` finds them (a cluster's services are found, or started)."""
    from seamlessflow.scheduling.stages import plan_exec_stage

    choice, cluster = plan_exec_stage(folder, stage, local)
    if cluster is not None:
        from seamlessflow.services.launcher import with_urls

        cluster = with_urls(cluster, ["hashserver", "database"])
    return ExecStage(choice.kind, choice.workers, cluster), open_store(cluster), \
        open_database(cluster)


class ExecStage(NamedTuple):
    """Where `exec` runs its command: a runner kind of a stage (`process`, `spawn`,
    `jobserver`, `daskserver`), its workers and the cluster of its services."""

    kind: str
    workers: int | None
    cluster: Cluster | None


def run_job(stage: ExecStage, store: BufferStore, job: Job) -> tuple[JobOutcome, str]:
    """Run `job` once on the stage's runner, made as `run` makes it (a jobserver is
    found, or started; a daskserver's scheduler is opened); `store` is where it finds
    its buffers and leaves its result's. The outcome, and the runner's name."""
    import asyncio

    from seamlessflow.runners import make_runner

    url = dask_entry = None
    cluster = stage.cluster
    services = cluster.services if cluster is not None else {}
    if stage.kind == "daskserver":
        dask_entry = services["daskserver"].raw
    elif stage.kind in services:
        from seamlessflow.services.launcher import with_urls
        from seamlessflow.storage.location import service_url

        url = service_url(with_urls(cluster, [stage.kind]), stage.kind)

    async def run() -> tuple[JobOutcome, str]:
        runner = make_runner(stage.kind, store, stage.workers, url, dask_entry)
        try:
            return await runner.run(job), runner.name
        finally:
            await runner.close()

    return asyncio.run(run())


def recompute(checksum: str, store: BufferStore, db: ResultDatabase) -> bool:
    """Bring the buffer `checksum` back by re-running, in-process, the recorded
    transformations that produced it (scheduling/fingertip.py); whether it is there now."""
    import asyncio

    from seamlessflow.runners import make_runner
    from seamlessflow.scheduling.fingertip import fingertip

    async def run() -> bool:
        runner = make_runner("process", store)
        try:
            return await fingertip(checksum, store, db, runner)
        finally:
            await runner.close()

    return asyncio.run(run())
