"""`seamlessflow check` and `seamlessflow dag` end to end, on real Seamlessfiles."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seamlessflow.cli.main import main

WORDSTATS = '''\
let lengths = [3, 5]

step tokenize:
    inputs: corpus/
    shell: "cat corpus/*.txt > tokens.txt"
    captures: tokens.txt

step count for n in lengths:
    inputs: tokens.txt
    params: n
    shell: "grep -c . tokens.txt > counts.txt"
    captures: counts.txt -> counts/{n}.txt

step summary:
    inputs: counts/{n}.txt for n in lengths
    shell: "cat counts/*.txt > summary.md"
    captures: summary.md
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder as the current directory; write(text) puts the Seamlessfile in it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEAMLESSFLOW_CACHE", str(tmp_path / ".cache"))
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("hello world\n")

    def write(text: str, name: str = "Seamlessfile") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


def _check(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _dag(capsys, *argv: str) -> str:
    assert main(["dag", *argv]) == 0
    return capsys.readouterr().out


# ------------------------------------------------------------------ check: success


def test_check_ok_counts_steps_and_instances(project, capsys):
    project(WORDSTATS)
    assert _check(capsys) == (0, "ok: 3 steps, 4 instances\n", "")


def test_check_quiet_prints_nothing(project, capsys):
    project(WORDSTATS)
    assert _check(capsys, "-q") == (0, "", "")


def test_check_accepts_a_sidecar_instead_of_the_input(project, capsys, tmp_path):
    project(WORDSTATS)
    (tmp_path / "corpus" / "a.txt").unlink()
    (tmp_path / "corpus").rmdir()
    (tmp_path / "corpus.CHECKSUM").write_text("ab" * 32 + "\n")
    assert _check(capsys)[0] == 0


def test_check_with_config_override(project, capsys, tmp_path):
    (tmp_path / "config.yaml").write_text("sizes: [1, 2, 3]\n")
    project('''\
        config: config.yaml
        let sizes = config.sizes
        step make for s in sizes:
            params: s
            shell: "echo $s > out.txt"
            captures: out.txt -> out/{s}.txt
        ''')
    assert _check(capsys)[1] == "ok: 1 step, 3 instances\n"
    assert _check(capsys, "--config", "sizes=[7]")[1] == "ok: 1 step, 1 instance\n"


def test_check_without_a_seamlessfile(project, capsys, tmp_path):
    code, _, err = _check(capsys)
    assert code == 2
    assert str(tmp_path / "Seamlessfile") in err and "-f" in err


# ------------------------------------------------------------------ check: broken workflows


def _errors(err: str) -> list[str]:
    """The `FILE:LINE:COL: error: MESSAGE` lines of the output."""
    return [line for line in err.splitlines() if re.match(r"^\S+:\d+:\d+: error: ", line)]


def _broken(project, capsys, text: str) -> list[str]:
    path = project(text)
    code, out, err = _check(capsys)
    assert code == 2 and out == ""
    return [line.replace(str(path), "SF") for line in _errors(err)]


def test_two_steps_capturing_one_path(project, capsys):
    errors = _broken(project, capsys, '''\
        step first:
            shell: "echo a > out.txt"
            captures: out.txt

        step second:
            shell: "echo b > tmp"
            captures: tmp -> out.txt
        ''')
    assert len(errors) == 1
    assert errors[0].startswith("SF:7:15: error: second captures out.txt, which first")


def test_capture_inside_a_captured_directory(project, capsys):
    errors = _broken(project, capsys, '''\
        step build:
            shell: "mkdir -p out && echo a > out/a.txt"
            captures: out/

        step extra:
            shell: "echo b > b.txt"
            captures: b.txt -> out/b.txt
        ''')
    assert len(errors) == 1
    assert errors[0].startswith("SF:7:15: error: extra captures out/b.txt and build captures out/")


def test_input_directory_with_produced_files_inside(project, capsys):
    errors = _broken(project, capsys, WORDSTATS.replace(
        "inputs: counts/{n}.txt for n in lengths", "inputs: counts/"))
    assert len(errors) == 1
    assert errors[0].startswith("SF:15:13: error: input counts/ holds files that steps produce")
    assert "count[n=3] captures counts/3.txt" in errors[0]
    assert "count[n=5] captures counts/5.txt" in errors[0]


def test_step_reading_its_own_capture(project, capsys):
    errors = _broken(project, capsys, '''\
        step grow:
            inputs: state.txt
            shell: "echo x >> state.txt"
            captures: state.txt
        ''')
    assert errors == ["SF:2:13: error: grow reads state.txt, which it captures itself"]


def test_three_cycle_with_all_members_in_order(project, capsys):
    errors = _broken(project, capsys, '''\
        step tokenize:
            inputs: summary.md
            shell: "cp summary.md tokens.txt"
            captures: tokens.txt

        step count for n in [3]:
            inputs: tokens.txt
            shell: "cp tokens.txt counts.txt"
            captures: counts.txt -> counts/{n}.txt

        step summary:
            inputs: counts/3.txt
            shell: "cp counts/3.txt summary.md"
            captures: summary.md
        ''')
    assert errors == ["SF:1:1: error: cycle: tokenize -> count[n=3] -> summary -> tokenize"]


def test_missing_input_with_suggestion(project, capsys):
    path = project(WORDSTATS.replace("inputs: tokens.txt", "inputs: tokens.tx"))
    code, _, err = _check(capsys)
    assert code == 2
    errors = [line.replace(str(path), "SF") for line in _errors(err)]
    # one for the input line, naming how many instances of the swept step miss it
    assert errors == [
        "SF:9:13: error: 2 instances miss this input, e.g. count[n=3]: input tokens.tx not "
        "found: no step captures it, and neither it nor tokens.tx.CHECKSUM is in the project "
        "folder",
    ]
    assert "did you mean 'tokens.txt'?" in err
    assert "    inputs: tokens.tx\n" in err  # the source line is shown


def test_missing_input_directory(project, capsys, tmp_path):
    project(WORDSTATS.replace("inputs: corpus/", "inputs: corpsu/"))
    code, _, err = _check(capsys)
    assert code == 2
    assert "tokenize: input corpsu/ not found" in err
    assert "did you mean 'corpus/'?" in err


def test_several_link_errors_are_reported_together(project, capsys):
    errors = _broken(project, capsys, '''\
        step first:
            shell: "echo a > out.txt"
            captures: out.txt

        step second:
            inputs: log.txt
            shell: "echo b > out.txt"
            captures: out.txt, log.txt
        ''')
    assert [e.split(": error:")[0] for e in errors] == ["SF:6:13", "SF:8:15"]


# ------------------------------------------------------------------ dag


def test_dag_dot(project, capsys):
    project(WORDSTATS)
    text = _dag(capsys)
    assert text.startswith("digraph seamlessflow {")
    for edge in ('"tokenize" -> "count[n=3]"', '"tokenize" -> "count[n=5]"',
                 '"count[n=3]" -> "summary"', '"count[n=5]" -> "summary"'):
        assert f"    {edge};" in text
    assert text.count("->") == 4


def test_dag_mermaid(project, capsys):
    project(WORDSTATS)
    text = _dag(capsys, "--format", "mermaid")
    labels = dict(re.findall(r'^\s+(n\d+)\["(.*)"\]$', text, re.M))
    edges = {(labels[a], labels[b])
             for a, b in re.findall(r"^\s+(n\d+) --> (n\d+)$", text, re.M)}
    assert edges == {("tokenize", "count[n=3]"), ("tokenize", "count[n=5]"),
                     ("count[n=3]", "summary"), ("count[n=5]", "summary")}


def test_dag_json(project, capsys):
    project(WORDSTATS)
    data = json.loads(_dag(capsys, "--format", "json"))
    assert [n["name"] for n in data["nodes"]] == ["tokenize", "count[n=3]", "count[n=5]",
                                                  "summary"]
    assert data["nodes"][1]["bindings"] == {"n": 3}
    assert data["nodes"][3]["inputs"] == ["counts/3.txt", "counts/5.txt"]
    assert {"from": "count[n=5]", "to": "summary", "path": "counts/5.txt"} in data["edges"]


def test_dag_steps_in_every_format(project, capsys):
    project(WORDSTATS)
    data = json.loads(_dag(capsys, "--steps", "--format", "json"))
    assert [n["name"] for n in data["nodes"]] == ["tokenize", "count", "summary"]
    assert {(e["from"], e["to"]) for e in data["edges"]} == {("tokenize", "count"),
                                                             ("count", "summary")}
    dot = _dag(capsys, "--steps")
    assert '    "tokenize" -> "count";' in dot and '    "count" -> "summary";' in dot
    assert dot.count("->") == 2
    mermaid = _dag(capsys, "--steps", "--format", "mermaid")
    assert mermaid.count("-->") == 2 and 'n1["count"]' in mermaid


def test_dag_with_target(project, capsys):
    project(WORDSTATS)
    data = json.loads(_dag(capsys, "--format", "json", "counts/5.txt"))
    assert [n["name"] for n in data["nodes"]] == ["tokenize", "count[n=5]"]


def test_dag_unknown_target(project, capsys):
    project(WORDSTATS)
    assert main(["dag", "sumary"]) == 2
    assert "did you mean 'summary'?" in capsys.readouterr().err


# ------------------------------------------------------------------ imports


def test_check_imports_no_heavy_dependency(project):
    project(WORDSTATS)
    probe = ("import sys\n"
             "from seamlessflow.cli.main import main\n"
             "code = main(['-q', 'check'])\n"
             "heavy = ['networkx', 'dask', 'distributed', 'aiohttp']\n"
             "print(code, [m for m in heavy if m in sys.modules])\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=True)
    assert done.stdout == "0 []\n"
