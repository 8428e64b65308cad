"""A dry run, a run's report and `explain` say what changed since an instance last ran."""

from __future__ import annotations

import shutil
from pathlib import Path

PIPELINE = '''
config: config.yaml

step top:
    inputs: data.txt
    params: n = config.top
    shell: "head -n $n data.txt > top.txt"
    captures: top.txt

step shout:
    inputs: top.txt -> in.txt
    python: """
        text = open("in.txt").read()
        open("loud.txt", "w").write(text.upper())
        """
    captures: loud.txt
'''


def make(project) -> None:
    project.write("config.yaml", "top: 5\n")
    project.write("Seamlessfile", PIPELINE)
    project.write("data.txt", "".join(f"line {i}\n" for i in range(10)))


def test_a_first_dry_run_says_never_run_before(project):
    make(project)
    report = project.run("-n")
    assert "will-run top  (never run before)" in report.proc.stdout
    assert report["top"]["changes"] == [{"kind": "new"}]


def test_a_param_change_is_named_with_its_values(project):
    make(project)
    project.run()
    report = project.run("-n", "--config", "top=9")
    assert "will-run top  (param n: 5 → 9)" in report.proc.stdout
    assert report["top"]["reason"] == "param n: 5 → 9"
    assert report["top"]["changes"] == [
        {"kind": "param", "name": "n", "before": 5, "now": 9, "change": "changed"}]
    ran = project.run("--config", "top=9")  # the real run gives the same reason
    assert ran["top"]["reason"] == "param n: 5 → 9"
    assert ran["shout"]["changes"][0]["kind"] == "input"


def test_an_input_change_names_the_project_path_and_its_producer(project):
    make(project)
    project.run()
    project.write("data.txt", "other\n")
    report = project.run("-n")
    assert "will-run top  (input data.txt: content changed)" in report.proc.stdout
    project.run()
    project.write("config.yaml", "top: 1\n")
    project.write("data.txt", "OTHER\n")
    ran = project.run()
    assert ran["shout"]["reason"] == "input top.txt (from top): content changed"


def test_a_code_change_shows_a_short_diff(project):
    make(project)
    project.run()
    project.write("Seamlessfile", PIPELINE.replace("text.upper()", "text.lower()"))
    report = project.run("-n")
    lines = report.proc.stdout.splitlines()
    at = lines.index("will-run shout  (code changed)")
    assert lines[at + 1:at + 3] == [
        '    -open("loud.txt", "w").write(text.upper())',
        '    +open("loud.txt", "w").write(text.lower())']
    assert report["shout"]["changes"][0]["kind"] == "code"
    assert "+open" in report["shout"]["changes"][0]["diff"]


def test_captures_and_force_are_reasons(project):
    make(project)
    project.run()
    report = project.run("-n", "--force", "top")
    assert report["top"]["reason"] == "forced with --force"
    project.write("Seamlessfile", PIPELINE.replace("captures: loud.txt",
                                                  "captures: loud.txt, in.txt"))
    again = project.run("-n")
    assert again["shout"]["reason"] == "captures: loud.txt → in.txt, loud.txt"


def test_going_back_to_a_cached_result_is_remembered(project):
    make(project)
    project.run()
    project.run("--config", "top=9")
    project.run()  # top=5 again: cached, and now the last run of `top`
    report = project.run("-n", "--config", "top=7")
    assert report["top"]["reason"] == "param n: 5 → 7"


def test_explain_says_why_a_file_was_last_produced(project):
    make(project)
    project.run()
    project.run("--config", "top=9")
    out = project.sf("explain", "top.txt").stdout
    assert "  why it ran      param n: 5 → 9" in out


def test_a_pending_instance_names_its_own_changes(project):
    make(project)
    project.run()
    project.write("Seamlessfile", PIPELINE.replace("text.upper()", "text.title()"))
    report = project.run("-n", "--config", "top=9")
    assert report["top"]["reason"] == "param n: 5 → 9"
    assert report["shout"]["status"] == "pending"
    assert report["shout"]["reason"].endswith("; code changed")
    assert [c["kind"] for c in report["shout"]["changes"]] == ["code"]


def test_the_readme_tour_shows_a_real_reason(project):
    """README's tour edits a param of the wordstats example and shows the dry run's line."""
    repo = Path(__file__).resolve().parents[2]
    readme = (repo / "README.md").read_text()
    shown = next(line for line in readme.splitlines() if line.startswith("will-run "))
    shutil.copytree(repo / "examples" / "workflows" / "wordstats", project.root,
                    dirs_exist_ok=True)
    project.run()
    text = project.read("Seamlessfile")
    assert "lowercase = true" in text
    project.write("Seamlessfile", text.replace("lowercase = true", "lowercase = false"))
    assert project.sf("run", "-n").stdout.splitlines()[0] == shown


def test_a_rerun_after_a_failure_says_the_last_run_failed_and_what_changed_since(project):
    project.write("Seamlessfile", """
        step gate:
            params: limit = 1
            shell: "test $limit -gt 1 && echo ok > o"
            captures: o
        """)
    failed = project.run(check=False)
    assert failed.statuses == {"gate": "failed"}
    dry = project.sf("run", "-n")
    assert "will-run gate  (its last run failed)" in dry.stdout
    project.write("Seamlessfile", project.read("Seamlessfile").replace("limit = 1", "limit = 2"))
    report = project.run()
    assert report["gate"]["reason"] == "its last run failed; param limit: 1 → 2"
    assert report["gate"]["changes"][0] == {"kind": "failed"}
    assert "(never run before)" not in project.sf("run", "-n", "--force", "gate").stdout
