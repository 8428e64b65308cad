"""A folder holding many inputs is read with one listing (scheduling/listing.py): the
same answers as asking path by path, for files, sidecars, stale sidecars and gaps."""

from __future__ import annotations

from seamlessflow.scheduling.listing import LIST_FROM

N = LIST_FROM + 4  # enough inputs in data/ for the folder to be listed


def _setup(project) -> None:
    project.count_sweep(N, lambda i: "x" * (i + 1))


def test_a_listed_folder_serves_files_and_sidecars(project):
    _setup(project)
    project.sf("upload", "data/5.txt")
    (project.root / "data" / "5.txt").unlink()  # present only as its sidecar
    project.write("data/7.txt.CHECKSUM", "0" * 64 + "\n")  # stale beside the real file
    report = project.run()
    assert set(report.statuses.values()) == {"ran"}
    assert project.read("counts/5.txt") == "6\n"
    assert project.read("counts/7.txt") == "8\n"  # the local file wins
    assert "data/7.txt.CHECKSUM is stale" in report.proc.stderr


def test_a_gap_in_a_listed_folder_is_reported_with_its_position(project):
    _setup(project)
    (project.root / "data" / "9.txt").unlink()
    proc = project.sf("run", check=False)
    assert proc.returncode == 2
    assert "count[i=9]: input data/9.txt not found" in proc.stderr
    assert "Seamlessfile:2:13" in proc.stderr
    assert "count[i=8]" not in proc.stderr
