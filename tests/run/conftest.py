"""Fixtures for end-to-end tests of `seamlessflow run` through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

COUNT_SWEEP = """\
step count for i in range(0, {n}):
    inputs: data/{{i}}.txt -> in.txt
    shell: "wc -c < in.txt > n.txt"
    captures: n.txt -> counts/{{i}}.txt
"""


@dataclass
class Project:
    root: Path
    cache: Path

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text()

    def count_sweep(self, n: int, content: Callable[[int], str]) -> None:
        """A Seamlessfile sweeping `count` over i = 0 .. n-1, each instance counting the
        bytes of its own input data/{i}.txt (written here, `content(i)`) into
        counts/{i}.txt."""
        self.write("Seamlessfile", COUNT_SWEEP.format(n=n))
        for i in range(n):
            self.write(f"data/{i}.txt", content(i))

    def sf(self, *args: str, check: bool = True, timeout: float = 120,
           env: dict | None = None) -> subprocess.CompletedProcess:
        """Run `seamlessflow -C ROOT ARGS` with this project's private cache."""
        full_env = {**os.environ, "SEAMLESSFLOW_CACHE": str(self.cache), **(env or {})}
        full_env.pop("SEAMLESS_CACHE", None)
        proc = subprocess.run(
            [sys.executable, "-m", "seamlessflow", "-C", str(self.root), *args],
            capture_output=True, text=True, env=full_env, timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"seamlessflow {' '.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def run(self, *args: str, **kw) -> Report:
        """`seamlessflow run --report FILE ARGS`, with the report read back."""
        path = self.root.parent / f"report-{os.getpid()}.json"
        path.unlink(missing_ok=True)
        proc = self.sf("run", "--report", str(path), *args, **kw)
        return Report(json.loads(path.read_text()), proc)


@dataclass
class Report:
    data: dict
    proc: subprocess.CompletedProcess

    def __getitem__(self, name: str) -> dict:
        return next(i for i in self.data["instances"] if i["name"] == name)

    @property
    def statuses(self) -> dict[str, str]:
        return {i["name"]: i["status"] for i in self.data["instances"]}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    return Project(root, tmp_path / "cache")
