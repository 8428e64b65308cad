"""Every bundled example runs end to end, and a second run is fully cached."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from report_workflow import Page

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples" / "workflows").iterdir() if p.is_dir())


def _runs_then_is_cached(project) -> None:
    first = project.run()
    assert first.data["ok"] is True
    assert first.data["counts"]["ran"] > 0
    for entry in first.data["instances"]:
        for path in entry["captures"]:
            assert (project.root / path).exists(), path
    second = project.run()
    assert set(second.statuses.values()) == {"cached"}


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_workflow_runs_then_is_cached(example, project):
    shutil.copytree(example, project.root, dirs_exist_ok=True)
    _runs_then_is_cached(project)


def test_the_tour_seamlessfile_example_runs(project):
    shutil.copy(REPO / "Seamlessfile.example", project.root / "Seamlessfile")
    shutil.copytree(REPO / "examples" / "tour", project.root / "examples" / "tour")
    _runs_then_is_cached(project)


def test_wordstats_produces_the_documented_outputs(project):
    shutil.copytree(REPO / "examples" / "workflows" / "wordstats", project.root,
                    dirs_exist_ok=True)
    project.run()
    for rel in ("tokens.txt", "counts/3.txt", "counts/5.txt", "counts/8.txt", "summary.md"):
        assert (project.root / rel).is_file(), rel
    summary = project.read("summary.md")
    assert "## counts/3.txt" in summary
    long_words = project.read("counts/8.txt").split("\n")
    assert all(len(line.split()[-1]) >= 8 for line in long_words if line.strip())


def test_samplesweep_shows_the_traps_a_snakemake_user_meets(project):
    """The sample sweep example as a user lives with it: captures into folders nobody made,
    a print() kept in the log, a glob over a captured folder read again after its step, a
    dry run naming the changed param, and `{k}` in the command refused where it stands."""
    shutil.copytree(REPO / "examples" / "workflows" / "samplesweep", project.root,
                    dirs_exist_ok=True)
    report = project.run()
    letters = sorted(p.stem for p in (project.root / "letters").iterdir())
    assert letters == ["A", "C", "G", "T"]
    assert "reading the Seamlessfile again" in report.proc.stderr
    assert {"report", "letters", "clean[s=S1]", "kmers[s=S4,k=3]"} <= set(report.statuses)
    assert report["report"]["status"] == "ran"
    assert all(f"- letters/{x}.txt: " in project.read("report.md") for x in letters)
    assert project.read("clean/S1.txt").strip()
    logs = "".join(p.read_text() for p in (project.root / ".seamlessflow" / "logs").iterdir())
    assert "S1: kept " in logs

    seamlessfile = project.read("Seamlessfile")
    project.write("Seamlessfile", seamlessfile.replace("min_len = 8", "min_len = 10"))
    dry = project.sf("run", "-n")
    assert "will-run clean[s=S2]  (param min_len: 8 → 10)" in dry.stdout + dry.stderr

    project.write("Seamlessfile", seamlessfile.replace("awk -v k=$k", "awk -v k={k}"))
    refused = project.sf("check", check=False)
    assert refused.returncode == 2
    assert "Seamlessfile:28:" in refused.stderr and "hint: write $k" in refused.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_report_shows_the_graph_timeline_table_and_files(example, project):
    shutil.copytree(example, project.root, dirs_exist_ok=True)
    record = project.run().data
    out = project.root.parent / "report.html"
    project.sf("report", "-o", str(out))
    page = Page(out.read_text())
    names = {e["name"] for e in record["instances"]}
    executed = {e["name"] for e in record["instances"] if e["status"] == "ran"}
    assert {a["data-name"] for a in page.having("g", "node")} == names
    assert {a["data-name"] for a in page.having("rect", "bar")} == executed
    assert {a["data-name"] for t, a in page.elements if t == "tr" and "data-name" in a} == names
    made = sum(len(e["captures"]) for e in record["instances"])
    assert len(page.having("a", "producer")) == made > 0
