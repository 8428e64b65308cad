"""Watching from outside what a command did: the files it writes, whether its process
is still alive. Shared by the execution, Dask and service tests (a test module must not
import another folder's conftest); `pythonpath` in pyproject.toml makes it importable."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path


def process_alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie awaiting its reaper counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.02)
    return not process_alive(pid)


async def await_gone(pid: int, within: float = 10.0) -> bool:
    """`wait_gone` for a test that must keep its event loop running meanwhile."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        await asyncio.sleep(0.05)
    return not process_alive(pid)


async def await_file(path: Path, within: float = 20.0) -> str:
    """The content of a file a running command writes, once it is complete (ends in \\n),
    while the test's event loop keeps running."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists():
            text = path.read_text()
            if text.endswith("\n"):
                return text.strip()
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} was never written")
