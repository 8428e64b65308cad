"""The Python API, in-process: load, inspect, plan, run, read the results; errors as
exceptions carrying the CLI's messages; nothing printed unless asked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from process_watch import process_alive, wait_gone

import seamlessflow as sf


def test_load_shows_steps_and_instances(wordstats: Path):
    wf = sf.load(wordstats)
    assert wf.steps == {"tokenize": ["tokenize"],
                        "count": ["count[n=3]", "count[n=5]", "count[n=8]"],
                        "summary": ["summary"]}
    inst = wf.instances["count[n=5]"]
    assert (inst.step, inst.bindings, inst.params) == ("count", {"n": 5}, {"n": 5})


def test_config_overrides_shape_the_workflow(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SEAMLESSFLOW_CACHE", str(tmp_path / "cache"))
    (tmp_path / "Seamlessfile").write_text(
        'let ns = range(0, config.top)\n\nstep echo for n in ns:\n    params: n\n'
        '    shell: "echo $n > out.txt"\n    captures: out.txt -> out/{n}.txt\n')
    (tmp_path / "settings.yaml").write_text("top: 2\n")
    text = (tmp_path / "Seamlessfile").read_text()
    (tmp_path / "Seamlessfile").write_text("config: settings.yaml\n" + text)
    assert len(sf.load(tmp_path).instances) == 2
    wf = sf.load(tmp_path / "Seamlessfile", config={"top": 4})
    assert list(wf.steps["echo"]) == [f"echo[n={n}]" for n in range(4)]
    assert (tmp_path / "out").exists() is False
    result = wf.run()
    assert result.ok and sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "0.txt", "1.txt", "2.txt", "3.txt"]


def test_plan_then_run_then_plan(wordstats: Path, capfd):
    wf = sf.load(wordstats)
    plan = wf.plan(["count"])
    assert plan.dry_run and plan.ok
    assert {r.name: r.status for r in plan} == {
        "tokenize": "will-run", "count[n=3]": "pending", "count[n=5]": "pending",
        "count[n=8]": "pending"}
    assert plan["tokenize"].reason == "never run before"
    assert not (wordstats / "tokens.txt").exists()  # a plan writes nothing

    result = wf.run(["count"], jobs=2)
    assert result.ok and not result.dry_run
    assert result.counts["ran"] == 4 and len(result) == 4
    counted = result["count[n=3]"]
    assert counted.status == "ran"
    assert counted.outputs == {"counts/3.txt": sf.checksum(wordstats / "counts/3.txt")}
    assert "summary" not in result.instances

    again = wf.plan()
    assert {r.name: r.status for r in again} == {
        "tokenize": "cached", "count[n=3]": "cached", "count[n=5]": "cached",
        "count[n=8]": "cached", "summary": "will-run"}
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")  # nothing printed: nobody asked


def test_progress_goes_to_the_callback(wordstats: Path):
    seen = []
    result = sf.load(wordstats).run("tokenize", progress=lambda r: seen.append(
        (r.name, r.status)))
    assert result.ok
    assert seen == [("tokenize", "started"), ("tokenize", "ran")]


def test_a_failing_step_is_a_result_not_an_exit(wordstats: Path):
    sf_text = (wordstats / "Seamlessfile").read_text()
    (wordstats / "Seamlessfile").write_text(sf_text.replace(
        "captures: tokens.txt", "captures: tokens.txt\n    retries: 0").replace(
        "cat corpus/*.txt", "exit 3; cat corpus/*.txt"))
    result = sf.load(wordstats).run()
    assert not result.ok
    assert result["tokenize"].status == "failed"
    assert "exit" in result["tokenize"].error
    assert {result[f"count[n={n}]"].status for n in (3, 5, 8)} == {"skipped"}


def test_errors_carry_the_message_the_cli_prints(wordstats: Path):
    (wordstats / "Seamlessfile").write_text("step a:\n    shell: \"true\"\n    captures: \n")
    with pytest.raises(sf.WorkflowError) as caught:
        sf.load(wordstats)
    exc = caught.value
    assert isinstance(exc, sf.SeamlessflowError)
    pos = exc.diagnostics[0].pos
    assert (Path(pos.file).name, pos.line) == ("Seamlessfile", 3)
    cli = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(wordstats), "check"],
                         capture_output=True, text=True)
    assert cli.returncode == 2
    assert cli.stderr.strip() == exc.render().strip()


def test_a_bad_option_raises_a_usage_error(wordstats: Path):
    wf = sf.load(wordstats)
    with pytest.raises(sf.UsageError, match="jobs=0"):
        wf.run(jobs=0)
    with pytest.raises(sf.UsageError, match="nosuchstep"):
        wf.run("nosuchstep")


def test_a_missing_seamlessfile_is_named_in_the_callers_terms(tmp_path: Path):
    """The caller named the file by a path, not by the CLI's -f."""
    with pytest.raises(sf.UsageError) as raised:
        sf.load(tmp_path / "nowhere")
    assert f"no Seamlessfile at {tmp_path / 'nowhere'}" in str(raised.value)
    assert "-f FILE" not in str(raised.value)
    assert "pass the path of the Seamlessfile" in str(raised.value)


