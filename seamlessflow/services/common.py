"""What every service shares: the healthcheck, the JSON body limit, checksum parsing."""

from __future__ import annotations

from aiohttp import web

from seamlessflow.identity.checksum import is_checksum

JSON_MAX = 64 << 20  # the largest JSON request body any service reads
HEALTHCHECK_PATH = "/healthcheck"
KEEPALIVE_PATH = "/keepalive"  # POST: counts as work for the idle timeout (app_runner.py)


async def healthcheck(_request: web.Request) -> web.Response:
    """`GET /healthcheck` -> 200 `OK`, as every Seamless service answers."""
    return web.Response(text="OK")


def parse_checksum(value: object) -> str | None:
    """A checksum as a request gives it, or None. Seamless accepts upper-case hex, so
    these services do too; buffer names and database keys are lower-case."""
    checksum = value.lower() if isinstance(value, str) else ""
    return checksum if is_checksum(checksum) else None
