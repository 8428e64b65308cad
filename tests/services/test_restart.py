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