def test_run_inside_a_running_event_loop(wordstats: Path):
    """As in Jupyter: the synchronous run works from within a running loop, and the
    async one leaves the loop free while it runs."""
    wf = sf.load(wordstats)

    async def notebook() -> tuple:
        first = wf.run("tokenize")
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(tick())
        second = await wf.run_async(["count"])
        ticker.cancel()
        return first, second, ticks

    first, second, ticks = asyncio.run(notebook())
    assert first.ok and first["tokenize"].status == "ran"
    assert second.ok and second["tokenize"].status == "cached"
    assert second["count[n=8]"].status == "ran"
    assert ticks > 0  # the loop ran other work while the run was awaited


def test_explain_checksum_upload_download(wordstats: Path, monkeypatch):
    sf.load(wordstats).run()
    monkeypatch.chdir(wordstats)
    told = sf.explain("counts/5.txt")
    assert (told.produced_by, told.on_disk) == ("count[n=5]", "matches")
    assert told.checksum == sf.checksum("counts/5.txt")
    assert "produced by     count[n=5]" in told.text

    data = wordstats / "extra.txt"
    data.write_text("some bytes\n")
    uploaded = sf.upload([data])
    assert uploaded == {str(data): sf.checksum(data)}
    assert (wordstats / "extra.txt.CHECKSUM").read_text().strip() == uploaded[str(data)]
    data.unlink()
    assert sf.download(["extra.txt"]) == [Path("extra.txt")]
    assert data.read_text() == "some bytes\n"
    assert sf.download(["extra.txt"]) == []  # it already matches


def test_import_is_cheap_and_exports_only_the_api():
    code = ("import sys, seamlessflow as sf\n"
            "print(sorted(m for m in sys.modules if m.startswith('seamlessflow')))\n"
            "print(sorted(n for n in dir(sf)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "['seamlessflow']"
    assert out[1] == str(sorted([*sf.__all__, "__version__"]))


def test_loading_leaves_the_callers_objects_to_the_cyclic_collector(wordstats: Path):
    """The CLI freezes what planning made (its process ends with the command); a Python
    caller lives on, and a frozen object is never collected."""
    code = ("import gc, sys, seamlessflow as sf\n"
            "sf.load(sys.argv[1]).plan()\n"
            "print(gc.get_freeze_count())\n")
    out = subprocess.run([sys.executable, "-c", code, str(wordstats)], capture_output=True,
                         text=True, check=True).stdout
    assert out == "0\n"


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its parent does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_cancelling_run_async_stops_the_running_step(wordstats: Path):
    """A cancelled task (a notebook's interrupt) stops the run's steps, as Ctrl-C stops
    `seamlessflow run`: the step is killed, nothing is written or recorded for it."""
    pid_file = wordstats.parent / "pid"
    text = (wordstats / "Seamlessfile").read_text()
    (wordstats / "Seamlessfile").write_text(text.replace(
        "awk -v m=$n", f"echo $$ > {pid_file}; sleep 60; awk -v m=$n"))
    wf = sf.load(wordstats)

    async def interrupted() -> None:
        started = asyncio.Event()
        loop = asyncio.get_running_loop()

        def progress(r):
            if r.status == "started" and r.name == "count[n=3]":
                loop.call_soon_threadsafe(started.set)

        task = asyncio.create_task(wf.run_async("count[n=3]", progress=progress))
        await started.wait()
        while not pid_file.exists() or not pid_file.read_text().strip():
            await asyncio.sleep(0.05)  # the command is under way
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(interrupted(), 45))
    assert not _alive(int(pid_file.read_text()))
    assert not (wordstats / "counts").exists()
    assert wf.plan("count[n=3]")["count[n=3]"].status == "will-run"


