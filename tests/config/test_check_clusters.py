"""`check` validates the clusters a workflow's stages name, as `run` would on using them:
no clusters.yaml, a cluster it does not define, a service the cluster lacks. Each is an
error (exit 2) where the setting is written, naming the file and what is missing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SEAMLESSFILE = """\
stage farm:
    cluster: lab
    remote: jobserver

step a:
    stage: farm
    shell: "echo a > a.txt"
    captures: a.txt
"""

LAB = """\
lab:
  type: local
  frontends:
    - hostname: localhost
      hashserver: {url: "http://127.0.0.1:5101"}
      database: {url: "http://127.0.0.1:5102"}
"""


@pytest.fixture
def project(tmp_path):
    """sf(*args) runs seamlessflow in a project whose Seamlessfile names cluster 'lab',
    with an empty config folder (no clusters.yaml yet)."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "Seamlessfile").write_text(SEAMLESSFILE)
    config = tmp_path / "config"
    config.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("SEAMLESSFLOW_HASHSERVER", "SEAMLESSFLOW_DATABASE",
                        "SEAMLESS_REMOTE_CLIENTS")}
    env.update(SEAMLESS_CONFIG_DIR=str(config), SEAMLESSFLOW_CACHE=str(tmp_path / "cache"))

    def sf(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), *args],
                              env=env, capture_output=True, text=True, timeout=60)

    sf.root, sf.clusters = root, config / "clusters.yaml"
    return sf


def _error_at(done: subprocess.CompletedProcess, where: str, message: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert f"{where}: error: {message}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_no_clusters_yaml_is_an_error_at_the_cluster_line(project):
    where = f"{project.root / 'Seamlessfile'}:2:5"
    missing = f"cluster 'lab': {project.clusters} does not exist"
    _error_at(project("check"), where, missing)
    # and `run` says the same, not that the cluster is "not defined"
    _error_at(project("run"), where, missing)


def test_an_undefined_cluster_names_the_file_and_the_clusters_it_has(project):
    project.clusters.write_text(LAB.replace("lab:", "labs:"))
    done = project("check")
    _error_at(done, f"{project.root / 'Seamlessfile'}:2:5",
              f"cluster 'lab' is not defined in {project.clusters}; did you mean 'labs'?")
    assert "hint: it defines labs" in done.stderr


def test_a_service_the_cluster_lacks_is_an_error_at_the_remote_line(project):
    project.clusters.write_text(LAB)
    _error_at(project("check"), f"{project.root / 'Seamlessfile'}:3:5",
              f"cluster 'lab' has no jobserver in {project.clusters}")


def test_a_cluster_named_in_seamless_yaml_is_checked_too(project):
    (project.root / "Seamlessfile").write_text(SEAMLESSFILE.replace("    cluster: lab\n", ""))
    (project.root / "seamless.yaml").write_text("- cluster: lab\n")
    done = project("check")
    assert done.returncode == 2, done.stdout
    assert (f"error: {project.root / 'seamless.yaml'}: item 1 (cluster): cluster 'lab': "
            f"{project.clusters} does not exist") in done.stderr
    assert done.stderr.count("does not exist") == 1  # once, though two stages inherit it


def test_a_defined_cluster_with_the_service_passes(project):
    project.clusters.write_text(LAB + '      jobserver: {url: "http://127.0.0.1:5103"}\n')
    done = project("check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: 1 step")
