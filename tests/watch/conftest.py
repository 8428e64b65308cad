"""Fixtures for end-to-end tests of `seamlessflow watch`: a real subprocess, real file
system events, its output read line by line as it comes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

WAIT_S = 30.0  # generous: a slow CI machine must not fail a correct watcher
SUMMARY = re.compile(r"^\d+ instances?: ")
STATUS = re.compile(r"^(ran|cached|FAILED|skipped)\s+(\S+)")


def _interruptible() -> None:
    """Ctrl-C as at a terminal, even when the tests themselves run as a background job,
    whose children inherit SIGINT ignored (POSIX shells do that to `cmd &`)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Watcher:
    """A running `seamlessflow watch`; `lines` grows as it prints (stderr included)."""

    def __init__(self, root: Path, cache: Path, args: tuple[str, ...]):
        env = {**os.environ, "SEAMLESSFLOW_CACHE": str(cache), "PYTHONUNBUFFERED": "1"}
        env.pop("SEAMLESS_CACHE", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "seamlessflow", "-C", str(root), "watch", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            preexec_fn=_interruptible,
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, match: str | Callable[[str], bool], start: int = 0) -> int:
        """The index of the first line at or after `start` that contains `match` (or
        satisfies it); fails after WAIT_S with everything printed so far."""
        test = match if callable(match) else (lambda line: match in line)
        deadline = time.monotonic() + WAIT_S
        with self._cond:
            while True:
                for i in range(start, len(self.lines)):
                    if test(self.lines[i]):
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no line with {match!r} after line {start}:\n"
                                         + self.output())
                self._cond.wait(left)

    def next_round(self, start: int) -> int:
        """The index of the `watching ...` line that ends the next run after `start`."""
        return self.wait_for(lambda line: line.startswith("watching "), start)

    def summaries(self, start: int = 0, end: int | None = None) -> list[str]:
        with self._cond:
            return [line for line in self.lines[start:end] if SUMMARY.match(line)]

    def statuses(self, start: int, end: int) -> dict[str, str]:
        with self._cond:
            found = (STATUS.match(line) for line in self.lines[start:end])
            return {m.group(2): m.group(1) for m in found if m}

    def output(self) -> str:
        return "\n".join(self.lines)

    def interrupt(self) -> int:
        """Ctrl-C, and the exit status."""
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            raise AssertionError("watch did not stop on SIGINT:\n" + self.output()) from None
        self._reader.join(WAIT_S)
        return code


class Project:
    def __init__(self, root: Path, cache: Path):
        self.root, self.cache = root, cache
        self.watchers: list[Watcher] = []

    def write(self, rel: str, text: str) -> Path:
        """Write as editors save: into a temporary file, renamed over the old one, so
        the watcher never sees half a file (writing in place is `path.write_text`)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(textwrap.dedent(text))
        os.replace(tmp, path)
        return path

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text()

    def watch(self, *args: str) -> Watcher:
        """Start `seamlessflow watch ARGS` in the project (the first run follows at once)."""
        watcher = Watcher(self.root, self.cache, args)
        self.watchers.append(watcher)
        return watcher


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    root = tmp_path / "project"
    root.mkdir()
    proj = Project(root, tmp_path / "cache")
    yield proj
    for watcher in proj.watchers:  # a failed test must not leave a watcher behind
        if watcher.proc.poll() is None:
            watcher.proc.kill()
            watcher.proc.wait()
