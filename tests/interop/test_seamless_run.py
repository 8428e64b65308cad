"""`seamlessflow exec` against the real `seamless-run` (seamless-suite 1.4.3, in a venv of
its own): the same transformation byte for byte, and results shared both ways through
one `SEAMLESS_CACHE`.

A visible side effect tells whether a command really ran: the script appends a line to
a log outside the workspace, whose path is a `--metavar` (not part of the identity)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent

TOOL_SH = '#!/bin/bash\ncat "$1"\n'
COUNT_SH = '#!/bin/bash\necho ran >> "$LOG"\nwc -c "$1"\n'
COPY_SH = '#!/bin/bash\necho ran >> "$LOG"\nmkdir -p outdir\nsort -r "$1" > outdir/sorted.txt\necho done\n'

# (seamless-run's arguments before the command, the command); `seamlessflow exec` gets
# the same arguments, then `--` and the command
FORMS = [
    ([], "wc -c data.txt"),                                         # stdout
    ([], "grep -rc e data.txt other.txt d"),                        # files and a folder
    ([], "ls d"),                                                   # a folder
    ([], "sort -r data.txt other.txt > out.txt"),                   # a redirect capture
    (["-cp", "out.txt"], "sort data.txt > out.txt"),               # -cp file
    (["-cp", "d:dd"], "ls d"),                                      # -cp folder, renamed
    (["-cp", "outdir", "-cp", ":printed.txt"], "./tool.sh data.txt"),  # -cp folder and stdout
    (["-cp", ":printed.txt", "-cp", "out.txt", "-g1"], "sort data.txt -o out.txt"),
    (["--var", "n=1"], "head -n $n data.txt"),                      # --var
    (["--var", 'n=é "q" \\ x', "--metavar", "T=ü"], "echo $n $T"),  # non-ASCII, quotes
    (["--metavar", "T=4", "--var", "n=2"], "head -n $n data.txt"),  # --metavar
    ([], "cat data.txt | sort | head -n 1"),                        # a pipeline
    ([], "cat data.txt | sort > out.txt"),                          # a pipeline, redirected
    ([], "cat 'my file.txt'"),                                      # a path with a space
    ([], "wc -c gone.txt"),                                         # a sidecar-only input
    ([], "./tool.sh data.txt"),                                     # a local executable
    ([], "cat d/a.txt"),                                            # a file in a folder
]

# the worked examples of Seamless's bash transformations, in this workspace
WORKED = {
    "wc -c data.txt": "55a42f6cb23a8dbcb207d3531dd35ff9b0b4f0c4d0ba6b8ab38781a70f4a1047",
    "grep -rc e data.txt other.txt d":
        "4c216336a595c80bfe5818511f364501fdd22714754a97dccf321015a1aadc93",
    "sort -r data.txt other.txt > out.txt":
        "deab584eb954b456be53beddcd7c7eff39086b718e96c72bed5987822d98af6e",
}


def _script(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _seamlessflow(cwd: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    """The `seamlessflow` executable told only `SEAMLESS_CACHE`, as a user sharing
    seamless-run's cache would run it."""
    env = {**os.environ, "SEAMLESS_CACHE": str(cache)}
    env.pop("SEAMLESSFLOW_CACHE", None)
    out = subprocess.run([str(BIN / "seamlessflow"), *args], cwd=cwd, env=env, timeout=120,
                         capture_output=True, text=True)
    assert out.returncode == 0, f"seamlessflow {args} failed:\n{out.stderr}"
    return out


def _runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture
def workspace(tmp_path) -> Path:
    work = tmp_path / "work"
    (work / "d" / "sub").mkdir(parents=True)
    (work / "data.txt").write_bytes(b"hello world\n")
    (work / "other.txt").write_bytes(b"second file\n")
    (work / "my file.txt").write_bytes(b"space\n")
    (work / "d" / "a.txt").write_bytes(b"alpha\n")
    (work / "d" / ".hidden").write_bytes(b"")
    (work / "d" / "sub" / "b.txt").write_bytes(b"beta\n")
    (work / "gone.txt.CHECKSUM").write_text(hashlib.sha256(b"sidecar only\n").hexdigest())
    _script(work, "tool.sh", TOOL_SH)
    _script(work, "count.sh", COUNT_SH)
    _script(work, "copy.sh", COPY_SH)
    return work


