"""Two runs in one project folder: neither takes the other's outputs for a user's edit."""

from __future__ import annotations

import os
import subprocess
import sys
import time

# The first run to reach the command takes the lock and waits for the test's signal,
# so that another run can write the same output while the first is still running.
STEP = """
step s:
    inputs: a.txt
    shell: '''
        if mkdir {lock} 2>/dev/null; then
            while [ ! -e {release} ]; do sleep 0.02; done
        fi
        cat a.txt > o
        '''
    captures: o -> out.txt
"""


def _wait_for(path, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def _start(project, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache)}
    return subprocess.Popen(
        [sys.executable, "-m", "seamlessflow", "-C", str(project.root), "run", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_an_output_another_run_wrote_meanwhile_is_not_called_an_edit(project, tmp_path):
    lock, release = tmp_path / "lock", tmp_path / "release"
    project.write("Seamlessfile", STEP.format(lock=lock, release=release))
    project.write("a.txt", "a\n")
    release.touch()
    project.run()  # out.txt recorded: what both later runs find in outputs.json
    release.unlink()
    lock.rmdir()
    project.write("a.txt", "b\n")
    first = _start(project)
    try:
        _wait_for(lock)
        project.write("a.txt", "c\n")  # the second run has another transformation
        second = project.run()
        assert second.statuses == {"s": "ran"}
        assert project.read("out.txt") == "c\n"
    finally:
        release.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert "warning" not in second.proc.stderr
    assert "was changed since seamlessflow wrote it" not in err, err
    assert project.read("out.txt") == "b\n"  # the last to finish wrote last


def test_a_real_edit_is_still_named(project, tmp_path):
    lock, release = tmp_path / "lock", tmp_path / "release"
    project.write("Seamlessfile", STEP.format(lock=lock, release=release))
    project.write("a.txt", "a\n")
    release.touch()
    project.run()
    project.write("out.txt", "mine\n")
    project.write("a.txt", "b\n")
    report = project.run()
    assert "out.txt was changed since seamlessflow wrote it" in report.proc.stderr


def test_each_run_keeps_the_others_record_of_what_it_wrote(project, tmp_path):
    lock, release = tmp_path / "lock", tmp_path / "release"
    project.write("Seamlessfile", STEP.format(lock=lock, release=release) + """
step t:
    inputs: a.txt
    shell: "cat a.txt > t"
    captures: t -> t.txt
""")
    project.write("a.txt", "a\n")
    first = _start(project, "s")
    try:
        _wait_for(lock)
        assert project.run("t").statuses == {"t": "ran"}
    finally:
        release.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    for path, instance in (("out.txt", "s"), ("t.txt", "t")):  # the record of each run
        assert f"produced by     {instance}\n" in project.sf("explain", path).stdout


def test_an_output_a_still_running_run_wrote_is_not_called_an_edit(project, tmp_path):
    """The other run has not saved its record yet: the result database says which step
    produced those bytes."""
    lock, release, hold = tmp_path / "lock", tmp_path / "release", tmp_path / "hold"
    project.write("Seamlessfile", STEP.format(lock=lock, release=release) + f"""
step w:
    inputs: a.txt
    shell: "while [ ! -e {hold} ]; do sleep 0.02; done; cat a.txt > w"
    captures: w -> w.txt
""")
    project.write("a.txt", "a\n")
    release.touch()
    hold.touch()
    project.run()
    release.unlink()
    hold.unlink()
    lock.rmdir()
    project.write("a.txt", "b\n")
    first = _start(project, "s")
    _wait_for(lock)
    project.write("a.txt", "c\n")
    second = _start(project, "-j", "2")  # writes out.txt, then waits in w
    try:
        deadline = time.monotonic() + 60
        while project.read("out.txt") != "c\n":
            assert time.monotonic() < deadline, "the second run never wrote out.txt"
            time.sleep(0.02)
        release.touch()
        out, err = first.communicate(timeout=120)
    finally:
        release.touch()
        hold.touch()
        second.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert "was changed since seamlessflow wrote it" not in err, err
    assert project.read("out.txt") == "b\n"
