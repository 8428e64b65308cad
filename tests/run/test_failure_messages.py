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


QC_SWEEP = '''
let samples = [S1, S2, S3, S4, S5, S6]

step qc for s in samples:
    inputs: in.txt
    params: s
    shell: """
        echo "checking $s" >&2
        if [ "$s" = S2 ]; then cp in.txt counts.tsv; else cp in.txt count.tsv; fi
        """
    captures: count.tsv -> qc/{s}.tsv

step gate for s in samples:
    inputs: qc/{s}.tsv -> q.tsv
    shell: "cp q.tsv ok.tsv"
    captures: ok.tsv -> gate/{s}.tsv
'''


def test_a_missing_capture_names_its_line_the_workspace_and_stderr(project):
    project.write("Seamlessfile", QC_SWEEP)
    project.write("in.txt", "x\n")
    proc = project.sf("run", "-j", "1", "-k", check=False)
    assert proc.returncode == 1
    assert ("FAILED  qc[s=S2]  capture 'count.tsv' was not produced (no such file in the "
            "workspace); the workspace held: counts.tsv, in.txt "
            "(declared at Seamlessfile:11:15)") in proc.stdout
    assert "--- qc[s=S2] failed" in proc.stderr
    assert "checking S2" in proc.stderr  # the stderr tail


def test_skipped_lines_say_truly_why_and_a_step_gets_one_line(project):
    project.write("Seamlessfile", QC_SWEEP)
    project.write("in.txt", "x\n")
    proc = project.sf("run", "-j", "1", check=False)  # stops at the first failure
    lines = proc.stdout.splitlines()
    assert "ran     qc[s=S1]" in lines[0]
    assert lines[2:4] == [
        "skipped qc  4 instances (4: not started: the run stopped when qc[s=S2] failed)",
        "skipped gate  6 instances (5: not started: the run stopped when qc[s=S2] failed; "
        "1: qc[s=S2] failed)",
    ]
    report = project.run("-j", "1", check=False)
    assert report["gate[s=S2]"]["reason"] == "qc[s=S2] failed"
    assert report["gate[s=S1]"]["reason"] == \
        "not started: the run stopped when qc[s=S2] failed"
    assert report["qc[s=S3]"]["reason"] == \
        "not started: the run stopped when qc[s=S2] failed"


def test_a_python_traceback_points_at_the_seamlessfile_line(project):
    project.write("Seamlessfile", '''
step clean:
    inputs: in.txt
    python: """
        total = 0

        print("about to fail")
        total = undefined_name + 1
        """
    captures: out.txt
''')
    project.write("in.txt", "x\n")
    proc = project.sf("run", check=False)
    assert ('  File "Seamlessfile", line 8, in <module>\n'
            '    total = undefined_name + 1\n') in proc.stderr
    assert "command.py" not in proc.stderr and "/tmp/" not in proc.stderr.split("(full log")[0]
    log = (project.root / ".seamlessflow" / "logs" / "clean.log").read_text()
    assert 'File "Seamlessfile", line 8' in log


def test_a_bash_error_points_at_the_seamlessfile_line_of_an_included_file(project):
    project.write("Seamlessfile", "include: rules/sweep.seamless\n")
    project.write("rules/sweep.seamless", '''
step sweep:
    inputs: in.txt
    shell: """
        echo one
        awkk '{print $1}' in.txt > out.txt
        """
    captures: out.txt
''')
    project.write("in.txt", "x\n")
    proc = project.sf("run", check=False)
    assert "rules/sweep.seamless: line 6: awkk: command not found" in proc.stderr
    assert "command.sh" not in proc.stderr


def test_a_one_line_shell_command_points_at_its_line(project):
    project.write("Seamlessfile", '''
step one:
    inputs: in.txt
    shell: "cat in.txt > x.txt; exit_now_please"
    captures: x.txt
''')
    project.write("in.txt", "x\n")
    proc = project.sf("run", check=False)
    assert "Seamlessfile: line 4: exit_now_please: command not found" in proc.stderr
