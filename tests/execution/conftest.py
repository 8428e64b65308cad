"""Jobs built by hand against a real LocalBufferStore in tmp_path.

A bash job carries the Seamless bash transformation a shell step has (built as
`seamless-run` builds it: tests/identity checks that against measured checksums), its
pins' buffers in the store only, so that executing it fetches them as a remote worker
does. A Python job's dict is written out here as PROTOCOL.md defines it, independently
of the identity layer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bash_jobs import bash_job, printed

from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.identity.checksum import checksum_bytes, checksum_value, plain_serialize
from seamlessflow.storage.local_store import LocalBufferStore
from seamlessflow.storage.trees import put_tree


@dataclass
class JobFactory:
    store: LocalBufferStore
    tmp: Path

    def stdout(self, outcome: JobOutcome) -> bytes | None:
        return printed(outcome, self.store)

    def build_dir(self, files: dict[str, bytes], name: str = "src") -> Path:
        """A real directory holding `files`, outside every workspace."""
        root = self.tmp / "dirs" / f"{name}-{time.monotonic_ns()}"
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        root.mkdir(parents=True, exist_ok=True)
        return root

    def __call__(
        self,
        code: str,
        *,
        language: str = "bash",
        inputs: dict[str, bytes] | None = None,
        dir_inputs: dict[str, dict[str, bytes]] | None = None,
        params: dict[str, Any] | None = None,
        captures: list[str] | None = None,
        stdout: bool = False,
        metavars: dict[str, Any] | None = None,
        timeout: float | None = None,
        keep_workspace: bool = False,
        name: str = "step",
    ) -> Job:
        checksums = {path: self.store.put(data) for path, data in (inputs or {}).items()}
        trees = {path: put_tree(self.store, self.build_dir(files))[0]
                 for path, files in (dir_inputs or {}).items()}
        common = dict(name=name, timeout=timeout, log_path=str(self.tmp / "logs" / f"{name}.log"),
                      keep_workspace=keep_workspace, workdir=str(self.tmp / "work"))
        if language == "bash":
            return bash_job(self.store, code, inputs=checksums, dir_inputs=trees, params=params,
                            metavars=metavars, captures=captures, stdout=stdout, **common)
        transformation = {
            "__language__": language,
            "__format__": "seamlessflow/2",
            "code": checksum_bytes(code.encode()),
            "inputs": {**checksums, **trees},
            "params": params or {},
            "captures": sorted(captures or []),
            "stdout": stdout,
        }
        self.store.put(code.encode())
        self.store.put(plain_serialize(transformation))
        return Job(checksum=checksum_value(transformation), transformation=transformation,
                   code=code, metavars=metavars or {}, dir_inputs=sorted(trees), **common)



@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalBufferStore:
    monkeypatch.setenv("SEAMLESSFLOW_CACHE", str(tmp_path / "cache"))
    return LocalBufferStore(tmp_path / "cache" / "__TOPLEVEL__")


@pytest.fixture
def make_job(store: LocalBufferStore, tmp_path: Path) -> JobFactory:
    return JobFactory(store, tmp_path)
