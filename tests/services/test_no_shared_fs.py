"""A jobserver that shares no file system with the client: it runs as another account
(tests/stranger.py) with its own working folder, HOME, config and cache, and cannot read
the client's project folder or cache. A workflow with folder and file inputs and file
and folder captures, run on it, gives what a local run gives: every byte went through
the hashserver. The services get their token with --token-file and the client with
$SEAMLESSFLOW_TOKEN, as for services someone else started (docs/security.md)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import stranger

REPO = Path(__file__).resolve().parents[2]
WORDSTATS = REPO / "examples" / "workflows" / "wordstats"
BUNDLE_STEP = """
step bundle:
    inputs: counts/{n}.txt for n in lengths
    shell: "mkdir -p out/sub && cp counts/*.txt out/ && ls counts > out/sub/index"
    captures: out/ -> bundle/
"""


@dataclass
class Stranger:
    home: Path
    env: dict[str, str]  # HOME, cache, config and temp folders of its own
    token_file: Path
    token: str


@pytest.fixture
def other_account() -> Iterator[Stranger]:
    """The stranger's folders, outside the test's private tmp_path."""
    root = Path(tempfile.mkdtemp(prefix="seamlessflow-stranger-"))
    os.chmod(root, 0o755)
    home = stranger.own_folder(root / "home")
    env = {"HOME": str(home)}
    for var, name in (("SEAMLESSFLOW_CACHE", "cache"), ("SEAMLESS_CONFIG_DIR", ".seamless"),
                      ("TMPDIR", "tmp")):
        env[var] = str(stranger.own_folder(home / name))
    token = secrets.token_urlsafe(32)
    yield Stranger(home, env, stranger.own_file(home / "lab.token", token), token)
    shutil.rmtree(root)


def project(tmp_path: Path, name: str) -> Path:
    """The wordstats example (a folder input, file inputs and captures) with a step
    capturing a folder."""
    root = tmp_path / name
    shutil.copytree(WORDSTATS, root)
    with open(root / "Seamlessfile", "a") as sf:
        sf.write(BUNDLE_STEP)
    return root


def run(root: Path, env: dict[str, str]) -> dict:
    report = root / "report.json"
    done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run",
                           "--report", str(report)],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text())


def outputs(root: Path) -> dict[str, bytes]:
    """Every file the run wrote into the project."""
    names = ["summary.md", "tokens.txt"]
    names += [str(p.relative_to(root)) for d in ("counts", "bundle")
              for p in sorted((root / d).rglob("*")) if p.is_file()]
    return {name: (root / name).read_bytes() for name in names}


def test_a_jobserver_of_another_account_runs_a_workflow_through_the_hashserver(
        start_service, service_env, other_account, tmp_path):
    def serve(name: str, *args: str):
        return start_service(name, *args, "--token-file", str(other_account.token_file),
                             env_extra=other_account.env, wrap=stranger.as_stranger,
                             cwd=other_account.home)

    home = other_account.home
    hashserver = serve("hashserver", "--writable", "--dir", str(home / "buffers"))
    database = serve("database", "--writable", "--dir", str(home / "db"))
    jobserver = serve("jobserver", "--hashserver", hashserver.url, "--workers", "2")
    for service in (hashserver, database, jobserver):
        assert stranger.process_uid(service.pid) == stranger.UID

    config = Path(service_env["SEAMLESS_CONFIG_DIR"])
    config.mkdir()
    (config / "clusters.yaml").write_text(textwrap.dedent(f"""\
        lab:
          type: local
          frontends:
            - hostname: localhost
              hashserver: {{url: "{hashserver.url}"}}
              database: {{url: "{database.url}"}}
              jobserver: {{url: "{jobserver.url}"}}
        """))
    root = project(tmp_path, "project")
    (root / "seamless.yaml").write_text("- cluster: lab\n")
    stranger.hide(root)
    assert stranger.cannot_read(root / "Seamlessfile")
    env = {**service_env, "SEAMLESSFLOW_TOKEN": other_account.token,
           "SEAMLESSFLOW_CACHE": str(tmp_path / "client-cache")}
    remote = run(root, env)
    assert {i["runner"] for i in remote["instances"]} == {"jobserver"}
    assert remote["counts"]["ran"] == len(remote["instances"]) == 6

    local_root = project(tmp_path, "local")
    local_env = {**env, "SEAMLESS_CONFIG_DIR": str(tmp_path / "no-config"),
                 "SEAMLESSFLOW_CACHE": str(tmp_path / "local-cache")}
    local = run(local_root, local_env)
    assert {i["runner"] for i in local["instances"]} == {"process"}
    assert {i["name"]: i["result"] for i in remote["instances"]} == \
        {i["name"]: i["result"] for i in local["instances"]}
    assert outputs(root) == outputs(local_root)
    assert "bundle/sub/index" in outputs(root)
