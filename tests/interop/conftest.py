"""The real Seamless packages as peers: their command-line tools, a real hashserver
process on a loopback port, and seamlessflow's own executable, all on temporary folders.

Everything runs as a subprocess, as a user would run it: the tools' own argument
handling, file writing and exit codes are part of what must interoperate.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
# loopback only: an http_proxy set in CI must not capture requests to the test's own server
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
STARTUP_LIMIT = 30.0  # seconds a hashserver may take to answer its first healthcheck


@pytest.fixture
def seamless_tool():
    """Run one of seamless-core's console scripts; fail the test with its stderr if it fails."""

    def call(tool: str, *args: str | Path, cwd: Path | None = None) -> str:
        out = subprocess.run([str(BIN / tool), *map(str, args)], cwd=cwd, timeout=60,
                             capture_output=True, text=True)
        assert out.returncode == 0, f"{tool} {args} failed:\n{out.stderr}"
        return out.stdout

    return call


@pytest.fixture
def sf(tmp_path):
    """Run the `seamlessflow` executable in `tmp_path/work` with a private cache folder
    (`sf.cache`; its buffer store is `sf.cache / "__TOPLEVEL__"`)."""
    cache = tmp_path / "cache"
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(cache)}
    env.pop("SEAMLESS_CACHE", None)

    def call(*args: str | Path, ok: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run([str(BIN / "seamlessflow"), *map(str, args)], cwd=work, env=env,
                             timeout=60, capture_output=True, text=True)
        if ok:
            assert out.returncode == 0, f"seamlessflow {args} failed:\n{out.stderr}"
        return out

    call.work, call.cache, call.env = work, cache, env
    return call


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


class Http:
    """Just enough of an HTTP client (urllib) to speak to a hashserver the way
    seamless-remote does: raw bytes in PUT bodies, JSON lists in GET bodies."""

    def __init__(self, base: str):
        self.base = base

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with _OPENER.open(req, timeout=60) as resp:
                return Reply(resp.status, resp.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read())

    def get(self, checksum: str) -> Reply:
        return self.request("GET", "/" + checksum)

    def put(self, checksum: str, data: bytes) -> Reply:
        return self.request("PUT", "/" + checksum, data)

    def query(self, endpoint: str, checksums: list[str]) -> object:
        """`/has` or `/buffer-length`: a JSON list of checksums in a GET body."""
        reply = self.request("GET", endpoint, json.dumps(checksums).encode(),
                             {"Content-Type": "application/json"})
        assert reply.status == 200, (endpoint, reply)
        return reply.json()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(proc: subprocess.Popen, http: Http, log: Path) -> bool:
    """True once the server answers; False if it exited (e.g. the port was taken)."""
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if http.request("GET", "/healthcheck").status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"hashserver did not start within {STARTUP_LIMIT} s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def hashserver(tmp_path) -> Iterator:
    """Start the real hashserver (`hashserver DIR --writable --port P`) on a folder and
    return an `Http` client for it; every server started is stopped at teardown."""
    procs: list[subprocess.Popen] = []

    def start(folder: Path) -> Http:
        folder.mkdir(parents=True, exist_ok=True)  # the hashserver refuses a missing folder
        for _ in range(3):  # another process may grab the port between pick and bind
            port = _free_port()
            log = tmp_path / f"hashserver-{port}.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [str(BIN / "hashserver"), str(folder), "--writable",
                     "--host", "127.0.0.1", "--port", str(port)],
                    stdout=out, stderr=subprocess.STDOUT)
            procs.append(proc)
            http = Http(f"http://127.0.0.1:{port}")
            if _wait_healthy(proc, http, log):
                return http
        raise RuntimeError(f"hashserver exited at start, three times:\n{log.read_text()}")

    yield start
    for proc in procs:
        _stop(proc)


TREE = {
    "a.txt": b"alpha\n",
    "empty.txt": b"",
    "with space.txt": b"spaced out\n",
    ".hidden": b"hidden files count\n",
    ".hidden_dir/config": b"[core]\n",
    "sub/deeper/data.bin": bytes(range(256)) * 800,
    "ünïcödé/日本語 ファイル.txt": "内容 ✓\n".encode(),
    "emoji 😀/x": b"x",
}


@pytest.fixture
def make_tree():
    """Build a directory with nested folders, an empty file, hidden entries, unicode
    names and an empty folder (which neither tool represents); return {path: bytes}."""

    def build(root: Path) -> dict[str, bytes]:
        for rel, data in TREE.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        (root / "nothing" / "in here").mkdir(parents=True)
        return dict(TREE)

    return build


@pytest.fixture
def snapshot():
    """{relative path: bytes} of the regular files under a folder."""

    def take(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in root.rglob("*") if p.is_file()}

    return take
