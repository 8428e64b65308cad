"""The HTML report opened in a real browser (headless Chromium through DevTools): the
graph's colours, the timeline's bars, the table's filter and sorting, the provenance
links, and a screenshot that shows something."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from devtools import png_pixels, run_in_browser
from report_workflow import FAILING


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """The report of a run with a failure: tokenize and count[n=3] ran, count[n=5]
    failed, summary was skipped."""
    root = tmp_path / "project"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "a.txt").write_text("hello world\nbye\n")
    (root / "Seamlessfile").write_text(FAILING)
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}
    cli = [sys.executable, "-m", "seamlessflow", "-C", str(root)]
    assert subprocess.run([*cli, "run", "-k"], env=env, capture_output=True).returncode == 1
    out = tmp_path / "report.html"
    subprocess.run([*cli, "report", "-o", str(out)], env=env, check=True)
    return out


VISIBLE_ROWS = ("Array.from(document.querySelectorAll('#instance-table tbody tr'))"
                ".filter(r => r.offsetParent !== null).map(r => r.dataset.name)")


def _hue(rgb: str) -> str:
    """Which of red, green and blue dominates a computed `rgb(r, g, b)` colour."""
    values = [int(v) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    return ("red", "green", "blue")[values.index(max(values))]


def test_the_report_in_a_browser(chromium, report):
    async def look(tab):
        await tab.open(report.as_uri())
        seen = {"fills": await tab.eval(
            "Object.fromEntries(Array.from(document.querySelectorAll('svg.dag g.node'))"
            ".map(g => [g.dataset.name, getComputedStyle(g.querySelector('rect')).fill]))")}
        seen["bars"] = await tab.eval(
            "Array.from(document.querySelectorAll('svg.timeline rect.bar'))"
            ".filter(b => b.getBBox().width > 0).map(b => b.dataset.name).sort()")
        await tab.eval("(s => { s.value = 'failed'; s.dispatchEvent(new Event('change')); })"
                       "(document.getElementById('filter-status'))")
        seen["failed"] = await tab.eval(VISIBLE_ROWS)
        await tab.eval("(s => { s.value = ''; s.dispatchEvent(new Event('change')); })"
                       "(document.getElementById('filter-status'))")
        await tab.eval("document.querySelector('svg.dag g.node[data-name=\"count[n=3]\"]')"
                       ".dispatchEvent(new MouseEvent('click', {bubbles: true}))")
        seen["clicked node"] = await tab.eval(VISIBLE_ROWS)
        await tab.eval("(t => { t.value = ''; t.dispatchEvent(new Event('input')); })"
                       "(document.getElementById('filter-text'))")
        await tab.eval("Array.from(document.querySelectorAll('#instance-table th'))"
                       ".find(th => th.textContent === 'duration (s)').click()")
        seen["by duration"] = await tab.eval(
            "Array.from(document.querySelectorAll('#instance-table tbody tr'))"
            ".map(r => r.cells[6].textContent)")
        await tab.eval("Array.from(document.querySelectorAll('#file-table tbody tr'))"
                       ".find(r => r.cells[0].textContent === 'counts/3.txt')"
                       ".querySelector('a.producer').click()")
        seen["producer"] = await tab.eval("document.querySelector(':target').dataset.name")
        await tab.eval("document.querySelector(':target a[href^=\"#i\"]').click()")
        seen["its input's producer"] = await tab.eval(
            "document.querySelector(':target').dataset.name")
        await tab.eval("window.scrollTo(0, 0)")
        seen["screenshot"] = await tab.screenshot()
        return seen

    seen = run_in_browser(chromium, look)
    hues = {name: _hue(fill) for name, fill in seen["fills"].items()}
    assert hues == {"tokenize": "green", "count[n=3]": "green", "count[n=5]": "red",
                    "summary": "red"}  # skipped is orange
    assert seen["fills"]["summary"] != seen["fills"]["count[n=5]"]
    assert seen["bars"] == ["count[n=3]", "count[n=5]", "tokenize"]
    assert seen["failed"] == ["count[n=5]"]
    assert seen["clicked node"] == ["count[n=3]"]
    durations = [float(d) for d in seen["by duration"] if d]
    assert durations == sorted(durations) and len(durations) == 3
    assert seen["producer"] == "count[n=3]"
    assert seen["its input's producer"] == "tokenize"
    width, height, pixels = png_pixels(seen["screenshot"])
    assert width * height == len(pixels) > 100_000
    assert len(set(pixels)) > 50  # text, boxes and colours, not one flat colour
    white = sum(1 for p in pixels if p == (255, 255, 255))
    assert white < 0.97 * len(pixels)


def test_a_report_of_5000_instances_draws_the_sweep_as_one_box(chromium, tmp_path):
    """A dry run's page (nothing executes, so it is quick to make) of a 5,000-instance
    sweep: one box for the step, a row per instance, and the filter works on all of them."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "Seamlessfile").write_text(
        'step count for i in range(0, 5000):\n'
        '    inputs: data/{i}.txt -> in.txt\n'
        '    shell: "wc -c < in.txt > n.txt"\n'
        '    captures: n.txt -> counts/{i}.txt\n')
    for i in range(5000):
        (root / "data" / f"{i}.txt").write_text(str(i))
    page = tmp_path / "big.html"
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-m", "seamlessflow", "-q", "-C", str(root), "run", "-n",
                    "--html", str(page)], env=env, check=True)

    async def look(tab):
        await tab.open(page.as_uri())
        boxes = await tab.eval("Array.from(document.querySelectorAll('svg.dag g.node'))"
                               ".map(g => [g.dataset.name, g.dataset.instances])")
        rows = await tab.eval("document.querySelectorAll('#instance-table tbody tr').length")
        await tab.eval("(t => { t.value = 'count[i=4999]'; t.dispatchEvent(new Event('input')); })"
                       "(document.getElementById('filter-text'))")
        return boxes, rows, await tab.eval(VISIBLE_ROWS)

    boxes, rows, shown = run_in_browser(chromium, look)
    assert boxes == [["count", "5000"]]
    assert rows == 5000
    assert shown == ["count[i=4999]"]
