"""Jobs run on a jobserver through JobserverRunner: same results as local runners,
logs brought back, cancellation kills the remote command, clear failures."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from bash_jobs import printed
from process_watch import wait_gone

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
