"""A failing shell step's bash error names the Seamlessfile line of the failing command,
whatever lines the transformation's code text puts before it (an `export` per metavar,
`mkdir -p RESULT/...`, the subshell that keeps stdout) and wherever the step stands in
its file: in what `run` prints, in the JSON report, and when the kept workspace's
command is rerun by hand (through the real CLI)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FAILING = "no_such_command_here"

LAYOUTS = {
    "one line at line 2, a capture": '''\
step one:
    shell: "echo hi > x.txt; no_such_command_here"
    captures: x.txt
''',
    "one line at line 2, stdout mode": '''\
step one:
    shell: "echo hi; no_such_command_here"
    stdout: o.txt
''',
    "one line at line 2, metavars, stdout mode": '''\
step one:
    shell: "echo $threads; no_such_command_here"
    metavars: threads = 4, batch = 2
    stdout: o.txt
''',
    "one line at line 2, metavars, a capture and stdout": '''\
step one:
    shell: "echo hi > x.txt; no_such_command_here"
    metavars: threads = 4, batch = 2, zone = 3
    captures: x.txt
    stdout: o.txt
''',
    "several lines from line 3, metavars, captures and stdout": '''\
step one:
    shell: """
        echo hi > x.txt
        mkdir -p d; echo in > d/f

        no_such_command_here
        """
    metavars: threads = 4, batch = 2
    captures: x.txt, d/
    stdout: o.txt
''',
    "deeper in the file, after another step, metavars and stdout mode": '''\
# a comment
step first:
    shell: "echo first"
    stdout: first.txt

step one:
    metavars: threads = 4
    shell: """
        echo "$threads"
        no_such_command_here
        """
    stdout: o.txt
''',
}


def _failing_line(text: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if FAILING in line)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_bash_error_names_the_line_of_the_failing_command(project, layout):
    text = LAYOUTS[layout]
    project.write("Seamlessfile", text)
    told = f"Seamlessfile: line {_failing_line(text)}: {FAILING}: command not found"
    report = project.run("--keep-workspace", "-k", check=False)
    assert report.proc.returncode == 1
    failed = report["one"]
    assert failed["status"] == "failed" and failed["error"] == "exit 127"
    assert told in report.proc.stderr, report.proc.stderr
    assert told in failed["stderr_tail"]
    # the kept script keeps the lines: rerun by hand, it names the same line
    rerun = subprocess.run(["bash", "-c", failed["rerun"]], capture_output=True, text=True)
    assert rerun.returncode == 127
    assert f": line {_failing_line(text)}: {FAILING}: command not found" in rerun.stderr
    shutil.rmtree(Path(failed["workspace"]).parent)


def test_a_step_at_the_top_with_metavars_still_captures_and_moves(project):
    """The wrapper lines run on the header's line: the command still gets its metavars,
    its captures are moved, and a capture it did not make is still told as missing."""
    project.write("Seamlessfile", '''\
step one:
    shell: "echo $threads $batch > x.txt; echo out"
    metavars: threads = 4, batch = 2
    captures: x.txt
    stdout: o.txt
''')
    assert project.run().statuses == {"one": "ran"}
    assert project.read("x.txt") == "4 2\n" and project.read("o.txt") == "out\n"
    project.write("Seamlessfile", '''\
step two:
    shell: "echo $threads > y.txt"
    metavars: threads = 4, batch = 2
    captures: z.txt
    stdout: o2.txt
''')
    report = project.run(check=False)
    assert report["two"]["error"].startswith("capture 'z.txt' was not produced")
