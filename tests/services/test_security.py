"""Who may use a service: loopback by default, a bearer token otherwise; and the
command line's own errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import checksum_bytes
from seamlessflow.storage.http_database import HttpResultDatabase
from seamlessflow.storage.http_store import HttpBufferStore

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
    assert raw(url, "GET", "/healthcheck")[0] == 401
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
    with pytest.raises(StoreError, match=f"database {service.url}: .*unauthorized"):
        HttpResultDatabase(service.url, token="").get_results([tf])


def test_refuses_to_start_exposed_without_a_token(service_env):
    code, err = serve_fails(service_env, "hashserver", "--host", "0.0.0.0", "--port", "0")
    assert code == 2
    assert "refusing to serve on 0.0.0.0 without a token" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["jobserver", "--writable"], "--writable applies to the hashserver and database only"),
    (["hashserver", "--port-range", "9-3"], "--port-range 9-3: expected A-B"),
    (["database", "--token-file", "/nonexistent/token"], "--token-file /nonexistent/token"),
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
