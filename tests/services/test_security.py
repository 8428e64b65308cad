"""Who may use a service: its owner, by the token `serve` keeps in a private file; on
loopback anyone may read. And the command line's own errors."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from seamlessflow.config.tokens import resolve_token, token_dir, write_token_file
from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import checksum_bytes
from seamlessflow.runners.jobserver import JobserverRunner
from seamlessflow.storage.http_database import HttpResultDatabase
from seamlessflow.storage.http_store import HttpBufferStore
from seamlessflow.storage.local_store import LocalBufferStore

TOKEN = "s3cret-token-for-tests"


def serve_fails(env, *args: str) -> tuple[int, str]:
    out = subprocess.run([sys.executable, "-m", "seamlessflow", "serve", *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout == ""  # it never announced itself
    return out.returncode, out.stderr


def test_on_all_interfaces_requests_need_the_token(raw, start_service, tmp_path):
    service = start_service("hashserver", "--host", "0.0.0.0", "--writable",
                            "--dir", str(tmp_path / "b"), env_extra={"SEAMLESSFLOW_TOKEN": TOKEN})
    assert service.url.startswith("http://0.0.0.0:")
    url = f"http://127.0.0.1:{service.port}"
    assert raw(url, "GET", "/healthcheck", owner=False)[0] == 401  # even reads
    assert raw(url, "GET", "/healthcheck", headers={"Authorization": "Bearer wrong"})[0] == 401
    assert raw(url, "GET", "/healthcheck", headers={"Authorization": f"Bearer {TOKEN}"}) == \
        (200, b"OK")
    cs = HttpBufferStore(url, token=TOKEN).put(b"with the token")
    with pytest.raises(StoreError, match="unauthorized: the service needs its token"):
        HttpBufferStore(url, token="").get(cs)


def test_a_token_file_protects_a_loopback_service_too(start_service, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    service = start_service("database", "--writable", "--dir", str(tmp_path / "db"),
                            "--token-file", str(token_file))
    tf, result = checksum_bytes(b"tf"), checksum_bytes(b"result")
    HttpResultDatabase(service.url, token=TOKEN).set_result(tf, result)
    assert HttpResultDatabase(service.url, token=TOKEN).get_results([tf]) == {tf: result}
    assert HttpResultDatabase(service.url, token="").get_results([tf]) == {tf: result}  # a read
    with pytest.raises(StoreError, match=f"database {service.url}: .*unauthorized"):
        HttpResultDatabase(service.url, token="").set_result(checksum_bytes(b"tf2"), result)


def test_loopback_writes_need_the_token_and_reads_do_not(raw, start_service, tmp_path):
    hashserver = start_service("hashserver", "--writable", "--dir", str(tmp_path / "buffers"))
    database = start_service("database", "--writable", "--dir", str(tmp_path / "db"))
    data = b"bytes nobody may plant"
    cs = checksum_bytes(data)
    assert raw(hashserver.url, "PUT", f"/{cs}", data, owner=False)[0] == 401
    assert raw(hashserver.url, "GET", f"/{cs}", owner=False)[0] == 404  # nothing was stored
    tf = {"type": "transformation", "checksum": checksum_bytes(b"tf"), "value": cs}
    assert raw(database.url, "PUT", "/", orjson.dumps(tf), owner=False)[0] == 401
    # the owner's client sends the token from the token file, without configuration
    assert raw(hashserver.url, "PUT", f"/{cs}", data)[0] == 200
    assert raw(hashserver.url, "GET", f"/{cs}", owner=False) == (200, data)
    assert raw(database.url, "PUT", "/", orjson.dumps(tf))[0] == 200
    del tf["value"]
    assert raw(database.url, "GET", "/", orjson.dumps(tf), owner=False) == (200, cs.encode())


def test_a_tokenless_job_is_refused_on_loopback(raw, start_service, make_job, tmp_path):
    buffers = tmp_path / "buffers"
    jobserver = start_service("jobserver", "--dir", str(buffers))
    marker = tmp_path / "pwned"
    job = make_job(LocalBufferStore(buffers), f"touch {marker}")
    body = orjson.dumps(job.to_json())
    assert raw(jobserver.url, "POST", "/job", body, owner=False)[0] == 401
    outcome = asyncio.run(_run_job(JobserverRunner(jobserver.url, token=""), job))
    assert not outcome.ok and "refused the job: unauthorized" in outcome.error
    assert not marker.exists()
    # the same job, sent by the owner's runner with the token it found, runs
    assert asyncio.run(_run_job(JobserverRunner(jobserver.url), job)).ok
    assert marker.exists()


async def _run_job(runner: JobserverRunner, job):
    try:
        return await runner.run(job)
    finally:
        await runner.close()


def test_the_token_file_is_private_and_goes_away_with_its_service(start_service, tmp_path):
    service = start_service("jobserver", "--dir", str(tmp_path / "buffers"))
    folder = token_dir()
    path = folder / f"{socket.gethostname()}-{service.port}.json"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = json.loads(path.read_text())
    assert record["uid"] == os.getuid() and record["pid"] == service.pid
    assert record["url"] == service.url and record["host"] == socket.gethostname()
    assert len(record["token"]) >= 32
    assert f"token in {path}" in service.stderr.read_text()
    service.stop()
    assert not path.exists()


def test_services_of_two_hosts_on_one_port_keep_their_own_token_files(start_service,
                                                                     monkeypatch, tmp_path):
    """A home folder shared by two machines (NFS): each runs a service on the same port.
    Two loopback addresses play the two machines, $SEAMLESSFLOW_HOSTNAME their names."""
    node_a = start_service("jobserver", "--dir", str(tmp_path / "a"),
                           env_extra={"SEAMLESSFLOW_HOSTNAME": "node-a"})
    node_b = start_service("jobserver", "--host", "127.0.0.2", "--dir", str(tmp_path / "b"),
                           port=node_a.port, env_extra={"SEAMLESSFLOW_HOSTNAME": "node-b"})
    files = {path.name: json.loads(path.read_text()) for path in token_dir().iterdir()}
    assert sorted(files) == [f"node-a-{node_a.port}.json", f"node-b-{node_a.port}.json"]
    token_a = files[f"node-a-{node_a.port}.json"]["token"]
    token_b = files[f"node-b-{node_a.port}.json"]["token"]
    assert token_a != token_b
    # a client on each machine finds its own machine's service's token
    monkeypatch.setenv("SEAMLESSFLOW_HOSTNAME", "node-a")
    assert resolve_token(node_a.url, None) == token_a
    monkeypatch.setenv("SEAMLESSFLOW_HOSTNAME", "node-b")
    assert resolve_token(node_b.url, None) == token_b
    # stopping one machine's service leaves the other's file, which its clients still use
    node_a.stop()
    assert sorted(p.name for p in token_dir().iterdir()) == [f"node-b-{node_a.port}.json"]
    assert resolve_token(node_b.url, None) == token_b


def test_the_cli_finds_the_token_without_configuration(start_service, service_env, tmp_path):
    service = start_service("hashserver", "--writable", "--dir", str(tmp_path / "buffers"))
    (tmp_path / "data.txt").write_text("uploaded with the token it found\n")
    env = {**service_env, "SEAMLESSFLOW_HASHSERVER": service.url}

    def upload(**extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "seamlessflow", "upload", "data.txt"],
                              cwd=tmp_path, env={**env, **extra}, capture_output=True,
                              text=True, timeout=60)

    # another account's view: no token file of this service
    refused = upload(SEAMLESS_CONFIG_DIR=str(tmp_path / "elsewhere"))
    assert refused.returncode != 0
    assert "unauthorized: the service needs its token" in refused.stderr
    done = upload()
    assert done.returncode == 0, done.stderr
    cs = checksum_bytes(b"uploaded with the token it found\n")
    assert LocalBufferStore(tmp_path / "buffers").get(cs) is not None


def test_no_token_says_so_loudly_and_accepts_tokenless_writes(raw, start_service, tmp_path):
    service = start_service("hashserver", "--writable", "--no-token",
                            "--dir", str(tmp_path / "buffers"))
    assert "WARNING: hashserver serves WITHOUT A TOKEN" in service.stderr.read_text()
    assert not (token_dir() / f"{socket.gethostname()}-{service.port}.json").exists()
    data = b"from a client that sends no token"
    assert raw(service.url, "PUT", f"/{checksum_bytes(data)}", data, owner=False)[0] == 200


def test_refuses_to_start_exposed_without_a_token(service_env):
    code, err = serve_fails(service_env, "hashserver", "--host", "0.0.0.0", "--port", "0",
                            "--no-token")
    assert code == 2
    assert "refusing to serve on 0.0.0.0 with --no-token" in err
    assert "Traceback" not in err


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another account can enter (tmp_path's parents are root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="seamlessflow-security-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_another_account_cannot_read_the_token_nor_post_a_job(
        start_service, make_job, shared_folder, monkeypatch):
    config = shared_folder / "config"
    config.mkdir(mode=0o755)
    config.chmod(0o755)
    monkeypatch.setenv("SEAMLESS_CONFIG_DIR", str(config))  # this test's clients: the owner's
    buffers = shared_folder / "buffers"
    jobserver = start_service("jobserver", "--dir", str(buffers),
                              env_extra={"SEAMLESS_CONFIG_DIR": str(config)})
    token_file = config / "seamlessflow-tokens" / f"{socket.gethostname()}-{jobserver.port}.json"
    assert token_file.is_file()
    marker = shared_folder / "pwned"
    job = make_job(LocalBufferStore(buffers), f"echo pwned-as-$(whoami) > {marker}")
    (shared_folder / "job.json").write_bytes(orjson.dumps(job.to_json()))

    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    read = subprocess.run([*nobody, "cat", str(token_file)], capture_output=True, text=True)
    assert read.returncode != 0 and "Permission denied" in read.stderr
    post = subprocess.run(
        [*nobody, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
         "--noproxy", "*", "--data-binary", f"@{shared_folder / 'job.json'}", f"{jobserver.url}/job"],
        capture_output=True, text=True, timeout=60)
    assert post.stdout == "401"
    assert not marker.exists()


@pytest.mark.parametrize("args, message", [
    (["jobserver", "--writable"], "--writable applies to the hashserver and database only"),
    (["hashserver", "--port-range", "9-3"], "--port-range 9-3: expected A-B"),
    (["database", "--token-file", "/nonexistent/token"], "--token-file /nonexistent/token"),
    (["jobserver", "--no-token", "--token-file", "/x"], "give --token-file FILE or --no-token"),
    (["daskserver", "--token-file", "/x"], "a Dask scheduler cannot check a bearer token"),
    (["hashserver", "--max-body", "lots"], "--max-body lots: expected a size"),
    (["hashserver", "--dir", "/nonexistent/buffers", "--port", "0"],
     "buffer folder /nonexistent/buffers does not exist"),
])
def test_bad_command_lines_are_usage_errors(service_env, args, message):
    code, err = serve_fails(service_env, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_a_port_in_use_is_reported(start_service, service_env, tmp_path):
    first = start_service("hashserver", "--dir", str(tmp_path))
    code, err = serve_fails(service_env, "hashserver", "--dir", str(tmp_path),
                            "--port", str(first.port))
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{first.port}: the port is in use" in err


def test_a_client_trusts_only_its_own_private_token_file_of_a_live_service(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("SEAMLESS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SEAMLESSFLOW_TOKEN", "from-the-environment")
    path = write_token_file(5999, TOKEN, "http://127.0.0.1:5999")  # as this live process
    assert resolve_token("http://127.0.0.1:5999", None) == TOKEN
    assert resolve_token("http://localhost:5999/", None) == TOKEN
    assert resolve_token("http://127.0.0.1:5999", "explicit") == "explicit"
    assert resolve_token("http://127.0.0.1:5999", "") is None
    # never sent to another machine, nor to another port
    assert resolve_token("http://192.0.2.1:5999", None) == "from-the-environment"
    assert resolve_token("http://127.0.0.1:5998", None) == "from-the-environment"
    path.chmod(0o640)  # readable by the group: not trusted
    assert resolve_token("http://127.0.0.1:5999", None) == "from-the-environment"
    path.chmod(0o600)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "pid": int(dead.stdout)}))  # its service is gone
    assert resolve_token("http://127.0.0.1:5999", None) == "from-the-environment"
    write_token_file(5998, "another", "http://127.0.0.1:5998")  # the next serve ...
    assert not path.exists()  # ... removes the stale file
