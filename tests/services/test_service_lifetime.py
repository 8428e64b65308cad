"""The services `run` starts in the background: it says so (which, where, its log, how to
stop it), and they stop by themselves after the cluster's idle timeout, as a normal stop
does (token file and record gone), but never while a run uses them or a job runs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_watch import process_alive

from seamlessflow.runners.jobserver import JobserverRunner
from seamlessflow.storage.http_store import HttpBufferStore

EXIT_WITHIN_S = 60.0  # a bound on waiting, far above the timeouts used here
_STARTED = re.compile(r"^started the (\w+) of cluster 'lab' in the background on "
                      r"(http://\S+) \(pid (\d+), log (\S+)\); (.*)$", re.M)

# A step on the cluster's jobserver and one in-process, each longer than the idle
# timeout: the hashserver and database hear nothing from either while they run.
SLOW = """\
stage here:
    execution: process

step far:
    shell: "sleep 4; echo far > far.txt"
    captures: far.txt

step near:
    stage: here
    shell: "sleep 4; echo near > near.txt"
    captures: near.txt
"""


FRONTENDS = """\
  frontends:
    - hostname: localhost
      hashserver: {port_start: 44100, port_end: 44199}
      database: {port_start: 44200, port_end: 44299}
      jobserver: {port_start: 44300, port_end: 44399}
"""


def _sf(env: dict, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seamlessflow", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def lab(tmp_path):
    """make(idle_timeout) -> (env, project folder) for a cluster 'lab' whose services
    `run` starts, with that idle timeout in clusters.yaml."""

    def make(idle_timeout: str | None) -> tuple[dict, Path]:
        config = tmp_path / "config"
        config.mkdir(exist_ok=True)
        idle = f"  idle_timeout: {idle_timeout}\n" if idle_timeout is not None else ""
        (config / "clusters.yaml").write_text("lab:\n  type: local\n" + idle + FRONTENDS)
        env = {k: v for k, v in os.environ.items()
               if k not in ("SEAMLESSFLOW_HASHSERVER", "SEAMLESSFLOW_DATABASE",
                            "SEAMLESS_REMOTE_CLIENTS", "SEAMLESSFLOW_TOKEN")}
        env.update(SEAMLESS_CONFIG_DIR=str(config), SEAMLESSFLOW_CACHE=str(tmp_path / "cache"))
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        (root / "Seamlessfile").write_text(SLOW)
        (root / "seamless.yaml").write_text("- cluster: lab\n")
        return env, root

    yield make
    if (tmp_path / "config").exists():
        _sf({**os.environ, "SEAMLESS_CONFIG_DIR": str(tmp_path / "config"),
             "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}, "services", "stop")


def _token_files(env: dict) -> list[Path]:
    return list((Path(env["SEAMLESS_CONFIG_DIR"]) / "seamlessflow-tokens").glob("*.json"))


def test_run_says_which_services_it_starts_and_they_stop_once_idle(lab):
    env, root = lab("2")
    done = _sf(env, "-C", root, "run")
    assert done.returncode == 0, done.stderr
    assert "2 ran" in done.stdout
    # the services outlived no step: each was started once, and answered to the end
    started = {m[0]: m for m in _STARTED.findall(done.stderr)}
    assert sorted(started) == ["database", "hashserver", "jobserver"], done.stderr
    for service, url, _pid, log, until in started.values():
        assert url.startswith("http://127.0.0.1:")
        assert Path(log).name == f"lab-{service}.log"
        assert until == ("it stops after 2 s without work, or now with "
                         "`seamlessflow services stop --cluster lab`")

    # idle now: each stops by itself; `services status`, asked meanwhile, does not keep
    # them up (a healthcheck is no work)
    pids = [int(m[2]) for m in started.values()]
    deadline = time.monotonic() + EXIT_WITHIN_S
    while any(process_alive(pid) for pid in pids) and time.monotonic() < deadline:
        status = _sf(env, "services", "status")
        assert status.returncode == 0, status.stderr
    assert not any(process_alive(pid) for pid in pids)
    # as after `services stop`: no record, no token file left behind
    assert _sf(env, "services", "status").stdout == "no services started by seamlessflow\n"
    assert _token_files(env) == []
    for service, _url, _pid, log, _until in started.values():
        assert f"{service}: idle for 2 s, stopping" in Path(log).read_text()

    # the next run starts them again, and says so again
    again = _sf(env, "-C", root, "run", "--force", "far")
    assert again.returncode == 0, again.stderr
    assert sorted(m[0] for m in _STARTED.findall(again.stderr)) == \
        ["database", "hashserver", "jobserver"]


def test_idle_timeout_0_keeps_them_and_later_runs_reuse_them_quietly(lab):
    env, root = lab("0")
    first = _sf(env, "-C", root, "run")
    assert first.returncode == 0, first.stderr
    started = _STARTED.findall(first.stderr)
    assert len(started) == 3
    assert {m[4] for m in started} == {
        "it keeps running until `seamlessflow services stop --cluster lab`"}

    second = _sf(env, "-C", root, "run")
    assert second.returncode == 0, second.stderr
    assert "2 cached" in second.stdout
    assert "started" not in second.stderr  # nothing new was started
    status = _sf(env, "services", "status").stdout.splitlines()
    assert len(status) == 3 and all(line.endswith("running") for line in status)
    assert {int(line.split("pid")[1].split()[0]) for line in status} == \
        {int(m[2]) for m in started}


def test_quiet_run_starts_them_without_a_word(lab):
    env, root = lab(None)  # the default timeout: 10 minutes
    done = _sf(env, "-q", "-C", root, "run")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    status = _sf(env, "services", "status").stdout.splitlines()
    assert len(status) == 3


def test_a_dask_local_cluster_is_said_and_ends_with_the_run(tmp_path):
    """The one cluster `run` starts in its own process: said, and gone with the run."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "clusters.yaml").write_text(
        "lab:\n  type: local\n  frontends:\n    - hostname: localhost\n      daskserver: "
        "{port_start: 44400, port_end: 44499, workers: 1, dashboard_port: 0}\n")
    root = tmp_path / "project"
    root.mkdir()
    (root / "Seamlessfile").write_text('step a:\n    shell: "echo a > a.txt"\n'
                                       "    captures: a.txt\n")
    (root / "seamless.yaml").write_text("- cluster: lab\n")
    env = {**os.environ, "SEAMLESS_CONFIG_DIR": str(config),
           "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}
    done = _sf(env, "-C", root, "run")
    assert done.returncode == 0, done.stderr
    said = re.search(r"^started a Dask LocalCluster for this run on tls://127\.0\.0\.1:(\d+) "
                     r"\(1 worker\); it stops when the run ends$", done.stderr, re.M)
    assert said, done.stderr
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(said[1])), timeout=10).close()
    assert _sf(env, "services", "status").stdout == "no services started by seamlessflow\n"


