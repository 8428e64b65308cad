"""The dask runner on a real LocalCluster: same results as the process runner, Dask's
dedup of identical work, failures, cancellation, cores, a hashserver store, and a
worker killed mid-job (last: the cluster needs a moment to replace that worker)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import distributed
import pytest
from bash_jobs import printed
from request_count import counting_proxy

from seamlessflow.errors import ExecutionError, UsageError
from seamlessflow.runners.dask import DaskRunner, store_spec, task_key
from seamlessflow.runners.process import ProcessRunner
from seamlessflow.storage.http_store import HttpBufferStore
from seamlessflow.storage.local_store import LocalBufferStore


async def run_all(runner, jobs, **kwargs):
    try:
        return await asyncio.gather(*(runner.run(job, **kwargs) for job in jobs))
    finally:
        await runner.close()


def scheduler_has(cluster: distributed.LocalCluster, key: str) -> bool:
    with distributed.Client(cluster, set_as_default=False) as client:
        return client.run_on_scheduler(lambda dask_scheduler: key in dask_scheduler.tasks)


def test_dask_gives_the_same_results_as_the_process_runner(cluster, make_job, store, helpers):
    jobs = helpers.sample_jobs(make_job)
    local = asyncio.run(run_all(ProcessRunner(store), jobs))
    remote = asyncio.run(run_all(DaskRunner(cluster.scheduler_address, store), jobs))
    assert all(o.ok for o in local + remote), remote
    assert [o.result_checksum for o in remote] == [o.result_checksum for o in local]
    assert [o.result for o in remote] == [o.result for o in local]
    assert printed(remote[1], store) == b"21\n"
    assert [o.log_path for o in remote] == [o.log_path for o in local]


def test_the_runner_sends_each_submission_to_the_scheduler_at_once(cluster, store):
    """distributed's client holds its messages to the scheduler back for up to 10 ms, to
    batch them; a run submits one task whenever a slot frees up, so every step waited."""
    async def send_interval() -> float:
        runner = DaskRunner(cluster.scheduler_address, store)
        try:
            client = await runner._client()
            return client.scheduler_comm.interval
        finally:
            await runner.close()

    assert asyncio.run(send_interval()) <= 0.001


def test_200_small_jobs_complete_and_identical_ones_run_once(cluster, make_job, store, tmp_path):
    counter = tmp_path / "executions.txt"
    code = 'echo "$i" >> "$counter"; echo "$i" > out'
    distinct = [make_job(code, params={"i": i}, metavars={"counter": str(counter)},
                         captures=["out"], name=f"j{i}")
                for i in range(100)]
    # the same transformations again, under other names (names are not identity)
    twins = [make_job(code, params={"i": i}, metavars={"counter": str(counter)},
                      captures=["out"], name=f"twin{i}") for i in range(100)]
    outcomes = asyncio.run(run_all(DaskRunner(cluster.scheduler_address, store),
                                   distinct + twins))
    assert all(o.ok for o in outcomes)
    checksums = [o.result_checksum for o in outcomes]
    assert checksums[:100] == checksums[100:]
    assert sorted(int(x) for x in counter.read_text().split()) == list(range(100))
    assert store.get(outcomes[42].result["out"]) == b"42\n"


def test_failing_command_is_a_failed_outcome_with_its_stderr_tail(cluster, make_job, store):
    failing = make_job("echo starting >&2; echo bad >&2; exit 2", captures=["o"], name="bad")
    fine = make_job("echo ok > o", captures=["o"], name="fine")
    bad, good = asyncio.run(run_all(DaskRunner(cluster.scheduler_address, store), [failing, fine]))
    assert (bad.ok, bad.exit_code, bad.error) == (False, 2, "exit 2")
    assert bad.stderr_tail == "starting\nbad"
    assert Path(failing.log_path).read_text() == "starting\nbad\n"
    assert bad.result is None
    assert good.ok


def test_a_success_brings_back_its_stderr_log_and_a_silent_one_none(cluster, make_job,
                                                                    store):
    noisy = make_job("echo warning >&2; echo done > out.txt", captures=["out.txt"],
                     name="noisy")
    silent = make_job("echo done > out.txt", captures=["out.txt"], name="silent")
    outcomes = asyncio.run(run_all(DaskRunner(cluster.scheduler_address, store),
                                   [noisy, silent]))
    assert [o.ok for o in outcomes] == [True, True]
    assert [o.log_path for o in outcomes] == [noisy.log_path, None]
    assert Path(noisy.log_path).read_text() == "warning\n"
    assert not Path(silent.log_path).exists()


def test_a_failed_job_runs_again_when_asked_again(cluster, make_job, store, tmp_path):
    """Retrying a failed step (the scheduler's `retries:`) must execute it again, not get
    Dask's answer for the same key back."""
    tries = tmp_path / "tries.txt"
    job = make_job('echo x >> "$tries"; [ "$(wc -l < "$tries")" -ge 2 ] && echo ok > o',
                   metavars={"tries": str(tries)}, captures=["o"])

    async def twice():
        runner = DaskRunner(cluster.scheduler_address, store)
        try:
            return await runner.run(job), await runner.run(job)
        finally:
            await runner.close()

    first, second = asyncio.run(twice())
    assert (first.ok, second.ok) == (False, True)


def test_cancelling_the_run_cancels_the_future_and_kills_the_command(cluster, make_job, store,
                                                                     tmp_path, helpers):
    pid_file = tmp_path / "child.pid"
    job = make_job('sleep 100 & echo $! > "$pidfile"; wait', metavars={"pidfile": str(pid_file)},
                   captures=["out"])

    async def scenario() -> bool:
        runner = DaskRunner(cluster.scheduler_address, store, workdir=str(tmp_path / "work"))
        try:
            task = asyncio.create_task(runner.run(job))
            pid = int(await helpers.await_file(pid_file))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await helpers.wait_gone(pid)
        finally:
            await runner.close()

    assert asyncio.run(scenario())
    deadline = time.monotonic() + 10
    while scheduler_has(cluster, task_key(job.checksum)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not scheduler_has(cluster, task_key(job.checksum))
    while list((tmp_path / "work").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker removes the workspace once the command is dead
    assert list((tmp_path / "work").iterdir()) == []


def test_cores_become_a_resource_the_workers_advertise(cluster, make_job, store, tmp_path,
                                                       helpers):
    """The workers have one "cores" each: a job asking for three still runs (capped at
    the most any worker has), restricted to that resource."""
    started, go = tmp_path / "started", tmp_path / "go"
    job = make_job('echo $$ > "$started"; while [ ! -e "$go" ]; do sleep 0.05; done; echo > o',
                   metavars={"started": str(started), "go": str(go)}, captures=["o"])

    async def scenario():
        runner = DaskRunner(cluster.scheduler_address, store)
        try:
            task = asyncio.create_task(runner.run(dataclasses.replace(job, cores=3)))
            await helpers.await_file(started)
            with distributed.Client(cluster, set_as_default=False) as client:
                restrictions = client.run_on_scheduler(
                    lambda dask_scheduler, key: dask_scheduler.tasks[key].resource_restrictions,
                    key=task_key(job.checksum))
            go.touch()
            return restrictions, await task
        finally:
            await runner.close()

    restrictions, outcome = asyncio.run(scenario())
    assert restrictions == {"cores": 1}
    assert outcome.ok


def test_memory_becomes_a_resource_too(cluster, make_job, store, tmp_path, helpers):
    """A job's `memory:` (bytes) is restricted to the workers' "memory" resource, capped
    at the most one worker has; the command is told the cores it got."""
    started, go = tmp_path / "started", tmp_path / "go"
    job = make_job('echo $$ > "$started"; while [ ! -e "$go" ]; do sleep 0.05; done; '
                   'echo $SEAMLESSFLOW_CORES > o',
                   metavars={"started": str(started), "go": str(go)}, captures=["o"])

    async def scenario():
        runner = DaskRunner(cluster.scheduler_address, store)
        try:
            task = asyncio.create_task(runner.run(dataclasses.replace(job, cores=2,
                                                                      memory=4 * helpers.MEMORY)))
            await helpers.await_file(started)
            with distributed.Client(cluster, set_as_default=False) as client:
                restrictions = client.run_on_scheduler(
                    lambda dask_scheduler, key: dask_scheduler.tasks[key].resource_restrictions,
                    key=task_key(job.checksum))
            go.touch()
            return restrictions, await task
        finally:
            await runner.close()

    restrictions, outcome = asyncio.run(scenario())
    assert restrictions == {"cores": 1, "memory": helpers.MEMORY}
    assert outcome.ok
    assert store.get(outcome.result and outcome.result["o"]) == b"1\n"


@contextlib.contextmanager
def served_hashserver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL, folder) of a hashserver the test starts, with its token in the config folder
    the workers share (see the cluster fixture)."""
    folder = tmp_path / "served"
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "seamlessflow", "serve", "hashserver", "--dir", str(folder),
         "--writable", "--port-range", "42000-42099"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the hashserver did not start"
        yield proc.stdout.readline().split()[-1], folder
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def test_workers_fetch_and_store_buffers_through_a_hashserver(cluster, tmp_path, helpers):
    with served_hashserver(tmp_path) as (url, folder):
        store = HttpBufferStore(url)
        job = helpers.JobFactory(store, tmp_path)("tr a-z A-Z < words > upper", captures=["upper"],
                                                  inputs={"words": b"hello\n"})
        [outcome] = asyncio.run(run_all(DaskRunner(cluster.scheduler_address, store), [job]))
    assert outcome.ok, outcome
    assert LocalBufferStore(folder).get(outcome.result["upper"]) == b"HELLO\n"


def test_small_buffers_travel_with_the_task_and_its_answer(cluster, tmp_path, helpers):
    """The small input the client just stored goes to the worker with the task, and the
    small capture comes back with the answer: the hashserver serves neither (one round
    trip fewer each per step), yet holds both, as every worker and client may need them."""
    with served_hashserver(tmp_path) as (url, folder), counting_proxy(url) as (proxy, counts):
        store = HttpBufferStore(proxy)
        job = helpers.JobFactory(store, tmp_path)("tr a-z A-Z < words > upper", captures=["upper"],
                                                  inputs={"words": b"hello\n"}, with_texts=True)
        [outcome] = asyncio.run(run_all(DaskRunner(cluster.scheduler_address, store), [job]))
        assert outcome.ok, outcome
        # what a run does next: the capture written into the project
        assert store.write_to(outcome.result["upper"], tmp_path / "upper")
        assert counts["GET buffer"] == 0, counts
    assert (tmp_path / "upper").read_bytes() == b"HELLO\n"
    served = LocalBufferStore(folder)
    assert served.get(outcome.result["upper"]) == b"HELLO\n"
    assert served.get(job.inputs()["words"][0]) == b"hello\n"
    assert served.get(outcome.result_checksum) is not None


def test_unreachable_scheduler_fails_jobs_with_a_clear_message(make_job, store, monkeypatch):
    monkeypatch.setenv("SEAMLESS_REMOTE_CONNECT_TIMEOUT", "1")
    runner = DaskRunner("tcp://127.0.0.1:9", store)

    async def scenario():
        with pytest.raises(ExecutionError, match="cannot reach the Dask scheduler at tcp://"):
            await runner.connect()
        return await run_all(runner, [make_job("true")])

    [outcome] = asyncio.run(scenario())
    assert not outcome.ok
    assert outcome.error.startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9")


def test_store_spec_is_a_folder_or_a_hashserver_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert store_spec("buffers") == str(tmp_path / "buffers")
    assert store_spec(LocalBufferStore(Path("b"))) == str(tmp_path / "b")
    assert store_spec(HttpBufferStore("http://127.0.0.1:5813/")) == "http://127.0.0.1:5813"
    with pytest.raises(UsageError, match="buffer folder or a hashserver"):
        store_spec(42)  # type: ignore[arg-type]


def test_a_worker_killed_mid_job_is_replaced_and_the_job_completes(cluster, make_job, store,
                                                                   tmp_path, helpers):
    attempts = tmp_path / "attempts.txt"
    job = make_job('echo $PPID >> "$attempts"; sleep 2; echo done > out',
                   metavars={"attempts": str(attempts)}, captures=["out"])

    async def scenario():
        runner = DaskRunner(cluster.scheduler_address, store, workdir=str(tmp_path / "work"))
        try:
            task = asyncio.create_task(runner.run(job))
            worker_pid = int(await helpers.await_file(attempts))
            os.kill(worker_pid, signal.SIGKILL)
            return worker_pid, await task
        finally:
            await runner.close()

    killed, outcome = asyncio.run(scenario())
    assert outcome.ok, outcome
    assert store.get(outcome.result["out"]) == b"done\n"
    pids = [int(x) for x in attempts.read_text().split()]
    assert len(pids) == 2 and pids[0] == killed and pids[1] != killed
