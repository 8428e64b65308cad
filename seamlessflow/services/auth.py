"""Who may talk to a service: loopback by default, a bearer token everywhere else.

A service bound to anything but a loopback address can be reached by other machines,
and the jobserver runs whatever commands it is sent; so such a service refuses to start
without a token, and with a token every request must carry it. The token comes from a
file or the environment, never the command line, where `ps` would show it.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from seamlessflow.errors import UsageError
from seamlessflow.storage.wire import TOKEN_ENV

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def load_token(token_file: str | None) -> str | None:
    """The token from `token_file`, else from $SEAMLESSFLOW_TOKEN, else None."""
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--token-file {token_file}: cannot read it: {exc}") from None
        if not token:
            raise UsageError(f"--token-file {token_file}: the file is empty")
        return token
    return os.environ.get(TOKEN_ENV, "").strip() or None


def check_exposure(host: str, token: str | None) -> None:
    if token is None and not is_loopback(host):
        raise UsageError(
            f"refusing to serve on {host} without a token: other machines could reach this "
            f"service. Give one with --token-file FILE or ${TOKEN_ENV}, or serve on 127.0.0.1.")


def token_middleware(token: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):  # constant time: no guessing by timing
            return web.Response(status=401, text="missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})
        return await handler(request)

    return require_token
