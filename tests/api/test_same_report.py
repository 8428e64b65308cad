"""The CLI and the API run the same thing: the JSON run report of `seamlessflow run
--report` and of `Workflow.run(report=...)` are the same for the same run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import seamlessflow as sf

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"

TIMES = ("duration_s", "started_at", "ended_at")


def _cli(root: Path, cache: Path, *args: str) -> None:
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(cache)}
    env.pop("SEAMLESS_CACHE", None)
    subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run", *args],
                   check=True, capture_output=True, env=env)


def _untimed(report: Path) -> dict:
    data = json.loads(report.read_text())
    for entry in data["instances"]:
        assert entry["status"] in ("ran", "cached")
        entry.update(dict.fromkeys(TIMES))
    return data


def test_cli_and_api_write_the_same_report(tmp_path: Path, monkeypatch):
    by_cli, by_api = tmp_path / "cli", tmp_path / "api"
    for root in (by_cli, by_api):
        shutil.copytree(EXAMPLES / "csvsummary", root)
    monkeypatch.setenv("SEAMLESSFLOW_CACHE", str(tmp_path / "api-cache"))
    monkeypatch.delenv("SEAMLESS_CACHE", raising=False)
    wf = sf.load(by_api, config={"plot": {"width": 12}})
    reports = tmp_path / "reports"
    reports.mkdir()

    # the full run: the same, but for when each step ran and how long it took
    _cli(by_cli, tmp_path / "cli-cache", "--config", "plot.width=12", "-j", "2",
         "--report", str(reports / "cli-1.json"))
    assert wf.run(jobs=2, report=reports / "api-1.json").ok
    full = _untimed(reports / "cli-1.json")
    assert full["counts"]["ran"] == 5
    assert full == _untimed(reports / "api-1.json")

    # a plan and a no-op rerun: the same, byte for byte
    _cli(by_cli, tmp_path / "cli-cache", "--config", "plot.width=12", "-n",
         "--report", str(reports / "cli-2.json"))
    wf.plan(report=reports / "api-2.json")
    _cli(by_cli, tmp_path / "cli-cache", "--config", "plot.width=12", "summarize",
         "--report", str(reports / "cli-3.json"))
    wf.run("summarize", report=reports / "api-3.json")
    for n in (2, 3):
        assert (reports / f"cli-{n}.json").read_bytes() == \
            (reports / f"api-{n}.json").read_bytes()
    assert json.loads((reports / "api-3.json").read_text())["counts"]["cached"] == 4