def test_cancelling_run_async_while_a_folder_input_is_written_stops_the_step(
        tmp_path: Path, monkeypatch):
    """The cancel lands while a step's many-file folder input is being written into its
    workspace (in a thread), before its command starts: the command must not run on
    after the run has stopped, and its workspace is removed."""
    monkeypatch.setenv("SEAMLESSFLOW_CACHE", str(tmp_path / "cache"))
    scratch = tmp_path / "scratch"  # where in-process steps get their workspaces
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    for i in range(3000):
        (project / "data" / f"{i}.txt").write_text(f"{i}\n")
    marker = "987.125"  # in the command line of the step's processes, and nothing else's
    (project / "Seamlessfile").write_text(
        f'step slow:\n    inputs: data/\n    shell: "sleep {marker}; ls data > n.txt"\n'
        "    captures: n.txt -> n.txt\n")
    wf = sf.load(project)

    def being_written() -> bool:
        return any(any(os.scandir(data)) for data in scratch.glob("*seamlessflow-*/**/data"))

    async def interrupted() -> None:
        task = asyncio.create_task(wf.run_async("slow"))
        while not being_written():
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(interrupted(), 60))
    survivors = [pid for pid in _pids_running(marker) if not wait_gone(pid)]
    for pid in survivors:  # each leads its own process group: kill the whole group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
    assert survivors == []
    assert list(scratch.glob("*seamlessflow-*")) == []
    assert not (project / "n.txt").exists()


def _pids_running(text: str) -> list[int]:
    """The live processes whose command line holds `text`."""
    pids = []
    for entry in os.scandir("/proc"):
        try:
            with open(f"{entry.path}/cmdline", "rb") as f:
                found = entry.name.isdigit() and text.encode() in f.read()
        except OSError:
            continue
        if found and process_alive(int(entry.name)):
            pids.append(int(entry.name))
    return pids


INTERRUPTED_CELL = """
import asyncio, faulthandler, os, signal, sys, threading, time
from pathlib import Path
import seamlessflow as sf

faulthandler.dump_traceback_later(40, exit=True)  # a hang fails the test with every stack
# SIGINT raises KeyboardInterrupt, as in a kernel, even when this test runs in a process
# started in the background by a shell, which inherits SIGINT ignored
signal.signal(signal.SIGINT, signal.default_int_handler)

wf = sf.load(sys.argv[1])
pid_file = Path(sys.argv[2])

def interrupt_once_the_step_runs():
    while not (pid_file.exists() and pid_file.read_text().strip()):
        time.sleep(0.05)
    if sys.argv[3] == "process":
        os.kill(os.getpid(), signal.SIGINT)  # as a notebook's "interrupt the kernel"
    else:  # the same signal as Linux may deliver it: to a thread other than the main one
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)

async def cell():
    try:
        wf.run("count[n=3]")
    except KeyboardInterrupt:
        print("interrupted")

threading.Thread(target=interrupt_once_the_step_runs, daemon=True).start()
asyncio.new_event_loop().run_until_complete(cell())  # a running loop, as Jupyter's
"""


@pytest.mark.parametrize("landing", ["process", "other thread"])
def test_interrupting_a_run_inside_a_running_loop_stops_its_step(wordstats: Path, landing: str):
    pid_file = wordstats.parent / "pid"
    text = (wordstats / "Seamlessfile").read_text()
    (wordstats / "Seamlessfile").write_text(text.replace(
        "awk -v m=$n", f"echo $$ > {pid_file}; sleep 60; awk -v m=$n"))
    out = subprocess.run([sys.executable, "-c", INTERRUPTED_CELL, str(wordstats),
                          str(pid_file), landing], capture_output=True, text=True,
                         timeout=45)
    assert out.stdout == "interrupted\n", out.stderr
    assert not _alive(int(pid_file.read_text()))
    assert not (wordstats / "counts").exists()
