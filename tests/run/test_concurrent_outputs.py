"""Two runs in one project folder: neither takes the other's outputs for a user's edit."""

from __future__ import annotations

import os
import subprocess
import sys
import time

# The first run to reach the command takes the lock and waits for the test's signal,
# so that the second run writes its output while the first is still running. The
# output differs on every execution, as a timestamp would.
STEP = """
step s:
    inputs: a.txt
    shell: '''
        if mkdir {lock} 2>/dev/null; then
            while [ ! -e {release} ]; do sleep 0.02; done
        fi
        cat a.txt > o; head -c 16 /dev/urandom | od -x >> o
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
        second = project.run()
        assert second.statuses == {"s": "ran"}
        written_by_second = project.read("out.txt")
    finally:
        release.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert "warning" not in second.proc.stderr
    assert "was changed since seamlessflow wrote it" not in err, err
    assert project.read("out.txt").startswith("b\n")
    assert project.read("out.txt") != written_by_second  # the first run's own result


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
