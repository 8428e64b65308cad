"""The JSON run report: its documented schema, and what a failed instance carries."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "report.schema.json").read_text())

WORKFLOW = '''
config: config.yaml

step first for i in [1, 2]:
    inputs: in.txt
    params: i, top = config.top
    shell: """
        echo "line $i of $top" >&2
        head -n $top in.txt > out.txt
        """
    captures: out.txt -> first/{i}.txt

step broken:
    inputs: first/1.txt -> in.txt
    python: """
        print("reading in.txt")
        import sys
        sys.stderr.write("the data is bad\\n")
        raise SystemExit(3)
        """
    captures: never.txt

step after:
    inputs: never.txt
    shell: "cp never.txt done.txt"
    captures: done.txt
'''


@pytest.fixture
def made(project):
    project.write("config.yaml", "top: 2\n")
    project.write("Seamlessfile", WORKFLOW)
    project.write("in.txt", "a\nb\nc\n")
    return project


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_kind_of_report_validates(made):
    reports = [made.run("-n", check=False), made.run("-k", check=False),
               made.run("-k", check=False), made.run("-n", "--config", "top=3", check=False),
               made.run("-k", "--config", "top=3", "--force", "first", check=False)]
    for report in reports:
        jsonschema.validate(report.data, SCHEMA)
    statuses = {s for report in reports for s in report.statuses.values()}
    assert statuses == {"will-run", "pending", "ran", "cached", "failed", "skipped"}


def test_a_failed_instance_carries_its_error_stderr_log_and_workspace(made):
    report = made.run("--keep-workspace", "-k", check=False)
    jsonschema.validate(report.data, SCHEMA)
    broken = report["broken"]
    assert broken["status"] == "failed" and broken["error"] == "exit 3"
    assert broken["stderr_tail"] == "reading in.txt\nthe data is bad"
    assert Path(broken["log"]).read_text().endswith("the data is bad\n")
    kept = Path(broken["workspace"])
    assert (kept / "in.txt").read_text() == "a\nb\n"
    assert f"(workspace kept: {kept})" in report.proc.stderr
    ran = report["first[i=1]"]
    assert ran["error"] is None and ran["stderr_tail"] is None and ran["workspace"] is None
    assert report["after"]["reason"] == "broken failed"


def test_executed_instances_carry_when_they_started_and_ended(made):
    first = made.run("-k", check=False)
    for name in ("first[i=1]", "first[i=2]", "broken"):
        entry = first[name]
        assert 0 < entry["started_at"] <= entry["ended_at"], name
    assert first["broken"]["started_at"] >= first["first[i=1]"]["ended_at"]  # it needs it
    assert first["after"]["started_at"] is None and first["after"]["ended_at"] is None
    again = made.run("-k", check=False)
    assert again["first[i=1]"]["status"] == "cached"
    assert again["first[i=1]"]["started_at"] is None
