"""Keeping the background services a run uses from stopping while the run goes on.

A service that `run` started stops by itself after its idle timeout (app_runner.IdleWatch).
Its own requests and jobs keep it busy, but a run has quiet spells for each service: the
hashserver and database hear nothing while a long step runs in-process or on the
jobserver, and its result must still find them when the step is done. So while this
process uses a service, a daemon thread sends it `POST /keepalive` four times per idle
timeout. The thread ends with the process: `watch` keeps its services up while it watches.
"""

from __future__ import annotations

import threading

import orjson

from seamlessflow.errors import StoreError
from seamlessflow.storage.http_client import HttpClient

PINGS_PER_TIMEOUT = 4


def ping(url: str) -> float | None:
    """The service's idle timeout if it answers `POST /keepalive` now (which counts as
    work for it, so it stays up for at least that long), else None: gone, stopping, or
    not ours (a 401: another account's service took the port)."""
    client = HttpClient(url, "service", retries=0)
    try:
        return _ping(client)
    finally:
        client.close()


def keep_running(url: str, idle_timeout: float) -> None:
    """Ping the service at `url` from now until this process ends (0: it never idles)."""
    if idle_timeout > 0:
        _KEEPER.add(url, idle_timeout)


def _ping(client: HttpClient) -> float | None:
    from seamlessflow.services.common import KEEPALIVE_PATH

    def timeout_in(response) -> float | None:  # noqa: ANN001 - http.client's response
        body = response.read()
        if response.status != 200:
            return None
        try:
            value = orjson.loads(body).get("idle_timeout")
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return float(value) if isinstance(value, (int, float)) else None

    try:
        return client.request("POST", KEEPALIVE_PATH, "keep it running", timeout_in)
    except StoreError:
        return None


class _Keeper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[str, tuple[HttpClient, float]] = {}  # url -> client, timeout
        self._changed = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, url: str, idle_timeout: float) -> None:
        with self._lock:
            self._services[url] = (HttpClient(url, "service", retries=0), idle_timeout)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="keepalive",
                                                daemon=True)
                self._thread.start()
        self._changed.set()  # a shorter timeout: the next ping comes sooner

    def _loop(self) -> None:
        while True:
            with self._lock:
                services = list(self._services.values())
            interval = min(timeout for _, timeout in services) / PINGS_PER_TIMEOUT
            if self._changed.wait(interval):
                self._changed.clear()
                continue
            for client, _ in services:
                _ping(client)  # a service gone meanwhile is the run's to notice


_KEEPER = _Keeper()
