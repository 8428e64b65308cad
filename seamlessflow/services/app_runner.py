"""Run one service in the foreground: bind, announce, serve until SIGTERM or SIGINT.

The port is chosen by binding, not by probing first: the first port of the range that
binds is the one served, so several services started at once in one range never race
for the same port. The announcement line `serving NAME on http://HOST:PORT` is what
tests and the launcher wait for; the service's token file is written before it and
removed when the service stops, so a client that saw the line finds the token.

With an idle timeout, the service stops by itself once it has been idle that long, as
Seamless's own services do: a service that `run` started in the background must not
outlive its use by days. Idle means no request under way (a jobserver's job is a
request held open for as long as the job runs, an upload or download lasts as long as
its bytes flow) and none finished for that long; `/healthcheck` does not count, so
that `seamlessflow services status` can look without keeping a service up, and
`POST /keepalive` does, which is how a run keeps the services it uses up while its
own steps run elsewhere.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from aiohttp import web

from seamlessflow.errors import UsageError
from seamlessflow.services.auth import check_exposure, is_loopback, token_middleware, warn_open
from seamlessflow.services.common import HEALTHCHECK_PATH, KEEPALIVE_PATH

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

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
          token: str | None, idle_timeout: float = 0.0, record: Path | None = None) -> int:
    """Check exposure, bind, then build the app: a refused start creates nothing.
    `token` None: an open service (--no-token). `idle_timeout` seconds without work stop
    the service (0: never). `record`: the launcher's record of this service, removed
    as it stops, like its token file (seamlessflow.services.launcher)."""
    from seamlessflow.config.tokens import remove_token_file, write_token_file

    check_exposure(host, token)
    sock = bind(host, ports)
    try:
        app = make_app()
    except BaseException:
        sock.close()
        raise
    idle = IdleWatch(idle_timeout)
    app.middlewares.insert(0, idle.middleware())
    app.router.add_post(KEEPALIVE_PATH, idle.keepalive)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    try:
        if token is None:
            warn_open(name)
            return asyncio.run(_serve(app, name, url, sock, idle))
        # outermost: a request without the token is refused before it counts as work
        app.middlewares.insert(0, token_middleware(token, open_reads=is_loopback(host)))
        path = write_token_file(port, token, url)
        print(f"{name}: token in {path} (readable by you only; your clients find it there)",
              file=sys.stderr, flush=True)
        try:
            return asyncio.run(_serve(app, name, url, sock, idle))
        finally:
            remove_token_file(port)
    finally:
        if record is not None:
            from seamlessflow.services.launcher import forget_own_record

            forget_own_record(record)


class IdleWatch:
    """When the service last had work, and how much it has now (see the module's
    docstring for what counts)."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.busy = 0  # requests under way
        self.last = time.monotonic()  # when the last one ended (or the service started)
        self.stopping = False

    def middleware(self) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
        @web.middleware
        async def count_work(request: web.Request, handler: Handler) -> web.StreamResponse:
            if self.stopping:  # the decision to stop is taken: nobody may rely on us now
                return web.Response(status=503, text="stopping: idle for too long")
            if request.path == HEALTHCHECK_PATH:
                return await handler(request)
            self.busy += 1
            try:
                return await handler(request)
            finally:
                self.busy -= 1
                self.last = time.monotonic()

        return count_work

    async def keepalive(self, _request: web.Request) -> web.Response:
        """`POST /keepalive`: counts as work (the middleware saw it), and says how long
        the service waits when idle, so a client knows how often to come back."""
        return web.json_response({"idle_timeout": self.timeout})

    async def until_idle(self, name: str) -> None:
        """Return once the service has been idle for the timeout (never, with none)."""
        if self.timeout <= 0:
            await asyncio.Event().wait()
        while True:
            left = self.last + self.timeout - time.monotonic()
            if not self.busy and left <= 0:
                self.stopping = True
                print(f"{name}: idle for {self.timeout:g} s, stopping", file=sys.stderr,
                      flush=True)
                return
            await asyncio.sleep(max(left, self.timeout / 4) if not self.busy
                                else self.timeout / 4)


async def _serve(app: web.Application, name: str, url: str, sock: socket.socket,
                 idle: IdleWatch) -> int:
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
        idle_task = asyncio.ensure_future(idle.until_idle(name))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({idle_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (idle_task, stopped):
            task.cancel()
    finally:
        await runner.cleanup()
    print(f"{name} stopped", file=sys.stderr, flush=True)
    return 0
