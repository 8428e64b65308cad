"""A jobserver, and the Dask workers of a daskserver, that share no file system with the
client: they run as another account (tests/stranger.py), each with its own working
folder, HOME, config and cache, and cannot read the client's project folder or cache.
A workflow with folder and file inputs and file and folder captures, run on them, gives
what a local run gives: every byte went through the hashserver. The services get their
token with --token-file, the client and the workers with $SEAMLESSFLOW_TOKEN, as for
services someone else started (docs/security.md)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import stranger
from sample_workflow import INSTANCES, make_project, outputs


@dataclass
class Stranger:
    root: Path  # outside the test's private tmp_path, so the stranger can enter it
    token: str

    def machine(self, name: str) -> tuple[Path, dict[str, str]]:
        """A home folder of the stranger's, and an environment whose HOME, cache, config
        and temp folders are in it: what a service on a machine of its own would have."""
        home = stranger.own_folder(self.root / name)
        env = {"HOME": str(home)}
        for var, folder in (("SEAMLESSFLOW_CACHE", "cache"),
                            ("SEAMLESS_CONFIG_DIR", ".seamless"), ("TMPDIR", "tmp")):
            env[var] = str(stranger.own_folder(home / folder))
        return home, env

    def token_file(self, home: Path) -> Path:
        return stranger.own_file(home / "lab.token", self.token)


@pytest.fixture
def other_account() -> Iterator[Stranger]:
    root = Path(tempfile.mkdtemp(prefix="seamlessflow-stranger-"))
    os.chmod(root, 0o755)
    yield Stranger(root, secrets.token_urlsafe(32))
    shutil.rmtree(root)


@pytest.fixture
def stranger_storage(other_account, start_service):
    """A writable hashserver and database of the stranger's, with the shared token."""
    home, env = other_account.machine("storage")

    def serve(name: str, *args: str):
        return start_service(name, *args, "--token-file", str(other_account.token_file(home)),
                             env_extra=env, wrap=stranger.as_stranger, cwd=home)

    return (serve("hashserver", "--writable", "--dir", str(home / "buffers")),
            serve("database", "--writable", "--dir", str(home / "db")))


def write_clusters_yaml(config: Path, **services: str) -> None:
    config.mkdir()
    lines = "".join(f"      {name}: {{url: \"{url}\"}}\n" for name, url in services.items())
    (config / "clusters.yaml").write_text(
        "lab:\n  type: local\n  frontends:\n    - hostname: localhost\n" + lines)


def run_both_ways(tmp_path: Path, service_env: dict[str, str], settings: str, token: str,
                  mixed: bool = False) -> tuple[dict, dict]:
    """The reports of a run in a project folder the stranger cannot read, with the
    cluster `settings` (seamless.yaml; `mixed` as for make_project), and of a local run;
    their outputs must agree."""
    root = make_project(tmp_path, "project", settings, mixed)
    stranger.hide(root)
    assert stranger.cannot_read(root / "Seamlessfile")
    env = {**service_env, "SEAMLESSFLOW_TOKEN": token,
           "SEAMLESSFLOW_CACHE": str(tmp_path / "client-cache")}
    remote = run(root, env)
    assert remote["counts"]["ran"] == len(remote["instances"]) == INSTANCES

    local_root = make_project(tmp_path, "local")
    local_env = {**env, "SEAMLESS_CONFIG_DIR": str(tmp_path / "no-config"),
                 "SEAMLESSFLOW_CACHE": str(tmp_path / "local-cache")}
    local = run(local_root, local_env)
    assert {i["runner"] for i in local["instances"]} == {"process"}
    assert {i["name"]: i["result"] for i in remote["instances"]} == \
        {i["name"]: i["result"] for i in local["instances"]}
    assert outputs(root) == outputs(local_root)
    assert "bundle/sub/index" in outputs(root)
    return remote, local


def run(root: Path, env: dict[str, str]) -> dict:
    report = root / "report.json"
    done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run",
                           "--report", str(report)],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text())


@pytest.fixture
def stranger_jobserver(other_account, start_service, service_env, stranger_storage):
    """A jobserver of the stranger's on a "machine" of its own, where it knows the
    hashserver's token only from $SEAMLESSFLOW_TOKEN; clusters.yaml names the three."""
    hashserver, database = stranger_storage
    home, env = other_account.machine("jobserver")
    jobserver = start_service("jobserver", "--hashserver", hashserver.url, "--workers", "2",
                              "--token-file", str(other_account.token_file(home)),
                              env_extra={**env, "SEAMLESSFLOW_TOKEN": other_account.token},
                              wrap=stranger.as_stranger, cwd=home)
    for service in (hashserver, database, jobserver):
        assert stranger.process_uid(service.pid) == stranger.UID
    write_clusters_yaml(Path(service_env["SEAMLESS_CONFIG_DIR"]), hashserver=hashserver.url,
                        database=database.url, jobserver=jobserver.url)


def test_a_jobserver_of_another_account_runs_a_workflow_through_the_hashserver(
        stranger_jobserver, other_account, service_env, tmp_path):
    remote, _ = run_both_ways(tmp_path, service_env, "- cluster: lab\n", other_account.token)
    assert {i["runner"] for i in remote["instances"]} == {"jobserver"}


def test_a_mixed_run_moves_results_between_local_steps_and_a_jobserver_of_another_account(
        stranger_jobserver, other_account, service_env, tmp_path):
    """The farmed step reads a local step's result, and local steps read its results:
    the bytes cross between the client's cache and the stranger's hashserver."""
    remote, _ = run_both_ways(tmp_path, service_env, "", other_account.token, mixed=True)
    runners = {i["name"]: i["runner"] for i in remote["instances"]}
    assert runners == {"tokenize": "process", "count[n=3]": "jobserver",
                       "count[n=5]": "jobserver", "count[n=8]": "jobserver",
                       "bundle": "process", "summary": "process"}


@pytest.mark.parametrize("mixed", [False, True], ids=["all-on-dask", "mixed"])
def test_dask_workers_of_another_account_run_a_workflow_through_the_hashserver(
        other_account, start_service, service_env, stranger_storage, tmp_path, mixed):
    """The daskserver serves plain tcp:// on loopback (--no-token): its TLS credentials
    would be in the stranger's config folder, which the client cannot read. The workers
    know the hashserver's token only from $SEAMLESSFLOW_TOKEN, as on another machine.
    Mixed: only the farmed step is on Dask (the cluster's only runner)."""
    hashserver, database = stranger_storage
    home, env = other_account.machine("dask")
    daskserver = start_service("daskserver", "--no-token", "--workers", "2",
                               env_extra={**env, "SEAMLESSFLOW_TOKEN": other_account.token},
                               wrap=stranger.as_stranger, cwd=home)
    assert stranger.process_uid(daskserver.pid) == stranger.UID
    write_clusters_yaml(Path(service_env["SEAMLESS_CONFIG_DIR"]), hashserver=hashserver.url,
                        database=database.url, daskserver=daskserver.url)
    settings = "" if mixed else "- cluster: lab\n- remote: daskserver\n"
    remote, _ = run_both_ways(tmp_path, service_env, settings, other_account.token, mixed)
    runners = {i["name"]: i["runner"] for i in remote["instances"]}
    assert runners == {name: "dask" if not mixed or name.startswith("count[") else "process"
                       for name in runners}
