"""`seamlessflow dag --format svg|html`: the graph drawn without Graphviz, coloured by the
status each instance had in the last run, through the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_workflow import FAILING  # count[n=5] fails, so summary is skipped

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("hello world\n")
    (tmp_path / "Seamlessfile").write_text(FAILING)
    return tmp_path


def _cli(root: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(root / ".cache")}
    return subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), *argv],
                          capture_output=True, text=True, env=env)


def _picture(root: Path, *argv: str) -> ET.Element:
    done = _cli(root, "dag", "--format", "svg", *argv)
    assert done.returncode == 0, done.stderr
    return ET.fromstring(done.stdout)


def _nodes(svg: ET.Element) -> dict[str, str]:
    """node name -> its status"""
    return {g.get("data-name"): g.get("data-status")
            for g in svg.iter(f"{SVG}g") if g.get("class") == "node"}


def _edges(svg: ET.Element) -> set[tuple[str, str]]:
    return {(g.get("data-from"), g.get("data-to"))
            for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"}


def test_svg_has_a_box_per_instance_and_an_arrow_per_data_flow(project):
    svg = _picture(project)
    assert _nodes(svg) == dict.fromkeys(
        ["tokenize", "count[n=3]", "count[n=5]", "summary"], "")  # never ran: no status
    assert _edges(svg) == {("tokenize", "count[n=3]"), ("tokenize", "count[n=5]"),
                           ("count[n=3]", "summary"), ("count[n=5]", "summary")}
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert "count[n=5]" in labels


def test_svg_by_step_shows_each_sweep_as_one_box_with_its_count(project):
    svg = _picture(project, "--steps")
    boxes = {g.get("data-name"): g.get("data-instances")
             for g in svg.iter(f"{SVG}g") if g.get("class") == "node"}
    assert boxes == {"tokenize": "1", "count": "2", "summary": "1"}
    assert _edges(svg) == {("tokenize", "count"), ("count", "summary")}
    assert "count ×2" in [t.text for t in svg.iter(f"{SVG}text")]


def test_svg_is_coloured_by_the_last_run(project):
    assert _cli(project, "run", "-k").returncode == 1
    assert _nodes(_picture(project)) == {"tokenize": "ran", "count[n=3]": "ran",
                                         "count[n=5]": "failed", "summary": "skipped"}
    fills = {g.get("data-name"): g.find(f"{SVG}rect").get("fill")
             for g in _picture(project).iter(f"{SVG}g") if g.get("class") == "node"}
    assert fills["count[n=5]"] != fills["count[n=3]"]
    steps = _picture(project, "--steps")
    assert _nodes(steps)["count"] == "failed"  # the worst of its instances
    assert "1 failed · 1 ran" in [t.text for t in steps.iter(f"{SVG}text")]


def test_a_big_sweep_is_drawn_by_step(project):
    (project / "Seamlessfile").write_text(FAILING.replace("[3, 5]", "range(1, 200)"))
    svg = _picture(project)
    assert set(_nodes(svg)) == {"tokenize", "count", "summary"}


def test_html_page_holds_the_picture_and_needs_no_network(project):
    done = _cli(project, "dag", "--format", "html")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<!DOCTYPE html>")
    assert done.stdout.count('class="node"') == 4
    assert "src=" not in done.stdout and "href=" not in done.stdout


def test_text_formats_do_not_import_the_layout_library(project):
    probe = textwrap.dedent("""\
        import sys
        from seamlessflow.cli.main import main
        code = main(['-C', sys.argv[1], 'dag'])
        print(code, 'grandalf' in sys.modules, file=sys.stderr)
        """)
    done = subprocess.run([sys.executable, "-c", probe, str(project)], capture_output=True,
                          text=True, check=True)
    assert done.stderr.strip().endswith("0 False")