def test_dry_runs_write_byte_identical_jobs(workspace, seamless_run, tmp_path):
    """`seamlessflow exec --dry -j` and `seamless-run --dry -j` write the same
    `transformation.json` and `command.txt` and print the same checksum; for the worked
    examples, the checksum both tools are known to give."""
    printed_for = {}
    for i, (options, command) in enumerate(FORMS):
        theirs, ours = tmp_path / f"job-sr-{i}", tmp_path / f"job-sf-{i}"
        printed = seamless_run("--dry", "-j", theirs, *options, command, cwd=workspace)
        mine = _seamlessflow(workspace, seamless_run.cache,
                             "exec", "--dry", "-j", str(ours), *options, "--", command)
        form = f"{options} {command!r}"
        assert (ours / "transformation.json").read_bytes() == \
            (theirs / "transformation.json").read_bytes(), form
        assert (ours / "command.txt").read_bytes() == (theirs / "command.txt").read_bytes(), form
        assert mine.stdout.strip() == printed.stdout.strip(), form
        printed_for[command] = printed.stdout.strip()
    assert {c: printed_for[c] for c in WORKED} == WORKED


def test_a_seamlessfile_step_is_the_transformation_seamless_run_builds(seamless_run,
                                                                      tmp_path):
    """A `shell:` step with the inputs, params, metavars and captures of a seamless-run
    command has the transformation checksum `seamless-run --dry -j` prints for it."""
    from step_forms import FORMS, seamlessfile, write_files

    work = tmp_path / "steps"
    work.mkdir()
    write_files(work)
    (work / "Seamlessfile").write_text(seamlessfile(FORMS))
    report = tmp_path / "report.json"
    _seamlessflow(work, seamless_run.cache, "run", "--dry", "--report", str(report))
    planned = {i["name"]: i["transformation"] for i in json.loads(report.read_text())["instances"]}
    for i, (fields, options, command) in enumerate(FORMS):
        printed = seamless_run("--dry", "-j", tmp_path / f"job{i}", *options, command, cwd=work)
        assert planned[f"s{i}"] == printed.stdout.strip(), (fields, command)


def test_a_result_seamless_run_computed_is_a_hit_for_exec(workspace, seamless_run, tmp_path):
    """seamless-run computes in SEAMLESS_CACHE; `seamlessflow exec` told only that
    variable answers from it, for stdout and for captured files and folders."""
    log = tmp_path / "ran.log"
    meta = ["--metavar", f"LOG={log}"]
    theirs = seamless_run(*meta, "./count.sh data.txt", cwd=workspace)
    assert _runs(log) == 1 and theirs.stdout == "12 data.txt\n"
    mine = _seamlessflow(workspace, seamless_run.cache, "exec", *meta, "--", "./count.sh data.txt")
    assert mine.stdout == "12 data.txt\n"
    assert _runs(log) == 1  # not run again

    seamless_run(*meta, "-cp", "outdir", "-cp", ":printed.txt", "./copy.sh data.txt",
                 cwd=workspace)
    assert _runs(log) == 2
    written = {p: (workspace / p).read_bytes() for p in
               ("outdir/sorted.txt", "outdir.CHECKSUM", "outdir.INDEX",
                "printed.txt", "printed.txt.CHECKSUM")}
    for path in ("outdir", "outdir.CHECKSUM", "outdir.INDEX", "printed.txt",
                 "printed.txt.CHECKSUM"):
        target = workspace / path
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    _seamlessflow(workspace, seamless_run.cache, "exec", *meta, "-cp", "outdir",
                  "-cp", ":printed.txt", "--", "./copy.sh data.txt")
    assert _runs(log) == 2
    assert {p: (workspace / p).read_bytes() for p in written} == written


def test_a_result_exec_computed_is_a_hit_for_seamless_run(workspace, seamless_run, tmp_path):
    """`seamlessflow exec` computes in SEAMLESS_CACHE; seamless-run answers from it, for
    stdout and for a captured folder and stdout file."""
    log = tmp_path / "ran.log"
    meta = ["--metavar", f"LOG={log}"]
    mine = _seamlessflow(workspace, seamless_run.cache, "exec", *meta, "--", "./count.sh data.txt")
    assert mine.stdout == "12 data.txt\n" and _runs(log) == 1
    theirs = seamless_run(*meta, "./count.sh data.txt", cwd=workspace)
    assert theirs.stdout == "12 data.txt\n"
    assert _runs(log) == 1  # not run again

    _seamlessflow(workspace, seamless_run.cache, "exec", *meta, "-cp", "outdir",
                  "-cp", ":printed.txt", "--", "./copy.sh data.txt")
    assert _runs(log) == 2
    written = {p: (workspace / p).read_bytes() for p in
               ("outdir/sorted.txt", "outdir.CHECKSUM", "outdir.INDEX",
                "printed.txt", "printed.txt.CHECKSUM")}
    shutil.rmtree(workspace / "outdir")
    (workspace / "printed.txt").unlink()
    seamless_run(*meta, "-cp", "outdir", "-cp", ":printed.txt", "./copy.sh data.txt",
                 cwd=workspace)
    assert _runs(log) == 2
    assert {p: (workspace / p).read_bytes() for p in written} == written


