"""Whatever stands where an output goes is kept and named before it is replaced."""

from __future__ import annotations

import json
import re
import shutil

DIR_STEP = """
step s:
    shell: "mkdir d; echo made > d/f"
    captures: d/
"""

FILE_STEP = """
step s:
    shell: "echo made > o"
    captures: o
"""


def _kept_checksum(stderr: str, path: str) -> str:
    """The checksum a warning about `path` says its replaced content is kept under."""
    found = re.search(rf"warning: {re.escape(path)} .*buffer store as ([0-9a-f]{{64}})", stderr)
    assert found, stderr
    return found.group(1)


def test_a_file_where_a_directory_capture_goes_is_kept_and_named(project):
    project.write("Seamlessfile", DIR_STEP)
    project.run()
    shutil.rmtree(project.root / "d")
    project.write("d", "PRECIOUS\n")
    report = project.run()
    assert report.statuses == {"s": "cached"}
    assert project.read("d/f") == "made\n"
    checksum = _kept_checksum(report.proc.stderr, "d")
    assert "d is a file where the output is a folder" in report.proc.stderr
    assert project.sf("resolve", checksum).stdout == "PRECIOUS\n"


def test_a_folder_where_a_file_capture_goes_is_kept_and_named(project):
    project.write("Seamlessfile", FILE_STEP)
    project.run()
    (project.root / "o").unlink()
    project.write("o/notes.txt", "PRECIOUS\n")
    report = project.run()
    assert report.statuses == {"s": "cached"}
    assert project.read("o") == "made\n"
    checksum = _kept_checksum(report.proc.stderr, "o")
    assert "o is a folder where the output is a file" in report.proc.stderr
    index = json.loads(project.sf("resolve", checksum).stdout)
    assert project.sf("resolve", index["notes.txt"]).stdout == "PRECIOUS\n"
    assert not [p.name for p in project.root.iterdir() if p.name.startswith(".seamlessflow-")]


def test_a_symlink_where_a_capture_goes_is_named_and_its_target_left_alone(project, tmp_path):
    project.write("Seamlessfile", DIR_STEP)
    project.run()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mine.txt").write_text("PRECIOUS\n")
    shutil.rmtree(project.root / "d")
    (project.root / "d").symlink_to(elsewhere)
    report = project.run()
    assert f"d was a symbolic link to {elsewhere}" in report.proc.stderr
    assert not (project.root / "d").is_symlink()
    assert project.read("d/f") == "made\n"
    assert [p.name for p in elsewhere.iterdir()] == ["mine.txt"]
    assert (elsewhere / "mine.txt").read_text() == "PRECIOUS\n"


def test_an_edited_directory_output_is_kept_with_a_way_to_rebuild_it(project, tmp_path):
    project.write("Seamlessfile", DIR_STEP)
    project.run()
    project.write("d/f", "edited\n")
    report = project.run()
    checksum = _kept_checksum(report.proc.stderr, "d")
    assert "d was changed since seamlessflow wrote it" in report.proc.stderr
    assert f"echo {checksum} > OTHER.CHECKSUM; seamlessflow download OTHER/" in report.proc.stderr
    copy = tmp_path / "copy"
    copy.mkdir()
    (tmp_path / "copy.CHECKSUM").write_text(checksum + "\n")
    project.sf("download", str(copy))
    assert (copy / "f").read_text() == "edited\n"


NESTED_STEP = """
step s:
    inputs: a.txt
    shell: "cat a.txt > o; mkdir d; cp a.txt d/"
    captures: o -> out/o.txt, d/ -> out/sub/d/
"""


def test_an_output_is_not_written_through_a_link_leading_out_of_the_project(project, tmp_path):
    project.write("Seamlessfile", NESTED_STEP)
    project.write("a.txt", "a\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project.root / "out").symlink_to(elsewhere)
    for _ in range(2):  # run, then cached: neither writes there
        report = project.run(check=False)
        assert report.proc.returncode == 1
        assert report.statuses == {"s": "failed"}
        assert f"would be written outside the project folder: out leads to {elsewhere}" \
            in report["s"]["reason"]
        assert list(elsewhere.iterdir()) == []


def test_a_link_to_a_folder_inside_the_project_is_followed(project):
    project.write("Seamlessfile", NESTED_STEP)
    project.write("a.txt", "a\n")
    (project.root / "real").mkdir()
    (project.root / "out").symlink_to("real")
    assert project.run().statuses == {"s": "ran"}
    assert project.read("real/o.txt") == "a\n"
    assert project.read("real/sub/d/a.txt") == "a\n"
