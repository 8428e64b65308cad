"""A small blocking HTTP/1.1 client for the services, on the standard library.

Why blocking and why not aiohttp: the scheduler calls store and database methods from
worker threads, and spawn workers receive the store pickled. One keep-alive connection
per thread fits both, and no process that merely talks to a service pays for aiohttp.

Every exchange is retried with backoff on connection errors and 5xx answers (a service
restarting, an idle keep-alive connection the server closed); anything else is the
caller's to interpret. What finally fails is a StoreError naming the service's URL.
"""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, TypeVar

import orjson

from seamlessflow.config.tokens import resolve_token
from seamlessflow.errors import StoreError, UsageError
from seamlessflow.identity.checksum import CHUNK, is_checksum
from seamlessflow.storage.wire import TOKEN_ENV

T = TypeVar("T")

DEFAULT_RETRIES = 6  # waits of 0, 0.25, 0.5, 1, 2, 4 s: rides out a service restart
_BACKOFF_FIRST_S = 0.25
_BACKOFF_MAX_S = 4.0
_ERROR_TEXT_MAX = 300

Body = bytes | BinaryIO | None


def env_seconds(name: str, default: float | None) -> float | None:
    """A timeout from Seamless's tunables (SEAMLESS_REMOTE_*_TIMEOUT); empty: the default."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(f"{name}={value!r}: not a number of seconds") from None
    if seconds <= 0:
        raise UsageError(f"{name}={value!r}: must be a positive number of seconds")
    return seconds


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise UsageError(f"{name}={value!r}: not a whole number") from None
    if number < 1:
        raise UsageError(f"{name}={value!r}: must be at least 1")
    return number


def connect_timeout() -> float:
    return env_seconds("SEAMLESS_REMOTE_CONNECT_TIMEOUT", 10.0) or 10.0


def read_timeout() -> float | None:
    return env_seconds("SEAMLESS_REMOTE_READ_TIMEOUT", 1200.0)


def check_url(url: str, service: str) -> urllib.parse.SplitResult:
    parsed = urllib.parse.urlsplit(url)
    try:
        parsed.port  # noqa: B018 - validates the port
    except ValueError:
        raise UsageError(f"bad {service} URL {url!r}: invalid port") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"bad {service} URL {url!r}: expected http://HOST:PORT")
    return parsed


def require_checksum(checksum: str) -> str:
    """Checked before anything is sent: a bad checksum is the caller's bug, not the
    service's, and must not read as a network failure."""
    if not isinstance(checksum, str) or not is_checksum(checksum):
        raise StoreError(f"not a checksum: {checksum!r}")
    return checksum


class ServerError(Exception):
    """A 5xx answer: worth retrying, since services answer 5xx while overloaded or
    shutting down, and never for a request that is itself wrong."""


