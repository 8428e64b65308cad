"""Run one service in the foreground: bind, announce, serve until SIGTERM or SIGINT.

The port is chosen by binding, not by probing first: the first port of the range that
binds is the one served, so several services started at once in one range never race
for the same port. The announcement line `serving NAME on http://HOST:PORT` is what
tests and the launcher wait for; the service's token file is written before it and
removed when the service stops, so a client that saw the line finds the token.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import sys
from collections.abc import Callable, Iterable

from aiohttp import web

from seamlessflow.errors import UsageError
from seamlessflow.services.auth import check_exposure, is_loopback, token_middleware, warn_open

# Seamless's hashserver picks its port in this range when none is given.
DEFAULT_PORTS = range(49152, 65536)
SHUTDOWN_GRACE_S = 3.0  # in-flight requests get this long once a stop is asked for


def parse_port_range(text: str) -> range:
    """`A-B`, inclusive, as given to --port-range."""
    first, sep, last = text.partition("-")
    try:
        start, end = int(first), int(last)
    except ValueError:
        start = end = -1
    if not sep or not (0 < start <= end <= 65535):
        raise UsageError(f"--port-range {text}: expected A-B with 1 <= A <= B <= 65535")
    return range(start, end + 1)


def bind(host: str, ports: Iterable[int]) -> socket.socket:
    """A listening socket on the first port that binds (SO_REUSEADDR, so a restarted
    service gets its old port back at once)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    tried = []
    for port in ports:
        try:
            return socket.create_server((host.strip("[]"), port), family=family, backlog=512)
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
            tried.append(port)
    if len(tried) == 1:
        raise UsageError(f"cannot listen on {host}:{tried[0]}: the port is in use")
    span = f"{tried[0]}-{tried[-1]}" if tried else "(empty range)"
    raise UsageError(f"cannot listen on {host}: no free port in {span}")


def serve(make_app: Callable[[], web.Application], name: str, host: str, ports: Iterable[int],
          token: str | None) -> int:
    """Check exposure, bind, then build the app: a refused start creates nothing.
    `token` None: an open service (--no-token)."""
    from seamlessflow.config.tokens import remove_token_file, write_token_file

    check_exposure(host, token)
    sock = bind(host, ports)
    try:
        app = make_app()
    except BaseException:
        sock.close()
        raise
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    if token is None:
        warn_open(name)
        return asyncio.run(_serve(app, name, url, sock))
    app.middlewares.insert(0, token_middleware(token, open_reads=is_loopback(host)))
    path = write_token_file(port, token, url)
    print(f"{name}: token in {path} (readable by you only; your clients find it there)",
          file=sys.stderr, flush=True)
    try:
        return asyncio.run(_serve(app, name, url, sock))
    finally:
        remove_token_file(port)


async def _serve(app: web.Application, name: str, url: str, sock: socket.socket) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # handler_cancellation: a client that hangs up cancels its handler, which is how a
    # cancelled remote job gets killed and how an abandoned upload is cleaned up.
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None,
                           shutdown_timeout=SHUTDOWN_GRACE_S)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        print(f"serving {name} on {url}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
    print(f"{name} stopped", file=sys.stderr, flush=True)
    return 0
