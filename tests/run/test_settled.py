"""A run that found everything cached is told again from its record while nothing that
decided it has changed (session/settled.py); every change a full run would see is still seen."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

WORKFLOW = '''
let names = ["a", "b", "c"]

step norm for n in names:
    inputs: data/{n}.txt -> in.txt
    shell: "LC_ALL=C sort in.txt > sorted.txt"
    captures: sorted.txt -> sorted/{n}.txt

step shout for n in names:
    inputs: sorted/{n}.txt -> in.txt
    params: suffix = "!"
    shell: """
        sed "s/$/$suffix/" in.txt | tr a-z A-Z > loud.txt
        """
    captures: loud.txt -> loud/{n}.txt
'''

LIST_FOLDER = '''
step list:
    inputs: data/
    shell: "find data -type f | LC_ALL=C sort > files.txt"
    captures: files.txt
'''

# What a record trusts must be older than the moment it was taken by more than the file
# system's timestamp granularity (100 ms for fine timestamps): a test waits that long.
SETTLE_S = 0.25


def _records(project) -> list[Path]:
    return sorted((project.cache / "plans").glob("*.settled"))


def _settle(project):
    """Run until a run found everything cached and kept its record; that run's report."""
    project.write("Seamlessfile", WORKFLOW)
    for n in "abc":
        project.write(f"data/{n}.txt", f"pear {n}\napple {n}\n")
    time.sleep(SETTLE_S)
    assert set(project.run().statuses.values()) == {"ran"}
    time.sleep(SETTLE_S)
    settled = project.run()
    assert set(settled.statuses.values()) == {"cached"}
    assert len(_records(project)) == 1
    return settled


def _without_time(stdout: str) -> str:
    return re.sub(r" in \d+\.\d\ds$", "", stdout.rstrip("\n"))


def test_a_settled_run_is_told_again_the_same_without_reading_the_plan(project):
    full = _settle(project)  # the run that went the whole way: the reference
    (plan,) = (project.cache / "plans").glob("*.plan")
    plan.unlink()
    told = project.run()
    assert not plan.exists()  # not planned: told from the record
    assert _without_time(told.proc.stdout) == _without_time(full.proc.stdout)
    assert told.proc.stdout.count("cached  ") == 6
    assert told.data == full.data
    dry = project.sf("run", "-n")
    assert "cached  shout[n=a]  (cached result)" in dry.stdout
    assert dry.stdout.rstrip().endswith("6 instances, dry run: 6 cached, 0 will run")
    quiet = project.sf("-q", "run")
    assert quiet.stdout.startswith("6 instances: 0 ran, 6 cached, 0 failed in ")
    assert not plan.exists()


def _edit_input(project) -> set[str]:
    path = project.root / "data/b.txt"
    st = path.stat()
    path.write_text("zzzz b\napple b\n")  # same size, same mtime: the stat cache still sees it
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    return {"norm[n=b]", "shout[n=b]"}


def _change_a_param(project) -> set[str]:
    project.write("Seamlessfile", WORKFLOW.replace('suffix = "!"', 'suffix = "?"'))
    return {f"shout[n={n}]" for n in "abc"}


def _forget_a_result(project) -> set[str]:
    tf = project.run("-n")["shout[n=c]"]["transformation"]
    with sqlite3.connect(project.cache / "__TOPLEVEL__" / "seamless.db") as db:
        db.execute("DELETE FROM transformation WHERE checksum = ?", (tf,))
    return {"shout[n=c]"}


@pytest.mark.parametrize("change", [_edit_input, _change_a_param, _forget_a_result])
def test_what_changed_since_a_settled_run_reruns(project, change):
    _settle(project)
    expected = change(project)
    report = project.run()
    assert {name for name, s in report.statuses.items() if s == "ran"} == expected
    assert _records(project) == []  # something ran: the record is gone
    time.sleep(SETTLE_S)
    assert set(project.run().statuses.values()) == {"cached"}
    assert len(_records(project)) == 1


def test_an_edited_or_deleted_output_after_a_settled_run_is_written_again(project):
    _settle(project)
    (project.root / "loud/a.txt").write_text("mine\n")
    (project.root / "sorted/c.txt").unlink()
    report = project.run()
    assert set(report.statuses.values()) == {"cached"}
    assert project.read("loud/a.txt") == "APPLE A!\nPEAR A!\n"
    assert project.read("sorted/c.txt") == "apple c\npear c\n"
    assert "loud/a.txt was changed since seamlessflow wrote it" in report.proc.stderr


def test_a_stale_sidecar_beside_an_input_is_reported_every_time(project):
    _settle(project)
    project.write("data/a.txt.CHECKSUM", "0" * 64 + "\n")
    assert "data/a.txt.CHECKSUM is stale" in project.sf("run").stderr
    time.sleep(SETTLE_S)
    assert "is stale" in project.sf("run").stderr  # a run that warned is not told again


def test_a_future_appearing_beside_an_input_is_waited_for(project):
    _settle(project)
    future = project.write("data/b.txt.FUTURE", "")
    time.sleep(SETTLE_S)
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache)}
    report = project.root.parent / "future.json"
    proc = subprocess.Popen([sys.executable, "-m", "seamlessflow", "-C", str(project.root),
                             "run", "--report", str(report)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    assert proc.poll() is None  # waiting for the file Seamless is still producing
    project.write("data/b.txt", "kiwi b\n")
    future.unlink()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    statuses = {i["name"]: i["status"] for i in json.loads(report.read_text())["instances"]}
    assert statuses["norm[n=b]"] == "ran"
    assert project.read("loud/b.txt") == "KIWI B!\n"


def test_other_targets_or_force_are_not_told_from_the_record(project):
    _settle(project)
    assert project.run("norm").statuses == {f"norm[n={n}]": "cached" for n in "abc"}
    assert project.run("--force", "shout[n=b]")["shout[n=b]"]["status"] == "ran"


def test_a_folder_input_is_read_again_after_a_settled_run(project):
    project.write("Seamlessfile", LIST_FOLDER)
    project.write("data/x/one.txt", "1")
    time.sleep(SETTLE_S)
    project.run()
    time.sleep(SETTLE_S)
    assert project.run().statuses == {"list": "cached"}
    project.write("data/x/two.txt", "2")  # the folder data/ itself is unchanged
    assert project.run().statuses == {"list": "ran"}
    assert project.read("files.txt") == "data/x/one.txt\ndata/x/two.txt\n"
