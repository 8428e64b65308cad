"""Jobs run on a jobserver through JobserverRunner: same results as local runners,
logs brought back, cancellation kills the remote command, clear failures."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from bash_jobs import printed
from process_watch import wait_gone
from request_count import counting_proxy

from seamlessflow.config.tokens import token_for_url
from seamlessflow.runners.jobserver import JobserverRunner
from seamlessflow.runners.process import ProcessRunner
from seamlessflow.storage.http_store import HttpBufferStore
from seamlessflow.storage.local_store import LocalBufferStore


@pytest.fixture
def jobserver(start_service, hashserver):
    return start_service("jobserver", "--hashserver", hashserver.url, "--workers", "2")


async def run_jobs(runner, jobs):
    try:
        return await asyncio.gather(*(runner.run(job) for job in jobs))
    finally:
        await runner.close()


def sample_jobs(make_job, store):
    return [
        make_job(store, "awk -v m=\"$n\" 'length($0) >= m' words > long.txt",
                 inputs={"words": b"a\nabcd\nxyz\n"}, params={"n": 3}, captures=["long.txt"],
                 name="bash"),
        make_job(store, "import os\nos.makedirs('d/e')\nopen('d/e/f', 'w').write(str(k * 2))\n"
                 "print(k)", language="python", params={"k": 21}, captures=["d/"], stdout=True,
                 name="py"),
    ]


def test_jobserver_gives_the_same_results_as_the_process_runner(
        hashserver, jobserver, make_job, tmp_path):
    remote_store = HttpBufferStore(hashserver.url)
    jobs = sample_jobs(make_job, remote_store)
    remote = asyncio.run(run_jobs(JobserverRunner(jobserver.url), jobs))
    local_store = LocalBufferStore(tmp_path / "local")
    local = asyncio.run(run_jobs(ProcessRunner(local_store), sample_jobs(make_job, local_store)))

    assert all(o.ok for o in remote + local), remote + local
    assert [o.result_checksum for o in remote] == [o.result_checksum for o in local]
    # the result buffers are in the jobserver's store, where the client can fetch them
    assert remote_store.get(remote[0].result["long.txt"]) == b"abcd\nxyz\n"
    assert printed(remote[1], remote_store) == b"21\n"
    assert remote_store.get(remote[0].result_checksum) is not None


def test_a_failing_job_comes_back_failed_with_its_log(hashserver, jobserver, make_job):
    job = make_job(HttpBufferStore(hashserver.url), "echo first >&2; echo last >&2; exit 3",
                   captures=["never"], name="failing")
    [outcome] = asyncio.run(run_jobs(JobserverRunner(jobserver.url), [job]))
    assert (outcome.ok, outcome.exit_code, outcome.error) == (False, 3, "exit 3")
    assert outcome.stderr_tail == "first\nlast"
    assert outcome.log_path == job.log_path  # written on the client's side
    assert Path(job.log_path).read_text() == "first\nlast\n"


def test_a_success_brings_back_its_stderr_log_and_a_silent_one_none(hashserver, jobserver,
                                                                    make_job):
    store = HttpBufferStore(hashserver.url)
    noisy = make_job(store, "echo warning >&2; echo done > out.txt", captures=["out.txt"],
                     name="noisy")
    silent = make_job(store, "echo done > out.txt", captures=["out.txt"], name="silent")
    outcomes = asyncio.run(run_jobs(JobserverRunner(jobserver.url), [noisy, silent]))
    assert [o.ok for o in outcomes] == [True, True]
    assert [o.log_path for o in outcomes] == [noisy.log_path, None]
    assert Path(noisy.log_path).read_text() == "warning\n"
    assert not Path(silent.log_path).exists()


def test_small_buffers_travel_with_the_job_and_its_answer(start_service, hashserver,
                                                         make_job, tmp_path):
    """The small input the client just stored reaches the jobserver's worker with the
    job, and the small capture comes back with the answer: the hashserver (behind a
    counting proxy, for the jobserver and the client alike) serves neither, yet holds
    both."""
    with counting_proxy(hashserver.url) as (proxy, counts):
        jobserver = start_service("jobserver", "--hashserver", proxy, "--workers", "1")
        store = HttpBufferStore(proxy)
        job = make_job(store, "tr a-z A-Z < words > upper", inputs={"words": b"hello\n"},
                       captures=["upper"], with_texts=True)
        [outcome] = asyncio.run(run_jobs(JobserverRunner(jobserver.url, store=store), [job]))
        assert outcome.ok, outcome
        # what a run does next: the capture written into the project
        assert store.write_to(outcome.result["upper"], tmp_path / "upper")
        assert counts["GET buffer"] == 0, counts
    assert (tmp_path / "upper").read_bytes() == b"HELLO\n"
    served = LocalBufferStore(tmp_path / "buffers")
    assert served.get(outcome.result["upper"]) == b"HELLO\n"
    assert served.get(job.inputs()["words"][0]) == b"hello\n"


def test_a_jobserver_that_refuses_buffers_gets_the_job_alone(hashserver, jobserver, make_job):
    """A jobserver of an older version knows no buffers in a job (it answers 400): the
    runner sends the job alone, as those versions expect, from then on."""
    refused = []

    async def old_jobserver(request: web.Request) -> web.Response:
        body = await request.read()
        if b'"buffers"' in body:
            refused.append(body)
            return web.Response(status=400, text="not a Job: unexpected keyword 'buffers'")
        async with aiohttp.ClientSession() as session, session.post(
                jobserver.url + request.path, data=body,
                headers={"Authorization": request.headers.get("Authorization", "")}) as answer:
            return web.Response(status=answer.status, body=await answer.read())

    async def scenario() -> list:
        app = web.Application()
        app.router.add_post("/job", old_jobserver)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            store = HttpBufferStore(hashserver.url)
            jobs = [make_job(store, f"cat words > copy; echo {i} >> copy",
                             inputs={"words": b"word %d\n" % i}, captures=["copy"], name=f"c{i}")
                    for i in range(3)]
            client = JobserverRunner(f"http://127.0.0.1:{port}", token_for_url(jobserver.url),
                                     store=store)
            try:  # two at once, both refused (as with -j2); then one more, sent alone
                return [*await asyncio.gather(*(client.run(job) for job in jobs[:2])),
                        await client.run(jobs[2])]
            finally:
                await client.close()
        finally:
            await runner.cleanup()

    outcomes = asyncio.run(scenario())
    assert [o.ok for o in outcomes] == [True, True, True], outcomes
    assert [b"word 2" in body for body in refused] == [False] * len(refused)
    assert 1 <= len(refused) <= 2


def test_cancelling_the_runner_kills_the_remote_command(hashserver, jobserver, make_job,
                                                        tmp_path):
    pid_file = tmp_path / "pid"
    job = make_job(HttpBufferStore(hashserver.url), f"echo $$ > {pid_file}; sleep 60",
                   name="slow")

    async def start_then_cancel() -> int:
        runner = JobserverRunner(jobserver.url)
        task = asyncio.ensure_future(runner.run(job))
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text().endswith("\n")):
            assert time.monotonic() < deadline, "the job never started"
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await runner.close()
        return int(pid_file.read_text())

    pid = asyncio.run(start_then_cancel())
    assert wait_gone(pid, within=10.0)


def test_a_job_that_is_not_what_its_checksum_says_is_refused(hashserver, jobserver, make_job):
    job = make_job(HttpBufferStore(hashserver.url), "echo hi", stdout=True)
    job.transformation["params"] = {"sneaked": "in"}
    [outcome] = asyncio.run(run_jobs(JobserverRunner(jobserver.url), [job]))
    assert not outcome.ok
    assert outcome.error.startswith(f"jobserver {jobserver.url} refused the job: HTTP 400")
    assert "does not hash to" in outcome.error


def test_an_unreachable_jobserver_fails_the_job_naming_its_url(hashserver, make_job):
    job = make_job(HttpBufferStore(hashserver.url), "echo hi", stdout=True)
    url = "http://127.0.0.1:9"  # discard port: nothing listens
    [outcome] = asyncio.run(run_jobs(JobserverRunner(url, retries=1), [job]))
    assert not outcome.ok
    assert outcome.error == f"jobserver {url}: connection refused (is the service running?) " \
                            "(gave up after 2 attempts)"
