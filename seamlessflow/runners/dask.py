"""The `dask` runner: each Job becomes one task on a Dask cluster.

The task key is derived from the transformation checksum, so Dask itself runs identical
work once: a second submission of a key that is still pending or held joins the first,
within one run and across clients of the same scheduler. Only the Job (checksums, code,
small dicts) goes to the worker and only the JobOutcome (checksums) comes back; buffers
travel through the buffer store, which the worker rebuilds from a spec that is just a
folder path (workers on this machine, or on a shared file system) or a hashserver URL.

On the worker the Job runs with the same code as every other runner (execute_job_async,
on the worker's event loop). Paths in the Job name the client's file system, so, as on a
jobserver, the worker makes its workspace in its own temp folder (or the runner's
`workdir`) and sends the stderr log back; the runner writes it to the Job's log path.

Failures: a failing command is a failed outcome like anywhere else. A worker that dies
mid-task is replaced by Dask, which reruns the task elsewhere (up to the scheduler's
`allowed-failures`); an exception inside the task is retried `retries` times. Cancelling
`run` cancels the Dask future, and the worker, which checks every CANCEL_POLL_S whether
its task is still wanted, kills the command's process group.

This module (and services/daskserver.py) is the only one that imports distributed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import importlib.util
import os
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

import distributed

from seamlessflow.errors import ExecutionError, StoreError, UsageError
from seamlessflow.execution.execute import execute_job_async
from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.execution.logs import read_log_tail
from seamlessflow.runners.inline import captured_at_hand, inputs_at_hand, remember_all
from seamlessflow.storage.atomic import atomic_write_bytes
from seamlessflow.storage.http_client import connect_timeout
from seamlessflow.storage.http_store import HttpBufferStore
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.local_store import LocalBufferStore

KEY_PREFIX = "seamlessflow-"  # the dashboard groups tasks by the part before the checksum
DEFAULT_RETRIES = 2
CANCEL_POLL_S = 0.2
DRAIN_S = 10.0  # the longest a run's own cluster waits for its workers to stop cancelled tasks
LOG_MAX = 1 << 20  # a longer stderr log comes back as its last LOG_MAX bytes

StoreSpec = str  # an absolute buffer folder, or an http(s):// hashserver URL


def task_key(checksum: str) -> str:
    return KEY_PREFIX + checksum


def store_spec(store: str | os.PathLike[str] | BufferStore) -> StoreSpec:
    """What a worker needs to rebuild the buffer store: picklable, a few bytes long."""
    if isinstance(store, HttpBufferStore):
        return store.url
    if isinstance(store, LocalBufferStore):
        return str(store.root.resolve())
    if isinstance(store, (str, os.PathLike)):
        text = os.fspath(store)
        if text.startswith(("http://", "https://")):
            return HttpBufferStore(text).url  # validates the URL here, not on a worker
        return str(Path(text).expanduser().resolve())
    raise UsageError(f"the dask runner needs a buffer folder or a hashserver, not {store!r}")


@functools.cache
def open_store(spec: StoreSpec) -> BufferStore:
    """One store per spec per worker process, kept: an HTTP store keeps its connections.
    A hashserver token is the worker's own (its account's token file, or its
    $SEAMLESSFLOW_TOKEN), never sent through Dask."""
    if spec.startswith(("http://", "https://")):
        return HttpBufferStore(spec)
    return LocalBufferStore(Path(spec))


Opener = Callable[[], tuple[str, Callable[[], None]]]


def scheduler_security(address: str) -> distributed.security.Security | None:
    """The TLS credentials of a scheduler seamlessflow started for this account on this
    machine (from its token file), else None: Dask's own configuration decides."""
    from distributed.security import Security

    from seamlessflow.config.tokens import record_for_url

    record = record_for_url(address) if address.startswith("tls://") else None
    if record is None or record.certificate is None:
        return None
    return Security(require_encryption=True, tls_ca_file=record.certificate,
                    tls_client_cert=record.certificate, tls_client_key=record.token)


