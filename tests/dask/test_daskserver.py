"""`serve daskserver` as a real process, and the three forms of a clusters.yaml
`daskserver` entry."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import select
import signal
import socket
import stat
import subprocess
import sys

import distributed
import pytest
from distributed.security import Security

from seamlessflow.errors import UsageError
from seamlessflow.runners.dask import DaskRunner
from seamlessflow.services.daskserver import open_dask

PORTS = (42300, 42399)
_SERVE = """
import argparse, sys
from seamlessflow.services.daskserver import serve_daskserver
raise SystemExit(serve_daskserver(argparse.Namespace(
    host="127.0.0.1", port=None, port_range=sys.argv[1], workers=1, threads=2,
    dashboard_port=None, token_file=None, no_token=sys.argv[2:] == ["--no-token"])))
"""


@pytest.fixture(autouse=True)
def private_config(tmp_path, monkeypatch):
    """The schedulers' credential files go to a config folder of this test's own."""
    monkeypatch.setenv("SEAMLESS_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def refused_without_our_credentials(address: str) -> bool:
    """Whether a client with TLS credentials of its own (another account's) is kept out."""
    try:
        distributed.Client(address, security=Security.temporary(), timeout=5,
                           set_as_default=False).close()
    except (OSError, TimeoutError):
        return True
    return False


def read_line(proc: subprocess.Popen, within: float = 60.0) -> str:
    """One line of an unbuffered stdout: select() then sees exactly what is unread."""
    ready, _, _ = select.select([proc.stdout], [], [], within)
    assert ready, "no output from the daskserver"
    return proc.stdout.readline().decode().strip()


async def run_one(address: str, store, job, cores: int = 1):
    runner = DaskRunner(address, store)
    try:
        return await runner.run(dataclasses.replace(job, cores=cores))
    finally:
        await runner.close()


def test_serve_daskserver_takes_a_free_port_runs_jobs_and_stops_on_sigterm(make_job, store,
                                                                            tmp_path,
                                                                            private_config):
    first = socket.create_server(("127.0.0.1", 0))  # a taken port at the start of the range
    taken = first.getsockname()[1]
    with open(tmp_path / "stderr", "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", _SERVE, f"{taken}-{taken + 20}"],
                                stdout=subprocess.PIPE, stderr=stderr, bufsize=0,
                                env={**os.environ, "SEAMLESSFLOW_CACHE": str(tmp_path)})
    try:
        serving = re.fullmatch(r"serving daskserver on (tls://127\.0\.0\.1:(\d+))", read_line(proc))
        assert serving, (tmp_path / "stderr").read_text()
        assert taken < int(serving.group(2)) <= taken + 20
        assert read_line(proc).startswith("dashboard: ")
        credentials = private_config / "seamlessflow-tokens" / f"{socket.gethostname()}-{serving.group(2)}.json"
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        assert refused_without_our_credentials(serving.group(1))
        # each worker advertises its threads as cores: a 2-core step runs on the 2 threads
        outcome = asyncio.run(run_one(serving.group(1), store,
                                      make_job("echo hi > o", captures=["o"]), cores=2))
        assert outcome.ok, outcome
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        first.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "daskserver stopped" in (tmp_path / "stderr").read_text()
    assert not credentials.exists()
    with pytest.raises(OSError):  # the scheduler is gone
        socket.create_connection(("127.0.0.1", int(serving.group(2))), timeout=2).close()


def test_serve_daskserver_no_token_serves_plain_tcp_and_says_so(make_job, store, tmp_path):
    with open(tmp_path / "stderr", "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", _SERVE, f"{PORTS[0]}-{PORTS[1]}",
                                 "--no-token"], stdout=subprocess.PIPE, stderr=stderr, bufsize=0)
    try:
        serving = re.fullmatch(r"serving daskserver on (tcp://127\.0\.0\.1:\d+)", read_line(proc))
        assert serving, (tmp_path / "stderr").read_text()
        assert "WARNING: daskserver serves WITHOUT A TOKEN" in (tmp_path / "stderr").read_text()
        with distributed.Client(serving.group(1), timeout=10, set_as_default=False) as client:
            assert client.submit(sum, [1, 2]).result() == 3  # anyone may run code on it
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def test_a_local_cluster_entry_starts_a_cluster_and_its_closer_stops_it(make_job, store,
                                                                        private_config):
    address, close = open_dask({"port_start": PORTS[0], "port_end": PORTS[1], "workers": 1,
                                "threads_per_worker": 1, "conda": "ignored"})
    try:
        port = int(address.rsplit(":", 1)[1])
        assert address.startswith("tls://127.0.0.1:") and PORTS[0] <= port <= PORTS[1]
        assert refused_without_our_credentials(address)
        outcome = asyncio.run(run_one(address, store, make_job("echo hi > o", captures=["o"])))
        assert outcome.ok, outcome
    finally:
        close()
    assert not (private_config / "seamlessflow-tokens" / f"{socket.gethostname()}-{port}.json").exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_url_entry_names_a_running_scheduler_that_is_never_stopped():
    address, close = open_dask({"url": "tcp://10.1.2.3:8786"})
    assert address == "tcp://10.1.2.3:8786"
    close()  # nothing was started, nothing to stop


@pytest.mark.parametrize(("entry", "message"), [
    ({"url": "http://127.0.0.1:8787"}, "starts with tcp:// or tls://"),
    ({"workrs": 2}, "unknown key 'workrs' in a local cluster entry; did you mean 'workers'?"),
    ({"url": "tcp://h:1", "workers": 2}, "unknown key 'workers' in an entry with url:"),
    ({"network_interface": "0.0.0.0"}, "refusing to serve on 0.0.0.0"),
    ({"workers": 0}, "workers 0: expected a whole number of at least 1"),
    ({"port_start": 5000, "port_end": 4000}, "port_start 5000, port_end 4000"),
])
def test_bad_entries_are_clear_usage_errors(entry, message):
    with pytest.raises(UsageError) as caught:
        open_dask(entry)
    assert message in str(caught.value)


def test_a_jobqueue_entry_without_dask_jobqueue_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)
    with pytest.raises(UsageError, match=r"needs dask-jobqueue, which is not installed: "
                                         r"pip install dask-jobqueue"):
        open_dask({"jobqueue": "SLURMCluster", "cluster_kwargs": {"cores": 4}, "jobs": 2})
