"""A sweep over a hundred new input files in one folder (which the project listing reads
once, scheduling/listing.py): every rule about inputs holds for them: a stale sidecar is
warned about, a file still being produced is waited for and read only once it is
complete."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

N = 100


def _files(project) -> None:
    project.count_sweep(N, lambda i: f"line {i}\n")


def test_hashed_ahead_inputs_give_the_identities_a_second_look_gives(project):
    _files(project)
    project.write("data/3.txt.CHECKSUM", "0" * 64 + "\n")
    first = project.run("-n")
    assert "data/3.txt.CHECKSUM is stale" in first.proc.stderr
    assert set(first.statuses.values()) == {"will-run"}
    # a second dry run in a fresh cache, one file at a time: only count[i=5] asked for
    again = project.run("-n", "count[i=5]", env={"SEAMLESSFLOW_CACHE": str(project.cache) + "2"})
    assert again["count[i=5]"]["transformation"] == first["count[i=5]"]["transformation"]
    project.write("data/5.txt", "line 5 edited\n")
    edited = project.run("-n")
    assert edited["count[i=5]"]["transformation"] != first["count[i=5]"]["transformation"]
    assert edited["count[i=6]"]["transformation"] == first["count[i=6]"]["transformation"]


def test_a_file_still_being_produced_is_read_when_complete(project):
    _files(project)
    project.write("data/7.txt", "partial")
    future = project.write("data/7.txt.FUTURE", "")
    complete = type(project)(project.root.parent / "complete", project.cache)
    complete.count_sweep(8, lambda i: f"line {i}\n")
    complete.write("data/7.txt", "line 7, complete\n")
    report = project.root.parent / "future.json"
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache)}
    proc = subprocess.Popen([sys.executable, "-m", "seamlessflow", "-C", str(project.root),
                             "run", "-n", "--report", str(report)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    assert proc.poll() is None  # waiting for data/7.txt
    project.write("data/7.txt", "line 7, complete\n")
    future.unlink()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    waited = {i["name"]: i for i in json.loads(report.read_text())["instances"]}
    alone = complete.run("-n")["count[i=7]"]
    assert waited["count[i=7]"]["transformation"] == alone["transformation"]
