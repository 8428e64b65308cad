"""`run` refuses a shell step whose names its bash transformation uses itself before it
runs anything, at the name's position in the Seamlessfile, as `check` does (through the
real CLI)."""

from __future__ import annotations


def test_run_refuses_a_param_named_code_at_its_position_and_runs_nothing(project):
    project.write("Seamlessfile", '''
step first:
    shell: "echo first > f.txt"
    captures: f.txt
step clash:
    params: code = 4
    shell: "echo $code > x.txt"
    captures: x.txt
''')
    proc = project.sf("run", check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        f"{project.root}/Seamlessfile:6:13: error: param 'code' takes a name the bash "
        "transformation uses itself"), proc.stderr
    assert "  hint: rename the param\n" in proc.stderr
    assert "Traceback" not in proc.stderr and "identity" not in proc.stderr
    assert not (project.root / "f.txt").exists()  # not even the step without a clash ran
    assert project.sf("check", check=False).stderr == proc.stderr


def test_a_capture_named_STDOUT_is_refused_rather_than_given_standard_output(project):
    """The code text sends the command's standard output to STDOUT: the file the
    command wrote there would have been replaced by what it printed."""
    project.write("Seamlessfile", '''
step one:
    shell: "echo written > STDOUT; echo printed"
    captures: STDOUT -> out.txt
''')
    proc = project.sf("run", check=False)
    assert proc.returncode == 2
    assert f"{project.root}/Seamlessfile:4:15: error: capture 'STDOUT' takes the name" \
        in proc.stderr
    assert not (project.root / "out.txt").exists()


def test_a_capture_bash_would_split_is_refused_and_any_project_path_is_taken(project):
    """The code text's `mv` line names a capture without quotes, as seamless-run writes
    it: `my out.txt` was moved as two names and the step failed on a capture it had
    made. Only the workspace path is bound by this; the project path may be any."""
    project.write("Seamlessfile", '''
step one:
    shell: "echo hi > 'my out.txt'"
    captures: "my out.txt" -> out.txt
''')
    proc = project.sf("run", check=False)
    assert proc.returncode == 2
    assert (f"{project.root}/Seamlessfile:4:15: error: capture 'my out.txt' cannot be moved "
            "into RESULT") in proc.stderr, proc.stderr
    assert "mv: cannot stat" not in proc.stderr
    project.write("Seamlessfile", '''
step one:
    shell: "echo hi > my_out.txt"
    captures: my_out.txt -> "my out.txt"
''')
    project.sf("run")
    assert project.read("my out.txt") == "hi\n"


def test_a_metavar_named_like_a_param_still_wins_over_it(project):
    """Not a clash: the command sees the metavar, as docs/language.md says."""
    project.write("Seamlessfile", '''
step one:
    params: n = 1
    metavars: n = 2
    shell: "echo $n > x.txt"
    captures: x.txt
''')
    project.sf("run")
    assert project.read("x.txt") == "2\n"
