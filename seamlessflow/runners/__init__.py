"""runners layer (see DESIGN.md)."""

from __future__ import annotations

import os
from collections.abc import Callable

from seamlessflow.errors import UsageError
from seamlessflow.runners.base import Runner
from seamlessflow.storage.interfaces import BufferStore


def make_runner(kind: str, store: BufferStore, workers: int | None = None,
                url: str | None = None, dask_entry: dict | None = None,
                announce: Callable[[str], None] | None = None) -> Runner:
    """The runner for a stage's `execution` (or `remote`) setting; `url` is the remote
    service's. Each runner module is imported only when chosen, so a run that never
    spawns workers never pays for multiprocessing, nor a local run for aiohttp."""
    if kind == "process":
        from seamlessflow.runners.process import ProcessRunner

        return ProcessRunner(store)
    if kind == "spawn":
        from seamlessflow.runners.spawn import SpawnRunner

        return SpawnRunner(store, workers or os.cpu_count() or 1)
    if kind == "jobserver" and url is not None:
        from seamlessflow.runners.jobserver import JobserverRunner

        return JobserverRunner(url, store=store)
    if kind == "daskserver" and dask_entry is not None:
        import functools

        from seamlessflow.runners.dask import DaskRunner
        from seamlessflow.services.daskserver import open_dask, preload_jobqueue

        preload_jobqueue(dask_entry)  # here, in the main thread: open_dask runs in another
        return DaskRunner(functools.partial(open_dask, dask_entry, announce), store,
                          announce=announce)
    raise UsageError(f"no runner for '{kind}' here (this version runs process, spawn, "
                     "jobserver and daskserver stages)")
