"""`seamlessflow run` with a stage on a real Dask cluster beside a local stage."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from seamlessflow.storage.sqlite_db import SqliteResultDatabase

REPO = Path(__file__).resolve().parents[2]
WORDSTATS = REPO / "examples" / "workflows" / "wordstats"


def _project(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(WORDSTATS, root)
    sf = root / "Seamlessfile"
    text = sf.read_text().replace("step count for n in lengths:\n",
                                  "step count for n in lengths:\n    stage: heavy\n")
    sf.write_text("stage heavy:\n    execution: remote\n    remote: daskserver\n\n" + text)
    (root / "seamless.yaml").write_text("- stage heavy:\n    - cluster: lab\n")
    return root


def _lab_env(tmp_path: Path, daskserver: str) -> dict[str, str]:
    """The environment of a run whose cluster 'lab' (in a private clusters.yaml) has the
    daskserver entry `daskserver` (YAML), with a cache of its own."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "clusters.yaml").write_text(
        "lab:\n  type: local\n  frontends:\n    - hostname: localhost\n"
        f"      daskserver: {daskserver}\n")
    return {**os.environ, "SEAMLESS_CONFIG_DIR": str(config),
            "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}


def _run(root: Path, env: dict, *args: str) -> tuple[dict, str]:
    report = root / "report.json"
    done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run",
                           "--report", str(report), *args],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text()), done.stderr


def test_a_dask_stage_matches_local_and_a_second_run_needs_no_dask(cluster, tmp_path):
    env = _lab_env(tmp_path, f'{{url: "{cluster.scheduler_address}"}}')
    root = _project(tmp_path, "dask")
    first, stderr = _run(root, env)
    assert f"dask: scheduler {cluster.scheduler_address}, dashboard" in stderr
    runners = {i["name"]: i["runner"] for i in first["instances"]}
    assert runners == {"tokenize": "process", "count[n=3]": "dask", "count[n=5]": "dask",
                       "count[n=8]": "dask", "summary": "process"}

    # the same workflow with --local and its own cache: the same results
    local_env = {**env, "SEAMLESSFLOW_CACHE": str(tmp_path / "local-cache")}
    local, _ = _run(_project(tmp_path, "local"), local_env, "--local")
    assert {i["name"]: i["result"] for i in local["instances"]} == \
        {i["name"]: i["result"] for i in first["instances"]}

    # fully cached, and Dask is not contacted: an unreachable scheduler changes nothing
    clusters = Path(env["SEAMLESS_CONFIG_DIR"]) / "clusters.yaml"
    clusters.write_text(clusters.read_text().replace(cluster.scheduler_address,
                                                     "tcp://127.0.0.1:9"))
    second, stderr = _run(root, env)
    assert {i["status"] for i in second["instances"]} == {"cached"}
    assert "dask:" not in stderr


def test_a_dask_command_is_told_the_cores_its_worker_gives(cluster, tmp_path):
    """The workers advertise one "cores" each: a step asking for three runs on one,
    and is told so."""
    env = _lab_env(tmp_path, f'{{url: "{cluster.scheduler_address}"}}')
    root = tmp_path / "cores"
    root.mkdir()
    (root / "seamless.yaml").write_text("- stage heavy:\n    - cluster: lab\n")
    (root / "Seamlessfile").write_text(textwrap.dedent("""\
        stage heavy:
            execution: remote
            remote: daskserver

        step threaded:
            stage: heavy
            cores: 3
            shell: 'echo "$SEAMLESSFLOW_CORES $OMP_NUM_THREADS" > o.txt'
            captures: o.txt -> cores.txt
        """))
    report, _ = _run(root, env, "-j", "4")
    assert [i["runner"] for i in report["instances"]] == ["dask"]
    assert (root / "cores.txt").read_text() == "1 1\n"


def test_local_steps_do_not_inherit_the_variables_dask_sets_for_its_workers(tmp_path):
    """Dask's nannies put OMP_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_ and the like into the
    environment of the process that starts them: a local step after the run's own
    LocalCluster started must still see the user's environment, not those."""
    env = _lab_env(tmp_path, "{port_start: 44500, port_end: 44599, workers: 1, "
                             "dashboard_port: 0}")
    root = tmp_path / "project"
    root.mkdir()
    (root / "Seamlessfile").write_text(textwrap.dedent('''\
        stage heavy:
            execution: remote
            remote: daskserver

        step far:
            stage: heavy
            shell: "echo far > far.txt"
            captures: far.txt

        step near:
            inputs: far.txt
            shell: "echo ${MALLOC_TRIM_THRESHOLD_-unset} > near.txt"
            captures: near.txt
        '''))
    (root / "seamless.yaml").write_text("- stage heavy:\n    - cluster: lab\n")
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    report, _ = _run(root, env)
    assert {i["name"]: i["runner"] for i in report["instances"]} == \
        {"far": "dask", "near": "process"}
    assert (root / "near.txt").read_text() == "unset\n"


def test_exec_on_a_daskserver_stage_runs_on_its_workers(cluster, tmp_path):
    """`seamlessflow exec` in a folder whose stage (seamless.yaml) is a daskserver runs
    the command as a Dask task, and records its result as such."""
    env = _lab_env(tmp_path, f'{{url: "{cluster.scheduler_address}"}}')
    here = tmp_path / "here"
    here.mkdir()
    (here / "seamless.yaml").write_text("- cluster: lab\n")
    (here / "data.txt").write_text("b\na\n")

    def exec_(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(here), "exec",
                               *args], env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        return done

    ran = exec_("--", "sort data.txt > sorted.txt")
    assert "on the dask runner" in ran.stderr
    assert (here / "sorted.txt").read_text() == "a\nb\n"
    checksum = exec_("--dry", "-j", str(tmp_path / "job"), "--",
                     "sort data.txt > sorted.txt").stdout.strip()
    db = SqliteResultDatabase(tmp_path / "cache" / "__TOPLEVEL__" / "seamless.db")
    assert db.get_record(checksum)["runner"] == "dask"
