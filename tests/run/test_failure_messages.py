"""What a failing step tells its user, through the CLI: enough to fix it without digging."""

from __future__ import annotations


def test_the_folders_of_captures_are_made_before_the_command(project):
    project.write("Seamlessfile", '''
step copy:
    inputs: in.txt
    shell: "cp in.txt sub/deeper/out.txt"
    captures: sub/deeper/out.txt -> out.txt
''')
    project.write("in.txt", "hello\n")
    report = project.run()
    assert report.statuses == {"copy": "ran"}
    assert project.read("out.txt") == "hello\n"


def test_uncaptured_stdout_is_shown_with_a_failure_and_kept_in_the_log(project):
    project.write("Seamlessfile", '''
step clean:
    inputs: in.txt
    python: """
        print("read 3 records from in.txt")
        raise SystemExit("no valid record")
        """
    captures: out.txt
''')
    project.write("in.txt", "x\n")
    proc = project.sf("run", check=False)
    assert proc.returncode == 1
    details = proc.stderr
    assert "read 3 records from in.txt\nno valid record" in details
    log = (project.root / ".seamlessflow" / "logs" / "clean.log").read_text()
    assert "read 3 records from in.txt" in log


def test_a_shell_steps_echo_reaches_the_log(project):
    project.write("Seamlessfile", '''
step count:
    inputs: in.txt
    shell: """
        echo "counting in.txt"
        wc -l < in.txt > n.txt
        exit 4
        """
    captures: n.txt
''')
    project.write("in.txt", "x\n")
    proc = project.sf("run", check=False)
    assert "counting in.txt" in proc.stderr
