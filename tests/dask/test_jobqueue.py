"""The `jobqueue:` form of a clusters.yaml daskserver entry, through `seamlessflow run`,
on dask-jobqueue's own LocalCluster: it writes real job scripts and runs them as local
processes, as a batch system would run them on its nodes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from process_watch import wait_gone
from sample_workflow import INSTANCES, make_project, outputs

CLUSTERS_YAML = """\
lab:
  type: local
  frontends:
    - hostname: localhost
      daskserver:
        jobqueue: LocalCluster
        cluster_kwargs: {cores: 1, memory: 1GB, processes: 1,
                         scheduler_options: {host: 127.0.0.1},
                         worker_extra_args: ["--resources", "cores=1"]}
        jobs: 2
"""


def _run(root: Path, env: dict[str, str]) -> tuple[dict, str]:
    report = root / "report.json"
    done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run",
                           "--report", str(report)],
                          env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text()), done.stderr


def _job_workers(scheduler: str) -> list[int]:
    """The pids of the job scripts' Dask workers of that scheduler still running."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"distributed.cli.dask_worker" in cmdline and scheduler.encode() in cmdline:
            pids.append(int(proc.name))
    return pids


def test_a_jobqueue_entry_runs_the_steps_in_job_scripts_and_ends_them(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "clusters.yaml").write_text(CLUSTERS_YAML)
    env = {**os.environ, "SEAMLESS_CONFIG_DIR": str(config),
           "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}
    root = make_project(tmp_path, "jobqueue", "- cluster: lab\n- remote: daskserver\n")
    report, stderr = _run(root, env)
    announced = re.search(r"started a dask-jobqueue LocalCluster for this run, scheduler "
                          r"(tcp://127\.0\.0\.1:\d+); its jobs end when the run ends", stderr)
    assert announced, stderr
    assert {i["runner"] for i in report["instances"]} == {"dask"}
    assert report["counts"]["ran"] == len(report["instances"]) == INSTANCES
    assert all(wait_gone(pid, within=30.0) for pid in _job_workers(announced.group(1)))

    local_env = {**env, "SEAMLESS_CONFIG_DIR": str(tmp_path / "no-config"),
                 "SEAMLESSFLOW_CACHE": str(tmp_path / "local-cache")}
    local_root = make_project(tmp_path, "local", "")
    local, _ = _run(local_root, local_env)
    assert {i["name"]: i["result"] for i in report["instances"]} == \
        {i["name"]: i["result"] for i in local["instances"]}
    assert outputs(root) == outputs(local_root)


def test_an_unknown_jobqueue_class_names_the_ones_there_are(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "clusters.yaml").write_text(CLUSTERS_YAML.replace("LocalCluster", "LocalClustr"))
    env = {**os.environ, "SEAMLESS_CONFIG_DIR": str(config),
           "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}
    root = make_project(tmp_path, "typo", "- cluster: lab\n- remote: daskserver\n")
    done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "unknown jobqueue 'LocalClustr'; did you mean 'LocalCluster'?" in done.stderr
    assert "Traceback" not in done.stderr


def test_ctrl_c_stops_a_run_on_a_jobqueue_cluster_as_any_run(tmp_path):
    """dask-jobqueue makes Ctrl-C exit at once when imported; the run keeps its own
    handling: exit status 130, the step's command stopped, the cluster's jobs ended."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "clusters.yaml").write_text(CLUSTERS_YAML)
    root = tmp_path / "hang"
    root.mkdir()
    (root / "seamless.yaml").write_text("- cluster: lab\n- remote: daskserver\n")
    marker = f"sleep 41.{time.time_ns()}"  # no other command has this command line
    (root / "Seamlessfile").write_text(f'step hang:\n    shell: "{marker}; echo x > o"\n'
                                       '    captures: o\n')
    env = {**os.environ, "SEAMLESS_CONFIG_DIR": str(config),
           "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}
    with open(tmp_path / "stderr", "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "seamlessflow", "-C", str(root), "run"],
                                env=env, stderr=stderr, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while subprocess.run(["pgrep", "-x", "-f", marker], capture_output=True).returncode:
            assert proc.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "stderr").read_text()
            time.sleep(0.1)
        scheduler = re.search(r"scheduler (tcp://\S+);", (tmp_path / "stderr").read_text())
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    stderr_text = (tmp_path / "stderr").read_text()
    assert proc.returncode == 130, stderr_text
    assert "Traceback" not in stderr_text
    assert scheduler and all(wait_gone(pid, within=30.0) for pid in _job_workers(scheduler.group(1)))
    leftover = subprocess.run(["pgrep", "-x", "-f", marker], capture_output=True)
    assert leftover.stdout.strip() == b""  # the step's command was stopped, not orphaned