def test_a_job_longer_than_the_idle_timeout_is_never_cut_off(start_service, hashserver,
                                                             make_job):
    """No keepalive here: the job's request, held open while it runs, is work."""
    jobserver = start_service("jobserver", "--hashserver", hashserver.url, "--workers", "1",
                              "--idle-timeout", "1")
    job = make_job(HttpBufferStore(hashserver.url), "sleep 3; echo done > out.txt",
                   captures=["out.txt"])
    runner = JobserverRunner(jobserver.url)

    async def run_one():
        try:
            return await runner.run(job)
        finally:
            await runner.close()

    outcome = asyncio.run(run_one())
    assert outcome.ok, outcome.error
    # then idle: it stops by itself, cleanly
    assert jobserver.proc.wait(EXIT_WITHIN_S) == 0
    assert "jobserver: idle for 1 s, stopping" in jobserver.stderr.read_text()
    assert not (Path(os.environ["SEAMLESS_CONFIG_DIR"]) / "seamlessflow-tokens" /
                f"{jobserver.port}.json").exists()


def test_keepalive_is_work_only_its_owner_can_send(start_service, raw, tmp_path):
    """Another account may read from a loopback service, but not keep it up for ever."""
    hashserver = start_service("hashserver", "--writable", "--dir", str(tmp_path / "b"),
                               "--idle-timeout", "30")
    assert raw(hashserver.url, "POST", "/keepalive", owner=False)[0] == 401
    status, body = raw(hashserver.url, "POST", "/keepalive")
    assert (status, json.loads(body)) == (200, {"idle_timeout": 30.0})


@pytest.mark.parametrize("value", ["-1", "0.5", "soon", "true", ".inf"])
def test_a_bad_idle_timeout_names_the_file_and_the_key(lab, value):
    env, root = lab(value)
    done = _sf(env, "-C", root, "run")
    assert done.returncode == 2
    assert "clusters.yaml: cluster 'lab': idle_timeout: expected a number of seconds" \
        in done.stderr
    assert "Traceback" not in done.stderr
