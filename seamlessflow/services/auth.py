"""Who may talk to a service: its owner's clients, which carry its bearer token.

Loopback is no boundary between users: on a shared machine every account reaches
127.0.0.1, and the jobserver runs whatever commands it is sent, as its owner. So every
service has a token unless started with --no-token: the one given (--token-file, or
$SEAMLESSFLOW_TOKEN), else a new random one, kept where only its owner's clients find
it (seamlessflow.config.tokens). On loopback, reads (GET, HEAD) stay open, as Seamless's
own clients expect; writes and jobs need the token. Bound to any other address, every
request needs it, and --no-token is refused. A token is read from a file or the
environment, never the command line, where `ps` would show it.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import sys
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


def load_token(token_file: str | None, no_token: bool = False) -> str | None:
    """The service's token: from `token_file`, else from $SEAMLESSFLOW_TOKEN, else a new
    random one; None only when the user asked for an open service (--no-token)."""
    if no_token:
        if token_file is not None:
            raise UsageError("give --token-file FILE or --no-token, not both")
        return None
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--token-file {token_file}: cannot read it: {exc}") from None
        if not token:
            raise UsageError(f"--token-file {token_file}: the file is empty")
        return token
    return os.environ.get(TOKEN_ENV, "").strip() or secrets.token_urlsafe(32)


def check_exposure(host: str, token: str | None) -> None:
    if token is None and not is_loopback(host):
        raise UsageError(
            f"refusing to serve on {host} with --no-token: other machines could reach this "
            f"service. Drop --no-token (a token is made), or serve on 127.0.0.1.")


def warn_open(name: str) -> None:
    """--no-token: say loudly what it means, every time."""
    print(f"WARNING: {name} serves WITHOUT A TOKEN (--no-token): every account on this "
          f"machine can use it as you (uid {os.getuid()}): write to it, or run commands on it. "
          "Use it only for clients that cannot send a token (Seamless's).",
          file=sys.stderr, flush=True)


_READS = frozenset({"GET", "HEAD"})


def token_middleware(token: str, open_reads: bool
                     ) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Every request must carry the token; with `open_reads` (loopback), reads need not."""
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if open_reads and request.method in _READS:
            return await handler(request)
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):  # constant time: no guessing by timing
            return web.Response(status=401, text="missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})
        return await handler(request)

    return require_token
