"""The `jobserver` runner: each Job is sent to a jobserver and runs there.

The request stays open while the job runs (the server sends whitespace meanwhile).
Cancelling `run` closes the connection, and the server then kills the job's command.
A jobserver that cannot be reached, answers 5xx or drops the connection is retried with
backoff: running a Job twice is harmless (same transformation, same result). When it
stays unreachable the job fails with a message naming the URL; like every runner, `run`
returns a failed outcome rather than raising.

The job's inputs must already be in the jobserver's buffer store, and its result buffers
end up there; recording the result is the caller's business, as with any runner. Small
buffers at hand travel with the job and its answer as well (runners/inline.py), sparing
the round trips that would fetch them back. This is the one module of the client side
that imports aiohttp (the runner is async).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import orjson

from seamlessflow.config.tokens import resolve_token
from seamlessflow.errors import StoreError
from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.runners.inline import from_text, inputs_at_hand, remember_all, to_text
from seamlessflow.storage.atomic import atomic_write_bytes
from seamlessflow.storage.http_client import (
    DEFAULT_RETRIES,
    ServerError,
    backoff,
    check_url,
    connect_timeout,
    describe_error,
    describe_status,
    read_timeout,
)
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.wire import JOB_PATH


class JobserverRunner:
    name = "jobserver"

    def __init__(self, url: str, token: str | None = None, *, retries: int = DEFAULT_RETRIES,
                 store: BufferStore | None = None):
        """`store`: the client's store of the jobserver's buffers, whose small buffers
        at hand travel with the job and its answer (runners/inline.py)."""
        check_url(url, "jobserver")
        self.store = store
        self._inline = True  # until a jobserver refuses buffers sent with a job
        self.url = url.rstrip("/")
        self.token = resolve_token(self.url, token)
        self._token_is_explicit = token is not None
        self.retries = retries
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"JobserverRunner({self.url!r})"

    async def run(self, job: Job) -> JobOutcome:
        payload, inline = self._payload(job)
        for tries, delay in enumerate(backoff(self.retries), start=1):
            try:
                return await self._attempt(job, payload, inline)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ServerError) as exc:
                if delay is None:
                    cause = getattr(exc, "os_error", exc)  # aiohttp wraps the socket's error
                    return JobOutcome(ok=False, error=f"jobserver {self.url}: "
                                      f"{describe_error(cause)} (gave up after {tries} attempts)")
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: backoff ends with None")

    def _payload(self, job: Job) -> tuple[bytes, bool]:
        """The request's body, and whether it carries buffers."""
        data = job.to_json()
        inputs = inputs_at_hand(self.store, job) if self.store is not None and self._inline \
            else {}
        if inputs:
            data["buffers"] = to_text(inputs)
        return orjson.dumps(data), bool(inputs)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _attempt(self, job: Job, payload: bytes, inline: bool) -> JobOutcome:
        async with self._client().post(self.url + JOB_PATH, data=payload,
                                       headers={"Content-Type": "application/json"}) as response:
            body = await response.read()
        if response.status == 401 and await self._refresh_token():
            return await self._attempt(job, payload, inline)
        if response.status == 400 and inline:
            # a jobserver of an older version, which knows no buffers: the job alone, as
            # it expects, from now on (jobs sent meanwhile come back here too)
            self._inline = False
            return await self._attempt(job, orjson.dumps(job.to_json()), False)
        if response.status != 200:
            text = body.decode("utf-8", "replace")
            why = describe_status(response.status, response.reason or "", text)
            if response.status >= 500:
                raise ServerError(why)
            return JobOutcome(ok=False, error=f"jobserver {self.url} refused the job: {why}")
        try:
            answer = orjson.loads(body)
            outcome = JobOutcome.from_json(answer["outcome"])
            log = answer.get("log")
            captured = from_text(answer.get("buffers"))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return JobOutcome(ok=False, error=f"jobserver {self.url} sent a malformed answer")
        if self.store is not None:
            remember_all(self.store, captured)
        if isinstance(log, str) and job.log_path:
            outcome.log_path = await asyncio.to_thread(_publish_log, job.log_path, log)
        return outcome

    async def _refresh_token(self) -> bool:
        """After a 401: whether the jobserver's token file now holds another token (it was
        restarted); if so, the session is remade with it."""
        if self._token_is_explicit:
            return False
        token = await asyncio.to_thread(resolve_token, self.url, None)
        if token is None or token == self.token:
            return False
        self.token = token
        await self.close()
        return True

    def _client(self) -> aiohttp.ClientSession:
        """Made on first use, inside the running loop, as aiohttp requires."""
        if self._session is None:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            # sock_read applies between reads; the server's heartbeats keep a long job alive
            timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout(),
                                            sock_read=read_timeout())
            self._session = aiohttp.ClientSession(
                headers=headers, timeout=timeout, connector=aiohttp.TCPConnector(limit=0))
        return self._session


def _publish_log(log_path: str, text: str) -> str | None:
    """Where the job's log now is, or None: an unwritable log folder must not turn a
    success into a failure (as for local runners)."""
    try:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(Path(log_path), text.encode())
    except (OSError, StoreError):
        return None
    return log_path
