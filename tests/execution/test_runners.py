"""The process and spawn runners: same results, concurrency, pool reuse, cancellation."""

from __future__ import annotations

import asyncio
import os

import pytest
from process_watch import await_file, await_gone, wait_gone

from seamlessflow.errors import UsageError
from seamlessflow.runners import make_runner

RUNNERS = ["process", "spawn"]


def sample_jobs(make_job):
    return [
        make_job('awk -v m="$n" \'length($0) >= m\' words > long.txt', inputs={"words": b"a\nabcd\nxyz\n"},
                 params={"n": 3}, captures=["long.txt"], name="bash"),
        make_job("import os\nos.makedirs('d/e')\nopen('d/e/f', 'w').write(str(k * 2))\nprint(k)",
                 language="python", params={"k": 21}, captures=["d/"], stdout=True, name="py"),
        make_job("cp -r tree copy", dir_inputs={"tree": {"x": b"x", "y/z": b"z"}},
                 captures=["copy/"], name="tree"),
    ]


async def run_all(kind, store, jobs, workers=2):
    runner = make_runner(kind, store, workers)
    try:
        return [await runner.run(job) for job in jobs]
    finally:
        await runner.close()


def test_spawn_and_process_give_identical_result_checksums(make_job, store):
    jobs = sample_jobs(make_job)
    by_process = asyncio.run(run_all("process", store, jobs))
    by_spawn = asyncio.run(run_all("spawn", store, jobs))
    assert all(o.ok for o in by_process + by_spawn), by_process + by_spawn
    assert [o.result_checksum for o in by_process] == [o.result_checksum for o in by_spawn]
    assert [o.result for o in by_process] == [o.result for o in by_spawn]
    assert make_job.stdout(by_spawn[1]) == b"21\n"


def test_spawn_pool_is_reused_across_jobs(make_job, store):
    jobs = [make_job("echo $PPID", stdout=True, name=f"j{i}") for i in range(5)]
    outcomes = asyncio.run(run_all("spawn", store, jobs, workers=2))
    worker_pids = {int(make_job.stdout(o)) for o in outcomes}
    assert len(worker_pids) == 1  # one job at a time: the first worker is reused each time
    assert os.getpid() not in worker_pids


def test_spawn_pool_never_grows_beyond_its_size(make_job, store):
    jobs = [make_job("sleep 0.2; echo $PPID", params={"i": i}, stdout=True) for i in range(5)]

    async def all_at_once():
        runner = make_runner("spawn", store, 2)
        try:
            return await asyncio.gather(*(runner.run(j) for j in jobs))
        finally:
            await runner.close()

    outcomes = asyncio.run(all_at_once())
    assert all(o.ok for o in outcomes)
    assert len({make_job.stdout(o) for o in outcomes}) == 2


def test_spawn_runs_failing_jobs_as_failed_outcomes(make_job, store):
    outcomes = asyncio.run(run_all("spawn", store, [
        make_job("echo bad >&2; exit 2", captures=["o"]),
        make_job("echo ok > o", captures=["o"]),
    ]))
    assert (outcomes[0].ok, outcomes[0].error, outcomes[0].stderr_tail) == (False, "exit 2", "bad")
    assert outcomes[1].ok


@pytest.mark.parametrize("kind", RUNNERS)
def test_cancelling_a_running_job_kills_its_command(make_job, store, tmp_path, kind):
    pid_file = tmp_path / "child.pid"
    job = make_job('sleep 100 & echo $! > "$pidfile"; wait', metavars={"pidfile": str(pid_file)},
                   captures=["out"])

    async def scenario() -> tuple[int, bool]:
        runner = make_runner(kind, store, 1)
        try:
            task = asyncio.create_task(runner.run(job))
            pid = int(await await_file(pid_file))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            gone = await await_gone(pid)  # the event loop runs on meanwhile
            after = await runner.run(make_job("echo again > out", captures=["out"]))
            return pid, gone and after.ok
        finally:
            await runner.close()

    _, ok = asyncio.run(scenario())
    assert ok
    assert list((tmp_path / "work").iterdir()) == []


def test_process_runner_handles_small_and_big_file_work_alike(make_job, store, tmp_path):
    """A few small files are handled on the event loop, many or big ones in threads:
    the outcome is the same either way."""
    many = {f"in/{i}.txt": f"{i}\n".encode() for i in range(40)}
    jobs = [
        make_job("cat in/*.txt | sort -n > all.txt", inputs=dict(list(many.items())[:3]),
                 captures=["all.txt"], name="few"),
        make_job("cat in/*.txt | sort -n > all.txt", inputs=many, captures=["all.txt"],
                 name="many"),
        make_job("head -c 3000000 /dev/zero > big.bin; echo done", captures=["big.bin"],
                 stdout=True, name="big"),
    ]
    outcomes = asyncio.run(run_all("process", store, jobs))
    assert all(o.ok for o in outcomes), outcomes
    expected_few = b"".join(many[f"in/{i}.txt"] for i in (0, 1, 2))
    assert store.get(outcomes[0].result["all.txt"]) == expected_few
    expected_many = b"".join(f"{i}\n".encode() for i in range(40))
    assert store.get(outcomes[1].result["all.txt"]) == expected_many
    assert store.get(outcomes[2].result["big.bin"]) == bytes(3_000_000)
    assert make_job.stdout(outcomes[2]) == b"done\n"
    assert list((tmp_path / "work").iterdir()) == []


# Each job marks its arrival, then waits (at most 30 s) for the other's mark: both succeed
# only when they ran at the same time, however slow the machine.
RENDEZVOUS = ('touch "$meeting/$i"; n=0; until [ -e "$meeting/$other" ] || [ $n -ge 300 ]; '
              'do sleep 0.1; n=$((n+1)); done; test -e "$meeting/$other"')


def _meeting_jobs(make_job, tmp_path, tail: str, **kw) -> list:
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    return [make_job(f"{RENDEZVOUS}; {tail}", params={"i": i, "other": 3 - i},
                     metavars={"meeting": str(meeting)}, **kw) for i in (1, 2)]


def test_process_runner_runs_jobs_concurrently(make_job, store, tmp_path):
    jobs = _meeting_jobs(make_job, tmp_path, "echo $i > out", captures=["out"])

    async def both():
        runner = make_runner("process", store)
        return await asyncio.gather(*(runner.run(j) for j in jobs))

    outcomes = asyncio.run(both())
    assert all(o.ok for o in outcomes), outcomes


def test_spawn_pool_runs_jobs_concurrently_on_its_workers(make_job, store, tmp_path):
    jobs = _meeting_jobs(make_job, tmp_path, "echo $PPID", stdout=True)

    async def both():
        runner = make_runner("spawn", store, 2)
        try:
            return await asyncio.gather(*(runner.run(j) for j in jobs))
        finally:
            await runner.close()

    outcomes = asyncio.run(both())
    assert all(o.ok for o in outcomes), outcomes
    assert len({make_job.stdout(o) for o in outcomes}) == 2


def test_closing_the_spawn_runner_stops_its_workers(make_job, store):
    async def scenario() -> int:
        runner = make_runner("spawn", store, 1)
        outcome = await runner.run(make_job("echo $PPID", stdout=True))
        await runner.close()
        return int(make_job.stdout(outcome))

    assert wait_gone(asyncio.run(scenario()), within=2.0)


def test_unknown_runner_kind_is_a_usage_error(store):
    with pytest.raises(UsageError):
        make_runner("remote", store, 1)