class DaskRunner:
    name = "dask"

    def __init__(self, address_or_client: str | distributed.Client | Opener,
                 store: str | os.PathLike[str] | BufferStore, *,
                 retries: int = DEFAULT_RETRIES, workdir: str | None = None,
                 announce: Callable[[str], None] | None = None):
        """`address_or_client`: a scheduler address, a Client whose scheduler to use
        (the runner opens its own asynchronous client on the loop that calls `run`), or
        an opener, called (in a thread) on first use, that returns the address and what
        to call after the run: so a run whose steps are all cached starts no cluster.
        `workdir`: where workers make workspaces, a path valid on the workers; None is
        each worker's temp folder."""
        self.announce = announce  # told the scheduler and dashboard once connected
        self._opener: Opener | None = None
        self._closer: Callable[[], None] | None = None
        if isinstance(address_or_client, distributed.Client):
            self.address = address_or_client.scheduler.address
        elif callable(address_or_client):
            self.address = "(not started yet)"
            self._opener = address_or_client
        else:
            self.address = address_or_client
        self.store_spec = store_spec(store)
        # the client's own store: small buffers travel with the task (runners/inline.py)
        self._store = store if isinstance(store, HttpBufferStore) else None
        self.retries = retries
        self.workdir = workdir
        self.dashboard_link: str | None = None  # known once connected; None: no dashboard
        self._max_cores = 0  # the most "cores" resource one worker advertises; 0: none does
        self._max_memory = 0  # the same for "memory" (bytes)
        self._connecting: asyncio.Future[distributed.Client] | None = None
        self._waiting: Counter[str] = Counter()  # key -> `run` calls awaiting it

    def __repr__(self) -> str:
        return f"DaskRunner({self.address!r}, {self.store_spec!r})"

    async def connect(self) -> None:
        """Connect now (run does it on first use): the CLI calls this to print the
        dashboard link and to fail early, with ExecutionError, if the scheduler is
        unreachable."""
        await self._client()

    async def run(self, job: Job) -> JobOutcome:
        """`job.cores` becomes a Dask resource restriction when the workers advertise a
        "cores" resource (capped at the most one worker has, so the job still runs, and
        the command is told the capped number); `job.memory` (bytes) likewise when they
        advertise "memory"."""
        try:
            client = await self._client()
        except ExecutionError as exc:
            return JobOutcome(ok=False, error=str(exc))
        key = task_key(job.checksum)
        resources: dict[str, int] = {}
        if self._max_cores:
            job = replace(job, cores=min(job.cores, self._max_cores))
            resources["cores"] = job.cores
        if self._max_memory and job.memory:
            resources["memory"] = min(job.memory, self._max_memory)
        future = client.submit(run_on_worker, job.to_json(), self.store_spec, self.workdir,
                               self._inputs_at_hand(job), key=key, retries=self.retries,
                               resources=resources or None)
        self._waiting[key] += 1
        try:
            answer = await future
        except asyncio.CancelledError:
            if self._waiting[key] == 1:  # nobody else waits for this key: stop the work
                await asyncio.shield(client.cancel([future]))
            raise
        except Exception as exc:  # the task failed: KilledWorker, retries spent, cancelled...
            return JobOutcome(ok=False, error=_describe(exc))
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
            future.release()
        if self._store is not None:
            remember_all(self._store, answer.get("buffers"))
        if job.log_path is None:
            return _outcome(answer, None)
        return await asyncio.to_thread(_outcome, answer, job.log_path)

    def _inputs_at_hand(self, job: Job) -> dict[str, bytes]:
        return {} if self._store is None else inputs_at_hand(self._store, job)

    async def close(self) -> None:
        """Close the client; the cluster belongs to whoever started it (the opener's
        closer stops one that this runner's opener started)."""
        connecting, self._connecting = self._connecting, None
        closer, self._closer = self._closer, None
        if connecting is not None:
            if not connecting.done():
                connecting.cancel()
            elif connecting.exception() is None:
                if closer is not None:
                    await _drain(connecting.result())
                await connecting.result().close()
        if closer is not None:
            await asyncio.to_thread(closer)

    async def _client(self) -> distributed.Client:
        if self._connecting is None:
            # one shared attempt: every job waiting for it resumes in the same loop
            # iteration, so a burst of jobs is submitted together
            self._connecting = asyncio.ensure_future(self._connect())
        return await asyncio.shield(self._connecting)

    async def _connect(self) -> distributed.Client:
        if self._opener is not None:
            opener, self._opener = self._opener, None
            self.address, self._closer = await asyncio.to_thread(opener)
        try:
            client = await distributed.Client(self.address, asynchronous=True,
                                              timeout=connect_timeout(), set_as_default=False,
                                              security=scheduler_security(self.address))
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            raise ExecutionError(f"cannot reach the Dask scheduler at {self.address}: "
                                 f"{exc or type(exc).__name__}") from None
        _send_promptly(client)
        identity = await client.scheduler.identity(n_workers=-1)
        self._max_cores, self._max_memory = (
            max((int(w.get("resources", {}).get(name, 0))
                 for w in identity.get("workers", {}).values()), default=0)
            for name in ("cores", "memory"))
        if "dashboard" in identity.get("services", {}) and await client.run_on_scheduler(
                has_dashboard):
            self.dashboard_link = client.dashboard_link
        if self.announce is not None:
            self.announce(f"dask: scheduler {self.address}, dashboard "
                          f"{self.dashboard_link or 'not available (it needs bokeh)'}")
        return client


