"""A real Dask LocalCluster (worker processes), real buffer stores, Jobs built with the
identity layer (a shell step's: tests/bash_jobs.py), and helpers to watch what commands did from outside their workspaces."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import distributed
import pytest
from bash_jobs import bash_job
from process_watch import await_file, await_gone

from seamlessflow.execution.job import Job
from seamlessflow.identity.checksum import checksum_bytes, plain_serialize
from seamlessflow.identity.transformation import build_transformation, transformation_checksum
from seamlessflow.services.daskserver import restore_environment
from seamlessflow.storage.local_store import LocalBufferStore
from seamlessflow.storage.trees import put_tree


@dataclass
class JobFactory:
    store: Any  # a LocalBufferStore or an HttpBufferStore
    tmp: Path

    def __call__(self, code: str, *, language: str = "bash",
                 inputs: dict[str, bytes] | None = None,
                 dir_inputs: dict[str, dict[str, bytes]] | None = None,
                 params: dict[str, Any] | None = None, captures: list[str] | None = None,
                 stdout: bool = False, metavars: dict[str, Any] | None = None,
                 name: str = "step", with_texts: bool = False) -> Job:
        checksums = {path: self.store.put(data) for path, data in (inputs or {}).items()}
        for path, files in (dir_inputs or {}).items():
            root = self.tmp / "dirs" / f"{path}-{time.monotonic_ns()}"
            for rel, data in files.items():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_bytes(data)
            checksums[path], _index = put_tree(self.store, root)
        common = dict(name=name, log_path=str(self.tmp / "logs" / f"{name}.log"))
        if language == "bash":
            trees = {path: checksums.pop(path) for path in dir_inputs or {}}
            return bash_job(self.store, code, inputs=checksums, dir_inputs=trees,
                            params=params, metavars=metavars, captures=captures,
                            stdout=stdout, with_texts=with_texts, **common)
        tf = build_transformation(language, checksum_bytes(code.encode()), checksums,
                                  params or {}, captures or [], stdout)
        self.store.put(code.encode())
        self.store.put(plain_serialize(tf))
        return Job(checksum=transformation_checksum(tf), transformation=tf, code=code,
                   dir_inputs=sorted(dir_inputs or {}), metavars=metavars or {}, **common)


MEMORY = 1 << 30  # the "memory" resource each worker of `cluster` advertises


@pytest.fixture(autouse=True)
def _no_worker_variables_left() -> Iterator[None]:
    """A nanny that restarts a killed worker sets its variables (OMP_NUM_THREADS=1, …) in
    this process's environment again; the CLI runs of later tests must not inherit them."""
    environment = dict(os.environ)
    yield
    restore_environment(environment)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[distributed.LocalCluster]:
    """Two worker processes of one thread each, advertising one "cores" resource and
    MEMORY bytes of "memory" each, started once per module (a start costs about two
    seconds). The workers, this process and the services a test starts share a private
    config folder, where the services' token files are, as they share ~/.seamless on a
    user's machine."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEAMLESS_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
        patch.delenv("SEAMLESSFLOW_TOKEN", raising=False)
        environment = dict(os.environ)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      resources={"cores": 1, "memory": MEMORY},
                                      dashboard_address=None) as started:
            # the nannies left their workers' variables in this process's environment,
            # where the CLI runs of later tests would inherit them
            restore_environment(environment)
            yield started


@pytest.fixture
def store(tmp_path: Path) -> LocalBufferStore:
    return LocalBufferStore(tmp_path / "buffers")


@pytest.fixture
def make_job(store: LocalBufferStore, tmp_path: Path) -> JobFactory:
    return JobFactory(store, tmp_path)


def sample_jobs(make_job: JobFactory) -> list[Job]:
    """A bash step with a file input and a param, a Python step capturing a directory
    and stdout, and a step copying a directory input."""
    return [
        make_job('awk -v m="$n" \'length($0) >= m\' words > long.txt',
                 inputs={"words": b"a\nabcd\nxyz\n"}, params={"n": 3}, captures=["long.txt"],
                 name="bash"),
        make_job("import os\nos.makedirs('d/e')\nopen('d/e/f', 'w').write(str(k * 2))\nprint(k)",
                 language="python", params={"k": 21}, captures=["d/"], stdout=True, name="py"),
        make_job("cp -r tree copy", dir_inputs={"tree": {"x": b"x", "y/z": b"z"}},
                 captures=["copy/"], name="tree"),
    ]


@pytest.fixture
def helpers() -> Any:
    """The module-level helpers, for test modules (which must not import conftest)."""
    return _Helpers()


class _Helpers:
    JobFactory = JobFactory
    MEMORY = MEMORY
    sample_jobs = staticmethod(sample_jobs)
    await_file = staticmethod(partial(await_file, within=30.0))  # a worker starts slowly
    wait_gone = staticmethod(await_gone)
