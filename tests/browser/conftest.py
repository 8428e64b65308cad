"""Headless Chromium as the distribution packages it (`apt-get install chromium` on
Debian), started with a fresh profile and no network services of its own."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from devtools import devtools_port

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--remote-debugging-port=0", "--window-size=1000,700"]


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[int]:
    """A running headless Chromium; its DevTools port."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "the browser tests need Chromium: run tools/install-test-packages"
    profile = tmp_path / "chromium-profile"
    proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield devtools_port(profile / "DevToolsActivePort", proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
