"""Captures may not take names that belong to seamlessflow: refused by `check` (and so by
`run`), at the capture's position, before anything is written."""

from __future__ import annotations

import pytest


def _refused(project, seamlessfile: str, line: int, column: int, message: str) -> None:
    project.write("Seamlessfile", seamlessfile)
    for command in ("check", "run"):
        proc = project.sf(command, check=False)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert f"Seamlessfile:{line}:{column}: error: {message}" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in project.root.iterdir()) == ["Seamlessfile"]


def test_a_capture_named_like_standard_output_is_refused(project):
    _refused(project, '''
step s:
    shell: "echo visible; echo fromfile > '<stdout>'"
    captures: "<stdout>" -> c.txt
    stdout: s.txt
''', 4, 15, "s captures a file named <stdout>, the name its result gives the command's "
               "standard output")


@pytest.mark.parametrize(("target", "message"), [
    ("Seamlessfile", "which would overwrite the workflow's own file Seamlessfile"),
    ("seamless.yaml", "which would overwrite the workflow's own file seamless.yaml"),
    ("lib/", "which would overwrite the workflow's own file lib/more.sf"),
    (".seamlessflow/outputs.json", "but .seamlessflow/ is where seamlessflow keeps its own"),
    (".seamlessflow/", "but .seamlessflow/ is where seamlessflow keeps its own"),
    ("data/in.txt.CHECKSUM", "a name ending in .CHECKSUM or .INDEX is a sidecar"),
    ("data.INDEX", "a name ending in .CHECKSUM or .INDEX is a sidecar"),
])
def test_a_capture_onto_the_tools_own_files_is_refused(project, target, message):
    project.write("lib/more.sf", "let x = 1\n")
    seamlessfile = f'''include: "lib/more.sf"

step s:
    shell: "mkdir -p o; echo x > o/f; echo x > f"
    captures: {'o/' if target.endswith('/') else 'f'} -> {target}
'''
    project.write("Seamlessfile", seamlessfile)
    proc = project.sf("check", check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"Seamlessfile:5:15: error: s captures {target}" in proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_standard_output_onto_the_seamlessfile_is_refused(project):
    _refused(project, '''
step s:
    shell: "echo x"
    stdout: Seamlessfile
''', 4, 13, "s captures Seamlessfile, which would overwrite the workflow's own file")


def test_a_swept_capture_is_refused_once(project):
    project.write("Seamlessfile", '''
step s for i in range(0, 50):
    params: i
    shell: "echo $i > f"
    captures: f -> out/{i}.txt.CHECKSUM
''')
    proc = project.sf("check", check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("error:") == 1
    assert "1 error found." in proc.stderr
