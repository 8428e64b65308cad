"""`seamlessflow report` and `run --html FILE`: the self-contained HTML page of the last
run, read back with the standard library's HTML parser."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from report_workflow import FAILING, Page


@pytest.fixture
def failed(project):
    """A project whose last run had a failure, with the failed workspace kept."""
    project.write("Seamlessfile", FAILING)
    project.write("corpus/a.txt", "hello world\nbye\n")
    assert project.sf("run", "-k", "--keep-workspace", check=False).returncode == 1
    return project


def _report(project, *argv: str) -> tuple[str, Page]:
    out = project.root.parent / "report.html"  # not in the project: that would change it
    project.sf("report", "-o", str(out), *argv)
    text = out.read_text()
    return text, Page(text)


def test_the_page_needs_nothing_from_the_network(failed):
    text, page = _report(failed)
    for tag, attrs in page.elements:
        for key in ("src", "href"):
            assert not re.match(r"\s*(https?:)?//", attrs.get(key, "")), (tag, attrs)
    assert not [a for t, a in page.elements if t == "link" or (t == "script" and "src" in a)]
    assert "<style>" in text and "<script>" in text  # inlined


def test_the_graph_has_a_box_per_instance_coloured_by_status(failed):
    _, page = _report(failed)
    nodes = {a["data-name"]: a["data-status"] for a in page.having("g", "node")}
    assert nodes == {"tokenize": "ran", "count[n=3]": "ran", "count[n=5]": "failed",
                     "summary": "skipped"}
    assert {a["data-step"] for a in page.having("g", "node")} == {"tokenize", "count", "summary"}
    edges = {(a["data-from"], a["data-to"]) for a in page.having("g", "edge")}
    assert ("count[n=5]", "summary") in edges and len(edges) == 4


def test_the_timeline_has_a_bar_per_executed_instance(failed):
    _, page = _report(failed)
    bars = {a["data-name"]: a["data-status"] for a in page.having("rect", "bar")}
    assert bars == {"tokenize": "ran", "count[n=3]": "ran", "count[n=5]": "failed"}


def test_a_failure_shows_its_stderr_position_command_and_workspace(failed):
    text, page = _report(failed)
    failure = text[text.index('<div class="failure"'):]
    failure = failure[:failure.index("</div>")]
    assert "count[n=5]" in failure and "exit 4" in failure
    assert "counting with n=5\nn is five, giving up" in failure  # the stderr tail
    assert "Seamlessfile:12:" in failure  # where its code starts
    assert "grep -c . tokens.txt &gt; counts.txt" in failure  # the command
    kept = re.search(r"Workspace kept at <code>([^<]+)</code>", failure).group(1)
    assert Path(kept).is_dir()
    rerun = re.search(r'<pre class="rerun">([^<]+)</pre>', failure).group(1)
    assert rerun.startswith(f"cd {kept} &amp;&amp; ")


def test_the_table_lists_every_instance_with_its_status(failed):
    _, page = _report(failed)
    rows = {a["data-name"]: a["data-status"] for t, a in page.elements
            if t == "tr" and "data-name" in a}
    assert rows == {"tokenize": "ran", "count[n=3]": "ran", "count[n=5]": "failed",
                    "summary": "skipped"}
    assert page.by_id["filter-status"][0] == "select"


def test_each_output_file_links_to_its_producer_and_its_inputs_to_theirs(failed):
    text, page = _report(failed)
    files = text[text.index('<section id="files">'):]
    row = re.search(r"<tr><td>counts/3\.txt</td>.*?</tr>", files).group(0)
    target = re.search(r'href="#(i\d+)"', row).group(1)
    assert page.by_id[target][1]["data-name"] == "count[n=3]"
    producer_row = re.search(rf'<tr id="{target}".*?</tr>', text, re.S).group(0)
    upstream = re.search(r'tokens\.txt from <a href="#(i\d+)"', producer_row).group(1)
    assert page.by_id[upstream][1]["data-name"] == "tokenize"


def test_run_html_writes_the_page_of_that_run(project):
    project.write("Seamlessfile", FAILING)
    project.write("corpus/a.txt", "hello\n")
    out = project.root / "dry.html"
    project.sf("run", "-n", "--html", str(out))
    page = Page(out.read_text())
    assert {a["data-status"] for a in page.having("g", "node")} == {"will-run", "pending"}
    assert not (project.root / ".seamlessflow" / "last-run.json").exists()  # dry: no trace
    project.sf("run", "-k", "--html", str(out), "count[n=3]", check=False)
    page = Page(out.read_text())
    assert {a["data-name"] for a in page.having("rect", "bar")} == {"tokenize", "count[n=3]"}
    assert {a["data-name"] for a in page.having("g", "node")} == {"tokenize", "count[n=3]"}


def test_a_project_that_never_ran_gets_the_plan(project):
    project.write("Seamlessfile", FAILING)
    project.write("corpus/a.txt", "hello\n")
    text, page = _report(project)
    assert "No run is recorded in this project yet" in text
    assert {a["data-status"] for a in page.having("g", "node")} == {""}


def test_a_rerun_that_finds_everything_cached_is_the_last_run(project):
    project.write("Seamlessfile", """
        step upper:
            inputs: in.txt
            shell: "tr a-z A-Z < in.txt > out.txt"
            captures: out.txt
        """)
    project.write("in.txt", "hello\n")
    record = project.root / ".seamlessflow" / "last-run.json"
    time.sleep(0.25)  # older inputs than the file system's timestamp granularity (as in
    project.sf("run")  # test_settled.py), so that the next run can settle
    time.sleep(0.25)
    project.sf("run")  # finds everything cached, and keeps a settled record of that
    assert list((project.cache / "plans").glob("*.settled"))
    _, page = _report(project)
    assert {a["data-status"] for a in page.having("g", "node")} == {"cached"}
    assert page.having("rect", "bar") == []
    before = record.stat().st_mtime_ns
    project.sf("run")  # told from the settled record: the last run's record still holds
    assert record.stat().st_mtime_ns == before


def test_an_edited_or_damaged_record_of_the_last_run_gives_no_traceback(failed):
    record = failed.root / ".seamlessflow" / "last-run.json"
    data = json.loads(record.read_text())
    data["instances"][0]["status"] = "<b>odd</b>"
    data["instances"][1]["started_at"] = "noon"
    record.write_text(json.dumps(data))
    text, page = _report(failed)
    assert "<b>odd</b>" not in text
    statuses = {a["data-name"]: a["data-status"] for a in page.having("g", "node")}
    assert statuses == {"tokenize": "", "count[n=3]": "", "count[n=5]": "failed",
                        "summary": "skipped"}
    record.write_text("{not json")
    text, _ = _report(failed)
    assert "No run is recorded in this project yet" in text
