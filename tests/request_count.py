"""A counting proxy: a real HTTP server on loopback that forwards every request to a
service and counts them by method and kind, so a test sees the round trips a client
makes on the wire. It sends the service's token itself (the client has none for the
proxy's port)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
from aiohttp import web

from seamlessflow.config.tokens import token_for_url

_CHECKSUM = re.compile(r"^/[0-9a-f]{64}$")
_DROPPED = {"content-length", "transfer-encoding", "content-encoding", "connection",
            "keep-alive", "date", "server"}


def kind(method: str, path: str) -> str:
    """"PUT buffer", "GET buffer", "GET /has", ...: a buffer's checksum is not the kind."""
    return f"{method} {'buffer' if _CHECKSUM.match(path) else path}"


@contextmanager
def counting_proxy(target: str) -> Iterator[tuple[str, Counter[str]]]:
    """(the proxy's URL, the counts so far) while the proxy runs."""
    counts: Counter[str] = Counter()
    token = token_for_url(target)
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    started: dict[str, object] = {}
    ready = threading.Event()
    loop = asyncio.new_event_loop()

    async def forward(request: web.Request) -> web.Response:
        counts[kind(request.method, request.path)] += 1
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in _DROPPED | {"host", "authorization"}}
        session: aiohttp.ClientSession = started["session"]  # type: ignore[assignment]
        async with session.request(request.method, target + request.path_qs,
                                   data=await request.read(), headers={**headers, **auth},
                                   auto_decompress=False) as answer:
            body = await answer.read()
            return web.Response(status=answer.status, body=body, headers={
                k: v for k, v in answer.headers.items() if k.lower() not in _DROPPED})

    async def start() -> None:
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        started["runner"] = runner
        started["session"] = aiohttp.ClientSession()
        started["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()

    async def stop() -> None:
        await started["session"].close()  # type: ignore[attr-defined]
        await started["runner"].cleanup()  # type: ignore[attr-defined]

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    ready.wait()
    try:
        yield f"http://127.0.0.1:{started['port']}", counts
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
