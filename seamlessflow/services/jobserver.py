"""The jobserver: runs Jobs sent over HTTP in a pool of local worker processes.

A client POSTs a Job (`Job.to_json()`) to /job and holds the request open; the answer is
`{"outcome": JobOutcome JSON, "log": the full stderr or null}`. Jobs run in the spawn
runner's pool (the same workspace code as every runner) against the buffer store this
server was given, where the inputs must already be and the result buffers go. Results
are recorded by the client, which owns the result database.

While a job runs, a space is sent every HEARTBEAT_S: JSON ignores leading whitespace, it
keeps read timeouts and proxies from cutting a long job off, and a failed write shows a
client that is gone. A client that hangs up cancels its job: the worker kills the
command's process group.

Paths in the Job that name the client's file system (log file, work folder) are replaced
by this server's own; the log comes back in the answer instead.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path

import orjson
from aiohttp import web

from seamlessflow.errors import SeamlessflowError
from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.execution.logs import read_log_tail
from seamlessflow.identity.checksum import is_checksum
from seamlessflow.runners.inline import captured_at_hand, from_text, remember_all, to_text
from seamlessflow.runners.spawn import SpawnRunner
from seamlessflow.services.common import HEALTHCHECK_PATH, JSON_MAX, healthcheck
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.wire import JOB_PATH

HEARTBEAT_S = 15.0
LOG_MAX = 4 << 20  # the tail of a longer stderr log is sent back


def make_app(store: BufferStore, workers: int, workdir: Path | None = None) -> web.Application:
    service = Jobserver(store, workers, workdir)
    app = web.Application(client_max_size=JSON_MAX)
    app.add_routes([web.get(HEALTHCHECK_PATH, healthcheck), web.post(JOB_PATH, service.job)])
    app.on_cleanup.append(service.close)
    return app


class BadJob(Exception):
    """A request that is not a runnable Job: answered 400."""


class Jobserver:
    def __init__(self, store: BufferStore, workers: int, workdir: Path | None):
        self.runner = SpawnRunner(store, workers)
        self.workdir = None if workdir is None else str(workdir)
        self.logs = Path(tempfile.mkdtemp(prefix="seamlessflow-jobserver-logs-"))

    async def close(self, _app: web.Application) -> None:
        await self.runner.close()  # kills the commands of jobs still running
        shutil.rmtree(self.logs, ignore_errors=True)

    async def job(self, request: web.Request) -> web.StreamResponse:
        try:
            job, inputs = parse_job(await request.read())
        except BadJob as exc:
            return web.Response(status=400, text=str(exc))
        remember_all(self.runner.store, inputs)  # the spawn worker gets them from there
        job.workdir = self.workdir
        job.log_path = str(self.logs / f"{uuid.uuid4().hex}.log")
        response = web.StreamResponse()
        response.content_type = "application/json"
        await response.prepare(request)
        try:
            outcome = await self._run(job, response)
            # a silent success leaves no log (execute.py): no thread to look for one
            log = None if outcome.log_path is None else \
                await asyncio.to_thread(read_log_tail, job.log_path, LOG_MAX)
        finally:
            Path(job.log_path).unlink(missing_ok=True)
        outcome.log_path = None
        captured = to_text(captured_at_hand(self.runner.store, outcome))
        await response.write(orjson.dumps({"outcome": outcome.to_json(), "log": log,
                                           "buffers": captured}))
        await response.write_eof()
        return response

    async def _run(self, job: Job, response: web.StreamResponse) -> JobOutcome:
        task = asyncio.ensure_future(self.runner.run(job))
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=HEARTBEAT_S)
                if not task.done():
                    await response.write(b" ")  # raises if the client is gone
        except BaseException:
            task.cancel()
            await asyncio.wait({task})  # the command is dead before this handler ends
            raise
        try:
            return task.result()
        except Exception as exc:  # e.g. no worker could be started: the job failed
            return JobOutcome(ok=False, error=f"jobserver could not run the job: {exc}")


def parse_job(body: bytes) -> tuple[Job, dict[str, bytes]]:
    """A Job whose transformation and code are what its checksums say, so results are
    never stored for something other than what the client believes it sent; and the
    small input buffers that came with it (runners/inline.py)."""
    try:
        data = orjson.loads(body)
        inputs = from_text(data.pop("buffers", None))
        job = Job.from_json(data)
    except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError) as exc:
        raise BadJob(f"not a Job: {exc}") from None
    if not (isinstance(job.checksum, str) and is_checksum(job.checksum)
            and isinstance(job.transformation, dict) and isinstance(job.code, str)):
        raise BadJob("not a Job: checksum, transformation or code malformed")
    try:
        problem = job.inconsistency()
    except (SeamlessflowError, TypeError, AttributeError, IndexError) as exc:
        raise BadJob(f"not a Job: {exc}") from None
    if problem is not None:
        raise BadJob(problem)
    return job, inputs