class HttpClient:
    """Connections to one service. Only the configuration is pickled: a copy in another
    process (or a forked child) opens its own connections when first used."""

    def __init__(
        self,
        url: str,
        service: str,
        token: str | None = None,
        *,
        max_inflight: int = 16,
        retries: int = DEFAULT_RETRIES,
    ):
        parsed = check_url(url, service)
        self.url = urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, parsed.path.rstrip("/"),
                                            "", ""))
        self.service = service
        self.token = resolve_token(self.url, token)
        self._token_is_explicit = token is not None
        self.max_inflight = max(1, max_inflight)
        self.retries = max(0, retries)
        self.connect_timeout = connect_timeout()
        self.read_timeout = read_timeout()
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname or ""
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self._start_runtime()

    def _start_runtime(self) -> None:
        self._local = threading.local()
        self._slots = threading.BoundedSemaphore(self.max_inflight)
        self._pid = os.getpid()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_local", "_slots", "_pid")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._start_runtime()

    def __repr__(self) -> str:
        return f"HttpClient({self.service} {self.url})"

    # ---- exchanges -----------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        what: str,
        handle: Callable[[http.client.HTTPResponse], T],
        *,
        body: Body = None,
        json: Any = None,
        length: int | None = None,
    ) -> T:
        """One exchange on this thread's keep-alive connection. `handle` reads the whole
        answer and returns the result; it runs inside the retry loop, so a download cut
        off halfway starts over. A file `body` is rewound for each attempt."""
        headers = self._headers(json is not None, length)
        if json is not None:
            body = orjson.dumps(json)

        def attempt() -> T:
            conn = self._connection()
            try:
                response = self._send(conn, method, path, body, headers)
                result = handle(response)
                if response.will_close or not response.isclosed():
                    self._drop()  # the server closes it, or `handle` left bytes unread
                return result
            except BaseException:
                self._drop()
                raise

        return self._retrying(what, attempt)

    def stream(self, path: str, what: str) -> tuple[http.client.HTTPResponse, Callable[[], None]] | None:
        """GET on a connection of its own, handed to the caller with the response unread
        (for buffers too large to hold): (response, close) on 200, None on 404."""

        def attempt() -> tuple[http.client.HTTPResponse, Callable[[], None]] | None:
            conn = self._open_connection()
            try:
                response = self._send(conn, "GET", path, None, self._headers(False, None))
                if response.status == 404:
                    response.read()
                    conn.close()
                    return None
                if response.status != 200:
                    raise self.failure(response, what)
            except BaseException:
                conn.close()
                raise

            def close() -> None:
                response.close()
                conn.close()

            return response, close

        return self._retrying(what, attempt)

    def healthy(self) -> bool:
        """Whether the service answers its healthcheck now (no retries): how a launcher
        decides that a recorded service is gone."""
        timeout = env_seconds("SEAMLESS_REMOTE_HEALTHCHECK_TIMEOUT", 10.0) or 10.0
        conn = self._connection_class()(self._host, self._port, timeout=timeout)
        try:
            conn.request("GET", self._prefix + "/healthcheck", headers=self._headers(False, None))
            response = conn.getresponse()
            response.read()
            return response.status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def failure(self, response: http.client.HTTPResponse, what: str) -> StoreError:
        """The StoreError for an answer the caller did not expect; reads its body."""
        text = response.read(_ERROR_TEXT_MAX).decode("utf-8", "replace")
        why = describe_status(response.status, response.reason, text)
        return StoreError(f"{self.service} {self.url}: cannot {what}: {why}")

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        self._drop()

    # ---- internals -----------------------------------------------------------

    def _retrying(self, what: str, attempt: Callable[[], T]) -> T:
        """Retries network failures and 5xx answers (see `backoff`)."""
        with self._slots:
            for tries, delay in enumerate(backoff(self.retries), start=1):
                try:
                    return attempt()
                except (OSError, http.client.HTTPException, ServerError) as exc:
                    if delay is None:
                        raise StoreError(
                            f"{self.service} {self.url}: cannot {what}: {describe_error(exc)} "
                            f"(gave up after {tries} attempts)") from None
                time.sleep(delay)
        raise AssertionError("unreachable: backoff ends with None")

    def _send(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        body: Body,
        headers: dict[str, str],
    ) -> http.client.HTTPResponse:
        if body is not None and not isinstance(body, bytes):
            body.seek(0)
        conn.request(method, self._prefix + path, body=body, headers=headers)
        response = conn.getresponse()
        if response.status == 401 and self._refresh_token():
            response.read()
            return self._send(conn, method, path, body, {**headers, **self._headers(False, None)})
        if response.status >= 500:
            text = response.read(_ERROR_TEXT_MAX).decode("utf-8", "replace").strip()
            raise ServerError(f"HTTP {response.status} {response.reason}: {text}")
        return response

    def _refresh_token(self) -> bool:
        """After a 401: whether the service's token file now holds another token (the
        service was restarted with a new one); if so, it is used from now on."""
        if self._token_is_explicit:
            return False
        token = resolve_token(self.url, None)
        if token is None or token == self.token:
            return False
        self.token = token
        return True

    def _headers(self, is_json: bool, length: int | None) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if is_json:
            headers["Content-Type"] = "application/json"
        if length is not None:
            headers["Content-Length"] = str(length)
        return headers

    def _connection(self) -> http.client.HTTPConnection:
        if os.getpid() != self._pid:
            self._start_runtime()  # a forked child must not share its parent's sockets
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open_connection()
            self._local.conn = conn
        return conn

    def _open_connection(self) -> http.client.HTTPConnection:
        conn = self._connection_class()(self._host, self._port, timeout=self.connect_timeout,
                                        blocksize=CHUNK)
        conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(self.read_timeout)  # connect and read have their own limits
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _connection_class(self) -> type[http.client.HTTPConnection]:
        return http.client.HTTPSConnection if self._https else http.client.HTTPConnection

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            conn.close()


def backoff(retries: int) -> Iterator[float | None]:
    """The wait before each retry, then None once `retries` are used up. The first
    retry is immediate (the usual failure is an idle keep-alive connection the server
    had closed); later ones back off, to ride out a service restart."""
    delay = 0.0
    for _ in range(retries):
        yield delay
        delay = min(max(delay * 2, _BACKOFF_FIRST_S), _BACKOFF_MAX_S)
    yield None


def describe_status(status: int, reason: str, text: str) -> str:
    """What an unexpected HTTP answer means, for an error message."""
    if status == 401:
        return ("unauthorized: the service needs its token (its owner's clients find it "
                f"themselves; anyone else sets {TOKEN_ENV})")
    if status == 405:
        return "the service is read-only (start it with --writable)"
    text = text.strip()[:_ERROR_TEXT_MAX]
    return f"HTTP {status} {reason}" + (f": {text}" if text else "")


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the service running?)"
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the service closed the connection"
    if isinstance(exc, http.client.IncompleteRead):
        return "the answer was cut off"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
