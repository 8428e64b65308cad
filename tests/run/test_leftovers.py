"""What a killed seamlessflow leaves half-written never counts as data, and goes away."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from seamlessflow.storage.leftovers import HOST_TAG, MAX_AGE_S, TEMP_PREFIX

KILLED_WRITER = """
import os, sys
from pathlib import Path
from seamlessflow.storage.atomic import temp_dir_in, temp_in
folder = Path(sys.argv[1])
if sys.argv[2] == "dir":
    tree = temp_dir_in(folder)
    (tree / "half.txt").write_bytes(b"half" * 1000)
else:
    with temp_in(folder) as (out, tmp):
        out.write(b"half" * 1000)
        out.flush()
        os.kill(os.getpid(), 9)
os.kill(os.getpid(), 9)
"""


def _killed_writer(folder: Path, kind: str = "file") -> Path:
    """Have a process start a temporary file (or folder) in `folder` the way every
    seamlessflow write does, and die by SIGKILL before finishing it; return it."""
    before = set(folder.iterdir()) if folder.exists() else set()
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(folder), kind])
    assert proc.returncode == -signal.SIGKILL
    (left,) = set(folder.iterdir()) - before
    assert left.name.startswith(TEMP_PREFIX)
    return left


SWEEP = """
step count for i in range(0, 3):
    inputs: data/
    params: i
    shell: "ls -A data > n.txt; echo $i >> n.txt"
    captures: n.txt -> out/{i}.txt
"""


def test_a_leftover_in_an_input_folder_changes_nothing(project):
    project.write("Seamlessfile", SWEEP)
    project.write("data/a.txt", "a\n")
    project.run()
    before = project.sf("checksum", "data").stdout.split()[0]
    _killed_writer(project.root / "data")
    _killed_writer(project.root / "data", "dir")
    assert project.sf("checksum", "data").stdout.split()[0] == before
    assert set(project.run().statuses.values()) == {"cached"}


def test_a_leftover_in_a_captured_folder_changes_nothing(project):
    project.write("Seamlessfile", """
step s:
    shell: "mkdir d; echo x > d/f"
    captures: d/
""")
    project.run()
    _killed_writer(project.root / "d")
    report = project.run()
    assert report.statuses == {"s": "cached"}
    assert "warning" not in report.proc.stderr


def test_the_next_run_writing_into_a_folder_removes_what_a_killed_one_left(project):
    project.write("Seamlessfile", SWEEP)
    project.write("data/a.txt", "a\n")
    project.run()
    left = [_killed_writer(project.root / "out"), _killed_writer(project.root / "out", "dir")]
    # a temporary file of a process that is still running is not touched
    alive = project.write(f"out/{TEMP_PREFIX}{HOST_TAG}-{os.getpid()}-0123456789ab", "busy")
    project.write("data/b.txt", "b\n")
    report = project.run()
    assert set(report.statuses.values()) == {"ran"}
    assert not any(path.exists() for path in left)
    assert alive.exists()
    # nor does the run leave any of its own
    assert sorted(p.name for p in (project.root / "out").iterdir()) == [
        alive.name, "0.txt", "1.txt", "2.txt"]


def test_the_next_run_storing_bytes_removes_leftovers_from_the_store(project):
    project.write("Seamlessfile", SWEEP)
    project.write("data/a.txt", "a\n")
    project.run()
    (store,) = {p.parent.parent for p in project.cache.rglob("*") if len(p.name) == 64}
    left = _killed_writer(store)
    project.write("data/b.txt", "b\n")
    project.run()
    assert not left.exists()


def test_download_removes_a_partial_tree_left_beside_its_target(project, tmp_path):
    project.write("data/a.txt", "a\n")
    project.sf("upload", "data")
    left = _killed_writer(project.root, "dir")
    (project.root / "data.INDEX").unlink()  # rebuilt from the store's index
    os.rename(project.root / "data", tmp_path / "moved")
    project.root.joinpath("data").mkdir()
    project.sf("download", "data")
    assert project.read("data/a.txt") == "a\n"
    assert not left.exists()


def test_a_leftover_from_elsewhere_goes_only_once_it_is_old(project):
    project.write("Seamlessfile", SWEEP)
    project.write("data/a.txt", "a\n")
    project.run()
    old = project.write(f"out/{TEMP_PREFIX}0badf00d-12-0123456789ab", "other machine")
    recent = project.write(f"out/{TEMP_PREFIX}0badf00d-13-0123456789ab", "other machine")
    unnamed = project.write(f"out/{TEMP_PREFIX}0123456789ab", "an older seamlessflow")
    long_ago = time.time() - MAX_AGE_S - 60
    for path in (old, unnamed):
        os.utime(path, (long_ago, long_ago))
    project.write("data/b.txt", "b\n")
    project.run()
    assert not old.exists()
    assert not unnamed.exists()
    assert recent.exists()


SLOW = """
step slow:
    shell: "touch started; sleep 600; echo done > out.txt"
    captures: out.txt
"""


def _start_run(project, temp: Path) -> tuple[subprocess.Popen, Path]:
    """A real run whose step is sleeping in its workspace in `temp`: the process and the
    workspace (the command's folder)."""
    before = {p.parent for p in temp.rglob("started")}
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache), "TMPDIR": str(temp)}
    proc = subprocess.Popen([sys.executable, "-m", "seamlessflow", "-C", str(project.root),
                             "run"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (new := {p.parent for p in temp.rglob("started")} - before):
        assert proc.poll() is None, "the run ended before its step started"
        time.sleep(0.05)
    (workspace,) = new
    return proc, workspace


def _kill_run(proc: subprocess.Popen, workspace: Path) -> None:
    """kill -9 of the run, then of the command it started, which would sleep on in
    `workspace` (commands run in a process group of their own)."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        try:
            if os.readlink(cwd) == str(workspace):
                os.kill(int(cwd.parent.name), signal.SIGKILL)
        except OSError:
            pass  # gone meanwhile, or another account's


def test_a_later_run_removes_the_workspaces_a_killed_run_left_in_the_temp_folder(
        project, tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {"TMPDIR": str(temp)}
    killed_project = type(project)(tmp_path / "killed", project.cache)
    killed_project.write("Seamlessfile", SLOW)
    killed, left = _start_run(killed_project, temp)
    _kill_run(killed, left)
    assert killed.returncode == -signal.SIGKILL and left.exists()
    live_project = type(project)(tmp_path / "live", project.cache)
    live_project.write("Seamlessfile", SLOW)
    live, in_use = _start_run(live_project, temp)
    try:
        # a failed attempt kept on purpose, by a later run in the same temp folder
        project.write("Seamlessfile", 'step broken:\n    shell: "exit 3"\n    captures: x.txt\n')
        report = project.run("--keep-workspace", check=False, env=env)
        kept = Path(report["broken"]["workspace"])
        assert report["broken"]["status"] == "failed" and kept.is_dir()
        assert not left.exists()  # what the killed run left is gone
        assert in_use.exists()  # not what a live run uses
        project.write("Seamlessfile", 'step fine:\n    shell: "echo ok > ok.txt"\n'
                      '    captures: ok.txt\n')
        assert project.run(env=env).statuses == {"fine": "ran"}
        assert kept.is_dir() and in_use.exists()
    finally:
        _kill_run(live, in_use)
    # of the workspaces, the temp folder holds the kept one and that of the run killed last
    assert sorted(p for p in temp.iterdir() if "seamlessflow" in p.name) == \
        sorted({kept.parent, in_use})
