"""A hashserver that goes away: the client retries through a restart, and says clearly
when the service stays down."""

from __future__ import annotations

import re
import threading

import pytest

from seamlessflow.errors import StoreError
from seamlessflow.storage.http_store import HttpBufferStore
from seamlessflow.storage.local_store import LocalBufferStore


def test_client_puts_survive_a_hashserver_restart_on_the_same_port(
        start_service, hashserver, tmp_path):
    store = HttpBufferStore(hashserver.url)
    buffers = [f"buffer {i}".encode() for i in range(40)]
    replacement = []

    def restart() -> None:
        replacement.append(start_service("hashserver", *hashserver.args, port=hashserver.port))

    restarter = threading.Thread(target=restart)
    checksums = []
    for i, data in enumerate(buffers):
        if i == 20:  # killed between two puts; the next put finds nobody listening
            hashserver.kill()
            restarter.start()
        checksums.append(store.put(data))
    restarter.join()

    assert replacement[0].port == hashserver.port
    local = LocalBufferStore(tmp_path / "buffers")
    assert [local.get(cs) for cs in checksums] == buffers


def test_a_hashserver_that_stays_down_gives_a_clear_error(hashserver):
    store = HttpBufferStore(hashserver.url, retries=2)
    store.put(b"before")
    hashserver.kill()
    expected = (rf"hashserver {re.escape(hashserver.url)}: cannot store buffer [0-9a-f]{{64}}: "
                r"connection refused \(is the service running\?\) \(gave up after 3 attempts\)")
    with pytest.raises(StoreError, match=expected):
        store.put(b"after")


def test_a_run_survives_a_hashserver_restart_and_records_nothing_wrong(
        start_service, hashserver, tmp_path, service_env):
    """Killed while a workflow of twenty steps runs against it, restarted on the same port:
    the run completes through the client's retries, or stops with a clear message; either
    way a second run completes, and every output holds what its step computes."""
    import json
    import subprocess
    import sys
    import time

    database = start_service("database", "--writable", "--dir", str(tmp_path / "db"))
    root = tmp_path / "project"
    root.mkdir()
    (root / "Seamlessfile").write_text(
        "step slow for i in range(0, 20):\n"
        "    params: i\n"
        '    shell: "sleep 0.2; echo $((i * i)) > out.txt"\n'
        "    captures: out.txt -> out/{i}.txt\n")
    env = {**service_env, "SEAMLESSFLOW_HASHSERVER": hashserver.url,
           "SEAMLESSFLOW_DATABASE": database.url}
    command = [sys.executable, "-m", "seamlessflow", "-C", str(root), "run", "-j", "2",
               "--report", str(root / "report.json")]
    run = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    deadline = time.monotonic() + 60
    while len(list((root / "out").glob("*.txt"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    hashserver.kill()
    start_service("hashserver", *hashserver.args, port=hashserver.port)
    _, err = run.communicate(timeout=120)
    if run.returncode != 0:  # it may stop, but only with a message naming the service
        assert hashserver.url in err and "Traceback" not in err, err
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
    report = json.loads((root / "report.json").read_text())
    assert report["ok"] is True
    for i in range(20):
        assert (root / "out" / f"{i}.txt").read_text() == f"{i * i}\n"
