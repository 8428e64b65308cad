"""The real Seamless packages as peers: their command-line tools, a real hashserver
process on a loopback port, and seamlessflow's own executable, all on temporary folders.

Everything runs as a subprocess, as a user would run it: the tools' own argument
handling, file writing and exit codes are part of what must interoperate.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from process_watch import wait_gone

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


# --- the real seamless-run (seamless-suite), in a virtual environment of its own ---------

SUITE = "seamless-suite==1.4.3"
PIP_LIMIT = 900  # seconds pip may take to install the suite (about 40 s on a fast network)


def _suite_is_built(venv: Path) -> bool:
    """Complete (the marker is written last) and still runnable (a venv's scripts name
    an interpreter, which may have gone)."""
    marker = venv / "installed.txt"
    if not marker.exists() or marker.read_text().strip() != SUITE:
        return False
    try:
        return subprocess.run([str(venv / "bin" / "seamless-run"), "--help"],
                              timeout=60, capture_output=True).returncode == 0
    except OSError:
        return False


def _build_suite(venv: Path) -> None:
    """`python -m venv` + `pip install` in place (a venv cannot be moved: its scripts name
    its python by absolute path); the marker written last says the build is complete."""
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install",
                          "--disable-pip-version-check", "-q", SUITE],
                         capture_output=True, text=True, timeout=PIP_LIMIT)
    if pip.returncode != 0:
        tail = "\n".join((pip.stdout + pip.stderr).strip().splitlines()[-15:])
        pytest.fail(f"could not install {SUITE} from the package index, which the tests of "
                    f"tests/interop/test_seamless_run.py need (network access to PyPI, once "
                    f"per checkout):\n{tail}", pytrace=False)
    (venv / "installed.txt").write_text(SUITE + "\n")


@pytest.fixture(scope="session")
def seamless_suite_bin(request) -> Path:
    """The `bin` folder of a virtual environment holding seamless-suite, the real
    `seamless-run`, kept out of the test venv (it brings its own versions of dask,
    aiohttp, fastapi and more). Built once, in the pytest cache of the checkout (`.pytest_cache`, not
    tracked; else in the temporary folder), and reused while it stays complete; the build
    time is reported."""
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    name = SUITE.replace("==", "-")
    folder = (cache.mkdir(name) if cache is not None else
              Path(tempfile.gettempdir()) / f"seamlessflow-tests-{name}")
    folder.mkdir(parents=True, exist_ok=True)
    venv = folder / "venv"
    with open(folder / "lock", "w") as lock:  # one build, however many pytest processes
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _suite_is_built(venv):
            start = time.monotonic()
            _build_suite(venv)
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"\nbuilt the {SUITE} venv for seamless-run in "
                                    f"{time.monotonic() - start:.0f} s at {venv}")
    return venv / "bin"


def _stop_launched_services(home: Path) -> None:
    """Stop what seamless-run's launcher started for this HOME: the hashserver and
    database it records in HOME/.remote-http-launcher/server/*.json (they would otherwise
    wait 600 s for clients). Only a pid whose command names this HOME is stopped."""
    for status in (home / ".remote-http-launcher" / "server").glob("*.json"):
        try:
            pid = int(json.loads(status.read_text())["pid"])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (ValueError, KeyError, OSError):
            continue
        if str(home).encode() not in cmdline:
            continue  # the pid ended and was reused by another process
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        if not wait_gone(pid, within=10):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def seamless_run(tmp_path, seamless_suite_bin) -> Iterator:
    """Run the real `seamless-run` with its own HOME (its services are keyed by name
    under HOME) and `SEAMLESS_CACHE` = `seamless_run.cache` (a test may change
    `seamless_run.env`); every service it launched is stopped by pid at teardown."""
    home = tmp_path / "seamless-home"
    home.mkdir()
    cache = tmp_path / "cache"
    env = {**os.environ, "HOME": str(home), "SEAMLESS_CACHE": str(cache),
           "PATH": f"{seamless_suite_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    for var in ("SEAMLESSFLOW_CACHE", "SEAMLESS_REMOTE_CLIENTS", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(var, None)

    def call(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
        out = subprocess.run([str(seamless_suite_bin / "seamless-run"), *map(str, args)],
                             cwd=cwd, env=env, timeout=120, capture_output=True, text=True)
        assert out.returncode == 0, f"seamless-run {args} failed:\n{out.stderr}"
        return out

    call.cache, call.home, call.env = cache, home, env
    yield call
    _stop_launched_services(home)
