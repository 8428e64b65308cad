"""Real services, started as `python -m seamlessflow serve ...` subprocesses on free
loopback ports (read from their `serving NAME on URL` line) and stopped after the test.
"""

from __future__ import annotations

import http.client
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from bash_jobs import bash_job
from lab_cluster import write_lab_cluster

from seamlessflow.config.tokens import token_for_url
from seamlessflow.execution.job import Job
from seamlessflow.identity.checksum import checksum_bytes, checksum_value, plain_serialize
from seamlessflow.storage.interfaces import BufferStore

PORT_RANGE = "42100-42999"
START_TIMEOUT_S = 30.0
_URL = re.compile(r"^serving (\S+) on (\w+://\S+)$")  # tcp:// or tls:// for a daskserver


@dataclass
class Service:
    name: str
    url: str
    proc: subprocess.Popen
    stderr: Path
    args: list[str] = field(default_factory=list)  # as started, less the port flags

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def pid(self) -> int:
        return self.proc.pid

    def peak_rss_kib(self) -> int:
        """VmHWM: the most memory the process has ever had resident."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def launch(name: str, args: list[str], env: dict[str, str], stderr: Path,
           wrap: Callable[[list[str]], list[str]] | None = None,
           cwd: Path | None = None) -> subprocess.Popen:
    """stderr goes to a file: a pipe nobody reads could fill up and block the server.
    `wrap` turns the command line into the one to start (e.g. as another account)."""
    argv = [sys.executable, "-m", "seamlessflow", "serve", name, *args]
    with open(stderr, "a") as err:
        return subprocess.Popen(
            wrap(argv) if wrap else argv,
            stdout=subprocess.PIPE, stderr=err, env=env, text=True, cwd=cwd,
        )


def wait_serving(name: str, proc: subprocess.Popen, args: list[str], stderr: Path) -> Service:
    """The Service once its announcement line is out; fails with its stderr if it died."""
    deadline = time.monotonic() + START_TIMEOUT_S
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            match = _URL.match(line.strip())
            if match:
                assert match.group(1) == name
                return Service(name, match.group(2), proc, stderr, args)
            if not line:  # EOF: the process ended
                break
    proc.kill()
    proc.wait()
    raise AssertionError(f"{name} did not start: {stderr.read_text()}")


def raw_request(url: str, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, *, owner: bool = True
                ) -> tuple[int, bytes]:
    """One request exactly as given (the way a Seamless client sends it): (status, body).
    As the `owner`'s, it carries the service's token from its token file, if it has one."""
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers or {})
    token = token_for_url(url) if owner else None
    if token and "Authorization" not in headers:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def raw():
    return raw_request


@pytest.fixture
def service_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The services' environment. Their token files go to a private config folder, which
    this test process shares, so its clients find the tokens as a user's would."""
    monkeypatch.setenv("SEAMLESS_CONFIG_DIR", str(tmp_path / "user-config"))
    monkeypatch.delenv("SEAMLESSFLOW_TOKEN", raising=False)
    env = dict(os.environ)
    env["SEAMLESSFLOW_CACHE"] = str(tmp_path / "cache")
    return env


@pytest.fixture
def start_service(service_env: dict[str, str], tmp_path: Path) -> Iterator:
    """start_service(NAME, *args, env_extra=None, port=None, wrap=None, cwd=None) -> a
    running Service (`wrap` and `cwd` as for `launch`)."""
    started: list[Service] = []

    def start(name: str, *args: str, env_extra: dict[str, str] | None = None,
              port: int | None = None, wrap: Callable[[list[str]], list[str]] | None = None,
              cwd: Path | None = None) -> Service:
        where = ["--port", str(port)] if port is not None else ["--port-range", PORT_RANGE]
        stderr = tmp_path / f"{name}-{len(started)}.stderr"
        proc = launch(name, [*args, *where], {**service_env, **(env_extra or {})}, stderr,
                      wrap, cwd)
        service = wait_serving(name, proc, list(args), stderr)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def hashserver(start_service, tmp_path: Path) -> Service:
    """A writable hashserver on tmp_path/buffers."""
    return start_service("hashserver", "--writable", "--dir", str(tmp_path / "buffers"))


@pytest.fixture
def make_job(tmp_path: Path):
    """make_job(store, code, inputs={path: bytes}, captures=[...], ...) -> Job, with the
    transformation a step has (tests/bash_jobs.py for a shell step's; a Python step's
    as PROTOCOL.md defines it) and its buffers put into `store`."""

    def make(store: BufferStore, code: str, *, inputs: dict[str, bytes] | None = None,
             captures: list[str] | None = None, params: dict[str, Any] | None = None,
             stdout: bool = False, language: str = "bash", name: str = "step",
             with_texts: bool = False) -> Job:
        checksums = {p: store.put(data) for p, data in (inputs or {}).items()}
        common = dict(name=name, log_path=str(tmp_path / "logs" / f"{name}.log"),
                      workdir=str(tmp_path / "work"))
        if language == "bash":
            return bash_job(store, code, inputs=checksums, params=params, captures=captures,
                            stdout=stdout, with_texts=with_texts, **common)
        transformation = {
            "__language__": language,
            "__format__": "seamlessflow/2",
            "code": checksum_bytes(code.encode()),
            "inputs": checksums,
            "params": params or {},
            "captures": sorted(captures or []),
            "stdout": stdout,
        }
        store.put(code.encode())
        store.put(plain_serialize(transformation))
        return Job(checksum=checksum_value(transformation), transformation=transformation,
                   code=code, **common)

    return make


@pytest.fixture
def cluster(start_service, hashserver, tmp_path, service_env):
    """A cluster 'lab' (hashserver, database, jobserver) and the env that selects it;
    the hashserver keeps its buffers in tmp_path/buffers."""
    database = start_service("database", "--writable", "--dir", str(tmp_path / "db"))
    jobserver = start_service("jobserver", "--hashserver", hashserver.url, "--workers", "2")
    # in the folder where the services keep their tokens
    write_lab_cluster(Path(service_env["SEAMLESS_CONFIG_DIR"]), hashserver.url, database.url,
                      jobserver.url, default=True)
    env = {**service_env, "SEAMLESSFLOW_CACHE": str(tmp_path / "client-cache")}
    return env
