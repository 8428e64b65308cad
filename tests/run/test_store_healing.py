"""A damaged buffer of a project input heals from the project's own file: the step runs."""

from __future__ import annotations

import pytest

FILE_STEP = """
step s:
    inputs: a.txt
    shell: "cat a.txt a.txt > o"
    captures: o
"""

DIR_STEP = """
step s:
    inputs: data/
    shell: "cat data/x.txt data/y.txt > o"
    captures: o
"""


def _damage(project, path: str) -> None:
    """Overwrite the stored buffer of the project file at `path` with other bytes."""
    checksum = project.sf("checksum", path).stdout.split()[0]
    (buffer,) = project.cache.rglob(checksum)
    buffer.chmod(0o644)
    buffer.write_text("damaged\n")


@pytest.mark.parametrize("execution", ["process", "spawn"])
def test_a_corrupt_input_buffer_is_put_back_from_the_project_file(project, execution):
    project.write("Seamlessfile", f"execution: {execution}\n" + FILE_STEP)
    project.write("a.txt", "hello\n")
    project.run()
    _damage(project, "a.txt")
    project.write("Seamlessfile", f"execution: {execution}\n" + FILE_STEP.replace("a.txt a.txt",
                                                                                "a.txt"))
    report = project.run()
    assert report.statuses == {"s": "ran"}
    assert project.read("o") == "hello\n"
    assert "is corrupt" in report.proc.stderr  # the damage is still reported


def test_a_corrupt_file_buffer_of_a_directory_input_is_put_back(project):
    project.write("Seamlessfile", DIR_STEP)
    project.write("data/x.txt", "x\n")
    project.write("data/y.txt", "y\n")
    project.run()
    _damage(project, "data/y.txt")
    project.write("Seamlessfile", DIR_STEP.replace("data/y.txt >", "data/y.txt data/x.txt >"))
    report = project.run()
    assert report.statuses == {"s": "ran"}
    assert project.read("o") == "x\ny\nx\n"


def test_a_failing_command_is_not_run_again_for_nothing(project):
    project.write("Seamlessfile", FILE_STEP.replace("cat a.txt a.txt > o",
                                                    "exit 3"))
    project.write("a.txt", "hello\n")
    report = project.run(check=False)
    assert report.statuses == {"s": "failed"}
    assert report["s"]["attempts"] == 1