SHARED_STEPS = """\
step count:
    inputs: count.sh, data.txt
    metavars: LOG = "{log}"
    shell: "bash count.sh data.txt"
    stdout: count.txt

step copy:
    inputs: copy.sh, data.txt
    metavars: LOG = "{log}"
    shell: "bash copy.sh data.txt"
    captures: outdir/
    stdout: printed.txt
"""
# the seamless-run commands of the two steps
SHARED_COMMANDS = {"count": ([], "bash count.sh data.txt"),
                   "copy": (["-cp", "outdir", "-cp", ":printed.txt"], "bash copy.sh data.txt")}


def _step_folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A folder for seamless-run and a project for seamlessflow holding the same inputs
    (their own copies: what one tool writes back is not the other's input), and the log
    the commands append to."""
    from step_forms import write_files

    log = tmp_path / "ran.log"
    folders = tmp_path / "sr", tmp_path / "sf"
    for folder in folders:
        folder.mkdir()
        write_files(folder)
        (folder / "count.sh").write_text(COUNT_SH)
    (folders[1] / "Seamlessfile").write_text(SHARED_STEPS.format(log=log))
    return *folders, log


def _run(project: Path, cache: Path, tmp_path: Path) -> dict[str, str]:
    """`seamlessflow run` told only SEAMLESS_CACHE: each step's status."""
    report = tmp_path / "report.json"
    _seamlessflow(project, cache, "run", "--report", str(report))
    return {i["name"]: i["status"] for i in json.loads(report.read_text())["instances"]}


def test_a_result_seamless_run_computed_is_cached_for_a_seamlessfile_step(seamless_run,
                                                                          tmp_path):
    """seamless-run computes in SEAMLESS_CACHE; `seamlessflow run` of the equivalent
    steps, told only that variable, finds them cached (the log shows nothing ran again)
    and writes their outputs as seamless-run wrote them."""
    theirs, project, log = _step_folders(tmp_path)
    meta = ["--metavar", f"LOG={log}"]
    for options, command in SHARED_COMMANDS.values():
        seamless_run(*meta, *options, command, cwd=theirs)
    assert _runs(log) == 2
    assert _run(project, seamless_run.cache, tmp_path) == {"count": "cached", "copy": "cached"}
    assert _runs(log) == 2
    assert (project / "count.txt").read_bytes() == b"12 data.txt\n"
    for path in ("outdir/sorted.txt", "printed.txt"):
        assert (project / path).read_bytes() == (theirs / path).read_bytes(), path


def test_a_result_of_a_seamlessfile_step_is_a_hit_for_seamless_run(seamless_run, tmp_path):
    """`seamlessflow run` computes in SEAMLESS_CACHE; seamless-run of the equivalent
    commands answers from it without running them (the log shows it)."""
    theirs, project, log = _step_folders(tmp_path)
    assert _run(project, seamless_run.cache, tmp_path) == {"count": "ran", "copy": "ran"}
    assert _runs(log) == 2
    meta = ["--metavar", f"LOG={log}"]
    options, command = SHARED_COMMANDS["count"]
    assert seamless_run(*meta, *options, command, cwd=theirs).stdout == "12 data.txt\n"
    options, command = SHARED_COMMANDS["copy"]
    seamless_run(*meta, *options, command, cwd=theirs)
    assert _runs(log) == 2
    for path in ("outdir/sorted.txt", "printed.txt"):
        assert (theirs / path).read_bytes() == (project / path).read_bytes(), path


@pytest.fixture
def own_services(tmp_path) -> Iterator[dict[str, str]]:
    """seamlessflow's hashserver and database on loopback, started `--no-token` (Seamless's
    clients send none); {"buffer": URL, "database": URL}. Stopped at teardown."""
    procs: list[subprocess.Popen] = []
    urls = {}
    for kind, service in (("buffer", "hashserver"), ("database", "database")):
        proc = subprocess.Popen(
            [sys.executable, "-m", "seamlessflow", "serve", service, "--writable",
             "--no-token", "--dir", str(tmp_path / service), "--port-range", "45100-45999"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(proc)
        line = proc.stdout.readline().strip()
        assert line.startswith(f"serving {service} on "), line
        urls[kind] = line.rsplit(" ", 1)[1]
    yield urls
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def _through_services(seamless_run, own_services: dict[str, str]) -> dict[str, str]:
    """Point seamless-run at seamlessflow's services by `SEAMLESS_REMOTE_CLIENTS`, with no
    cache folder; the environment that does the same for seamlessflow."""
    clients = json.dumps({kind: [{"remote_url": url, "readonly": False}]
                          for kind, url in own_services.items()})
    seamless_run.env.pop("SEAMLESS_CACHE")
    seamless_run.env["SEAMLESS_REMOTE_CLIENTS"] = clients
    env = {**os.environ, "SEAMLESS_REMOTE_CLIENTS": clients}
    for var in ("SEAMLESS_CACHE", "SEAMLESSFLOW_CACHE", "SEAMLESSFLOW_HASHSERVER",
                "SEAMLESSFLOW_DATABASE"):
        env.pop(var, None)
    return env


def test_results_are_shared_through_seamlessflows_services(workspace, seamless_run,
                                                           own_services, tmp_path):
    """Both tools pointed by `SEAMLESS_REMOTE_CLIENTS` at seamlessflow's hashserver and
    database (no cache folder, nothing launched by seamless-run): what one computes is
    answered from the services for the other, both ways."""
    env = _through_services(seamless_run, own_services)
    log = tmp_path / "ran.log"
    meta = ["--metavar", f"LOG={log}"]

    def exec_(*args: str) -> str:
        out = subprocess.run([str(BIN / "seamlessflow"), "exec", *meta, *args], cwd=workspace,
                             env=env, timeout=120, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert seamless_run(*meta, "./count.sh data.txt", cwd=workspace).stdout == "12 data.txt\n"
    assert _runs(log) == 1
    assert exec_("--", "./count.sh data.txt") == "12 data.txt\n"
    assert _runs(log) == 1  # answered by the services

    assert exec_("--", "./count.sh other.txt") == "12 other.txt\n"
    assert _runs(log) == 2
    assert seamless_run(*meta, "./count.sh other.txt", cwd=workspace).stdout == "12 other.txt\n"
    assert _runs(log) == 2
    assert not (tmp_path / "cache").exists()  # no cache folder was used
    assert not (seamless_run.home / ".remote-http-launcher" / "server").exists()


def test_step_results_are_shared_through_seamlessflows_services(seamless_run, own_services,
                                                                tmp_path):
    """The same with `seamlessflow run` of the equivalent steps: `count` computed by
    seamless-run is cached for the run, `copy` computed by the run is a hit for
    seamless-run."""
    env = _through_services(seamless_run, own_services)
    theirs, project, log = _step_folders(tmp_path)
    meta = ["--metavar", f"LOG={log}"]
    options, command = SHARED_COMMANDS["count"]
    seamless_run(*meta, *options, command, cwd=theirs)
    assert _runs(log) == 1
    report = tmp_path / "report.json"
    out = subprocess.run([str(BIN / "seamlessflow"), "run", "--report", str(report)],
                         cwd=project, env=env, timeout=120, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    statuses = {i["name"]: i["status"] for i in json.loads(report.read_text())["instances"]}
    assert statuses == {"count": "cached", "copy": "ran"}
    assert _runs(log) == 2 and (project / "count.txt").read_text() == "12 data.txt\n"
    options, command = SHARED_COMMANDS["copy"]
    seamless_run(*meta, *options, command, cwd=theirs)
    assert _runs(log) == 2  # answered by the services
    assert (theirs / "outdir/sorted.txt").read_bytes() == \
        (project / "outdir/sorted.txt").read_bytes()
    assert not (tmp_path / "cache").exists()  # no cache folder was used


def test_exec_pointed_at_seamless_database_says_what_to_use(workspace, seamless_suite_bin,
                                                            tmp_path):
    """seamlessflow's database client speaks to seamlessflow's database service; pointed
    at the real seamless-database (on loopback) it says so, without a traceback."""
    status = tmp_path / "status.json"
    status.write_text("{}")  # seamless-database fills in a status file that exists
    proc = subprocess.Popen(
        [str(seamless_suite_bin / "seamless-database"), str(tmp_path / "seamless.db"),
         "--writable", "--host", "127.0.0.1", "--port-range", "46000", "46999",
         "--status-file", str(tmp_path / "status.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while json.loads(status.read_text() or "{}").get("status") != "running":
            assert proc.poll() is None and time.monotonic() < deadline, "no seamless-database"
            time.sleep(0.05)
        url = f"http://127.0.0.1:{json.loads(status.read_text())['port']}"
        env = {**os.environ, "SEAMLESSFLOW_DATABASE": url,
               "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}
        out = subprocess.run([str(BIN / "seamlessflow"), "exec", "--", "wc -c data.txt"],
                             cwd=workspace, env=env, timeout=120, capture_output=True, text=True)
    finally:
        proc.terminate()
        proc.wait(10)
    assert out.returncode == 1, out.stderr
    assert "ERROR: Malformed request (the answer of seamless-database" in out.stderr
    assert "use `seamlessflow serve database`" in out.stderr
    assert "Traceback" not in out.stderr
