"""Nothing a user made is lost, and an interrupted run leaves nothing half-done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

SLOW = '''
step slow for i in range(0, 20):
    inputs: a.txt
    params: i
    shell: """
        sleep 0.3
        for k in $(seq 1 2000); do echo "line $k of $i"; done > out.txt
        """
    captures: out.txt -> out/{i}.txt
'''


def _start(project, *args):
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache)}
    return subprocess.Popen(
        [sys.executable, "-m", "seamlessflow", "-C", str(project.root), "run", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True, preexec_fn=_interruptible,
    )


def _interruptible() -> None:
    """Ctrl-C as at a terminal, even when the tests themselves run as a background job,
    whose children inherit SIGINT ignored (POSIX shells do that to `cmd &`)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_outputs(project, n, limit=60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        out = project.root / "out"
        if out.is_dir() and len(list(out.iterdir())) >= n:
            return
        time.sleep(0.05)
    raise AssertionError("the run did not get far enough")


def test_kill_9_mid_run_then_rerun_completes_without_redoing_recorded_steps(project):
    project.write("Seamlessfile", SLOW)
    project.write("a.txt", "a")
    proc = _start(project, "-j", "2")
    _wait_for_outputs(project, 4)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = {p.name for p in (project.root / "out").iterdir() if p.suffix == ".txt"}
    assert 0 < len(written) < 20
    for name in written:  # no output file is truncated
        assert len((project.root / "out" / name).read_text().splitlines()) == 2000
    report = project.run("-j", "2")
    for i in range(20):
        status = report.statuses[f"slow[i={i}]"]
        if f"{i}.txt" in written:
            assert status == "cached", i  # its result had been recorded: it must not rerun
    assert all(len((project.root / f"out/{i}.txt").read_text().splitlines()) == 2000
               for i in range(20))
    assert not [p for p in (project.root / "out").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_running_steps_and_records_nothing_for_them(project, signum, status):
    project.write("Seamlessfile", '''
step hang:
    inputs: a.txt
    shell: "sleep 37; cat a.txt > out.txt"
    captures: out.txt
''')
    project.write("a.txt", "a")
    proc = _start(project)
    deadline = time.monotonic() + 60
    while subprocess.run(["pgrep", "-x", "-f", "sleep 37"], capture_output=True).returncode:
        assert proc.poll() is None and time.monotonic() < deadline, "the step never started"
        time.sleep(0.1)
    os.kill(proc.pid, signum)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == status
    leftover = subprocess.run(["pgrep", "-x", "-f", "sleep 37"], capture_output=True)
    assert leftover.stdout.strip() == b""
    project.write("Seamlessfile", project.read("Seamlessfile").replace("sleep 37; ", ""))
    assert project.run().statuses == {"hang": "ran"}


EDITABLE = '''
step make:
    inputs: a.txt
    params: n = 1
    shell: "cat a.txt > out.txt; echo $n >> out.txt"
    captures: out.txt
'''


def test_an_edited_output_is_kept_in_the_store_before_being_replaced(project):
    project.write("Seamlessfile", EDITABLE)
    project.write("a.txt", "a\n")
    project.run()
    project.write("out.txt", "my precious edit\n")
    project.write("Seamlessfile", EDITABLE.replace("n = 1", "n = 2"))
    report = project.run()
    assert project.read("out.txt") == "a\n2\n"
    warning = report.proc.stderr
    assert "out.txt was changed since seamlessflow wrote it" in warning
    checksum = warning.split("buffer store as ")[1].split()[0]
    restored = project.sf("resolve", checksum)
    assert restored.stdout == "my precious edit\n"


EDITABLE_DIR = '''
step make:
    inputs: a.txt
    params: n = 1
    shell: "mkdir -p out; cat a.txt > out/a.txt; echo $n > out/n.txt"
    captures: out/
'''


def test_an_edited_output_folder_can_be_brought_back_as_the_warning_says(project):
    """The warning names a way back that gives the folder, not its index: the command it
    suggests, run as written, rebuilds the edited folder."""
    project.write("Seamlessfile", EDITABLE_DIR)
    project.write("a.txt", "a\n")
    project.run()
    project.write("out/n.txt", "my precious edit\n")
    project.write("out/mine.txt", "mine\n")
    project.write("Seamlessfile", EDITABLE_DIR.replace("n = 1", "n = 2"))
    warning = project.run().proc.stderr
    assert project.read("out/n.txt") == "2\n"
    assert "out was changed since seamlessflow wrote it" in warning
    assert "resolve" not in warning
    command = warning.split("(", 1)[1].split(" brings the folder back)")[0]
    assert command.startswith("echo ") and command.endswith("seamlessflow download OTHER/")
    echo, download = command.split("; ")
    checksum = echo.split()[1]
    (project.root / "OTHER.CHECKSUM").write_text(checksum + "\n")
    project.sf("download", "OTHER/")
    assert sorted(p.name for p in (project.root / "OTHER").iterdir()) == \
        ["a.txt", "mine.txt", "n.txt"]
    assert project.read("OTHER/n.txt") == "my precious edit\n"


def test_an_edited_output_of_a_cached_step_is_restored_and_kept(project):
    project.write("Seamlessfile", EDITABLE)
    project.write("a.txt", "a\n")
    project.run()
    project.write("out.txt", "edited\n")
    report = project.run()
    assert report.statuses == {"make": "cached"}
    assert project.read("out.txt") == "a\n1\n"
    assert "out.txt was changed" in report.proc.stderr


def test_no_download_writes_sidecars_instead_of_bytes(project):
    project.write("Seamlessfile", EDITABLE)
    project.write("a.txt", "a\n")
    report = project.run("-nd")
    assert not (project.root / "out.txt").exists()
    sidecar = (project.root / "out.txt.CHECKSUM").read_text()
    assert sidecar == report["make"]["captures"]["out.txt"] + "\n"
    project.sf("download", "out.txt")
    assert project.read("out.txt") == "a\n1\n"


def test_inputs_from_sidecars_only(project):
    """An input present only as PATH.CHECKSUM is read from the buffer store."""
    project.write("Seamlessfile", EDITABLE)
    project.write("a.txt", "from the store\n")
    project.sf("upload", "a.txt")
    (project.root / "a.txt").unlink()
    project.run()
    assert project.read("out.txt") == "from the store\n1\n"


@pytest.mark.parametrize("dry", [True, False], ids=["dry run", "no-op run"])
def test_a_run_that_executes_nothing_writes_every_line_into_a_file(project, dry):
    """Such a run ends without Python's teardown (cli/main.py `entry`): the lines still
    buffered for a file must reach it, and the exit code must be the run's."""
    n = 300
    project.write("Seamlessfile", f"""\
        step count for i in range(0, {n}):
            params: i
            shell: "echo $i > n.txt"
            captures: n.txt -> n/{{i}}.txt
        """)
    if not dry:
        project.sf("run", "-j", "2")
    log = project.root.parent / "log.txt"
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache)}
    with open(log, "w") as out:
        code = subprocess.call([sys.executable, "-m", "seamlessflow", "-C", str(project.root),
                                "run", *(["-n"] if dry else [])], stdout=out, env=env)
    lines = log.read_text().splitlines()
    assert code == 0
    assert len(lines) == n + 1
    summary = f"{n} instances, dry run: 0 cached, {n} will run" if dry else \
        f"{n} instances: 0 ran, {n} cached"
    assert lines[-1].startswith(summary)
