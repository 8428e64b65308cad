"""Headless Chromium driven through its DevTools protocol over a websocket (aiohttp), and
a PNG reader for its screenshots: the browser tests' tools (tests/browser). `pythonpath`
in pyproject.toml makes this importable."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import subprocess
import time
import zlib
from pathlib import Path

import aiohttp


def devtools_port(file: Path, proc: subprocess.Popen, within: float = 60.0) -> int:
    """The port Chromium writes into its profile once DevTools listens."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"chromium exited with status {proc.returncode}"
        lines = file.read_text().splitlines() if file.exists() else []
        if len(lines) >= 2:
            return int(lines[0])
        time.sleep(0.05)
    raise AssertionError("chromium never opened its DevTools port")


class Tab:
    """One page, spoken to in DevTools commands."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.last_id = 0

    async def call(self, method: str, **params) -> dict:
        self.last_id += 1
        await self.ws.send_json({"id": self.last_id, "method": method, "params": params})
        async for message in self.ws:
            reply = json.loads(message.data)
            if reply.get("id") == self.last_id:
                assert "error" not in reply, (method, reply["error"])
                return reply["result"]
        raise AssertionError(f"the page closed during {method}")

    async def eval(self, expression: str):
        """The value of a JavaScript expression (a promise is awaited)."""
        result = await self.call("Runtime.evaluate", expression=expression,
                                 returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    async def open(self, url: str) -> None:
        await self.call("Page.enable")
        await self.call("Page.navigate", url=url)
        await self.eval("new Promise(r => document.readyState === 'complete' ? r() : "
                        "addEventListener('load', () => r()))")

    async def screenshot(self) -> bytes:
        return base64.b64decode((await self.call("Page.captureScreenshot", format="png"))["data"])


async def page_of(port: int, session: aiohttp.ClientSession) -> Tab:
    """The browser's first page."""
    async with session.get(f"http://127.0.0.1:{port}/json/list") as reply:
        targets = await reply.json()
    page = next(t for t in targets if t["type"] == "page")
    return Tab(await session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0))


def run_in_browser(port: int, work) -> object:
    """`await work(tab)` on the browser's page."""
    async def main():
        async with aiohttp.ClientSession() as session:
            tab = await page_of(port, session)
            try:
                return await work(tab)
            finally:
                await tab.ws.close()
    return asyncio.run(main())


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and the RGB colour of every pixel of an 8-bit, non-interlaced PNG
    (what Chromium's screenshots are), decoded without an imaging library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 4 if colour == 6 else 3
    raw, stride = zlib.decompress(idat), width * bpp
    pixels, previous = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc
                                      else corner)) & 255
        pixels += zip(line[0::bpp], line[1::bpp], line[2::bpp], strict=True)
        previous = line
    return width, height, pixels
