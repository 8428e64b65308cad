"""`run --keep-workspace`: a failure says where its workspace was kept and how to run its
command there again by hand, and that line does rerun it (through the real CLI)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from pseudo_terminal import Terminal

WORKFLOW = """\
step gate for s in [S1, S6]:
    inputs: data.txt -> in.txt
    params: s
    shell: \"\"\"
        echo "$s $SEAMLESSFLOW_CORES $(cat in.txt)" > seen.txt
        test $s = S1
        \"\"\"
    captures: seen.txt -> seen/{s}.txt
step tally for n in [2]:
    params: n
    cores: 2
    python: \"\"\"
        print("n is", n)
        raise SystemExit(n)
        \"\"\"
    stdout: tally.txt
"""


def _told(stderr: str, name: str) -> tuple[str, str]:
    """The kept workspace and the rerun line the failure details of `name` give."""
    details = stderr.split(f"--- {name} failed: ")[1].split("\n---")[0]
    kept = re.search(r"^\(workspace kept: (.*)\)$", details, re.M)
    line = re.search(r"^\(to rerun it there by hand: (.*)\)$", details, re.M)
    assert kept and line, stderr
    return kept[1], line[1]


def test_a_kept_workspace_is_named_with_the_line_that_reruns_its_command(project, monkeypatch):
    # the line lists what the command got beyond seamlessflow's own environment, which
    # may hold OMP_NUM_THREADS already where the tests run
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    project.write("Seamlessfile", WORKFLOW)
    project.write("data.txt", "data\n")
    report = project.run("--keep-workspace", "-k", "-j", "2", check=False)
    assert report.proc.returncode == 1
    assert report.statuses == {"gate[s=S1]": "ran", "gate[s=S6]": "failed",
                               "tally[n=2]": "failed"}
    assert report["gate[s=S1]"]["workspace"] is None and report["gate[s=S1]"]["rerun"] is None

    kept, line = _told(report.proc.stderr, "gate[s=S6]")
    assert (kept, line) == (report["gate[s=S6]"]["workspace"], report["gate[s=S6]"]["rerun"])
    assert line == (f"cd {kept} && env SEAMLESSFLOW_CORES=1 OMP_NUM_THREADS=1 s=S6 "
                    "bash ../command.sh")
    workspace = Path(kept)
    assert (workspace / "seen.txt").read_text() == "S6 1 data\n"
    (workspace / "seen.txt").unlink()
    rerun = subprocess.run(["bash", "-c", line], capture_output=True, text=True)
    assert rerun.returncode == 1  # as in the run: `test S6 = S1`
    assert (workspace / "seen.txt").read_text() == "S6 1 data\n"

    kept, line = _told(report.proc.stderr, "tally[n=2]")
    assert line.startswith(f"cd {kept} && env SEAMLESSFLOW_CORES=2 OMP_NUM_THREADS=2 ")
    assert line.endswith(" ../bootstrap.py ../command.py ../globals.json Seamlessfile 13 "
                         "> ../stdout")
    stdout = Path(kept).parent / "stdout"
    assert stdout.read_text() == "n is 2\n"
    stdout.unlink()
    rerun = subprocess.run(["bash", "-c", line], capture_output=True, text=True)
    assert rerun.returncode == 2, rerun.stderr  # the param reached the code again
    assert stdout.read_text() == "n is 2\n"
    for name in ("gate[s=S6]", "tally[n=2]"):
        shutil.rmtree(Path(report[name]["workspace"]).parent)


def test_a_terminal_shows_the_kept_workspace_and_the_rerun_line(project):
    project.write("Seamlessfile", WORKFLOW)
    project.write("data.txt", "data\n")
    term = Terminal(project.root, project.cache, "run", "--keep-workspace", "gate",
                    columns=400)
    assert term.finish() == 1
    shown = term.screen.text()
    kept, line = _told(shown, "gate[s=S6]")
    assert line.startswith(f"cd {kept} && env ") and Path(kept, "in.txt").is_file(), shown
    shutil.rmtree(Path(kept).parent)