SEND_INTERVAL_S = 0.001


def _send_promptly(client: distributed.Client) -> None:
    """A client batches its messages to the scheduler and sends at most every 10 ms
    (distributed's fixed interval, meant for clients that submit thousands of tasks at
    once). A run submits a task whenever a slot frees up, so each waited for the next
    send: 10 ms added to every step. A shorter interval still batches a burst."""
    comm = getattr(client, "scheduler_comm", None)
    if comm is not None and hasattr(comm, "interval"):
        comm.interval = min(comm.interval, SEND_INTERVAL_S)


async def _drain(client: distributed.Client) -> None:
    """Before a cluster started for the run stops: wait until its workers are done with
    the tasks the run cancelled, whose commands they kill within CANCEL_POLL_S. Workers
    stopped first would leave those commands running, orphaned. Bounded: a worker that
    does not answer is not waited for."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRAIN_S
    while loop.time() < deadline:
        try:
            busy = await asyncio.wait_for(client.run(_executing), DRAIN_S)
        except Exception:  # the cluster stops next whatever happened: do not stand in its way
            return
        if not any(busy.values()):
            return
        await asyncio.sleep(CANCEL_POLL_S / 2)


def _executing(dask_worker: distributed.Worker) -> int:
    """On a worker: how many tasks it is running."""
    return len(dask_worker.state.executing)


def has_dashboard() -> bool:
    """Whether a Dask scheduler in this environment can show its dashboard (its HTTP
    server shows one only with bokeh installed); run on the scheduler to ask it."""
    return importlib.util.find_spec("bokeh") is not None


def _describe(exc: Exception) -> str:
    if isinstance(exc, distributed.KilledWorker):
        return f"dask: the workers running it died too often ({exc})"
    if isinstance(exc, concurrent.futures.CancelledError):
        return f"dask: the task was cancelled on the cluster ({exc})"
    return f"dask worker error: {type(exc).__name__}: {exc}"


def _outcome(answer: dict[str, Any], log_path: str | None) -> JobOutcome:
    outcome = JobOutcome.from_json(answer["outcome"])
    log = answer["log"]
    if log_path is not None and log is not None:
        try:
            Path(log_path).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(Path(log_path), log.encode())
            outcome.log_path = log_path
        except (OSError, StoreError):
            pass  # an unwritable log folder must not turn a success into a failure
    return outcome


# ---- on the worker -------------------------------------------------------------------


class Abandoned(Exception):
    """The task was cancelled while it ran; its command was killed. Dask discards what a
    cancelled task returns, so this is only seen if the key was asked for again at once,
    and then `retries` runs it afresh."""


async def run_on_worker(job_data: dict[str, Any], spec: StoreSpec, workdir: str | None,
                        inputs: dict[str, bytes] | None = None) -> dict[str, Any]:
    """The Dask task: {"outcome": JobOutcome JSON, "log": the stderr log or None,
    "buffers": the small captured files' bytes by checksum}. `inputs`: small input
    buffers the client sent along (they are on the hashserver too)."""
    job = Job.from_json(job_data)
    job.workdir = workdir
    job.log_path = os.path.join(tempfile.gettempdir(), f"seamlessflow-dask-{uuid.uuid4().hex}.log")
    store = open_store(spec)
    remember_all(store, inputs)
    try:
        outcome = await _while_wanted(execute_job_async(job, store), task_key(job.checksum))
        # a silent success leaves no log (execute.py): no thread to look for one
        log = None if outcome.log_path is None else \
            await asyncio.to_thread(read_log_tail, job.log_path, LOG_MAX)
    finally:
        Path(job.log_path).unlink(missing_ok=True)
    outcome.log_path = None
    return {"outcome": outcome.to_json(), "log": log, "buffers": captured_at_hand(store, outcome)}


async def _while_wanted(work: Coroutine[Any, Any, JobOutcome], key: str) -> JobOutcome:
    """Await `work`, cancelling it (which kills the command) once the scheduler has
    released the key: Dask cannot interrupt a running task, only mark it cancelled."""
    worker = distributed.get_worker()
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=CANCEL_POLL_S)
            if done:
                return task.result()
            state = worker.state.tasks.get(key)
            if state is None or state.state == "cancelled":
                raise Abandoned(f"{key} was cancelled")
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
