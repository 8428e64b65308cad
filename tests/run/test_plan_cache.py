"""The plan cache: an unchanged workflow is not parsed again, and any change to what
shaped it (the Seamlessfile, an include, the config file, a glob's files, --config)
is seen, even when the edit keeps the file's size and mtime."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

WORKFLOW = """\
config: config.yaml
include: more.seamless

let samples = glob("data/{s}.txt")

step count for s in samples:
    inputs: data/{s}.txt -> in.txt
    params: factor = config.factor
    shell: "echo $(( $(wc -c < in.txt) * factor )) > n.txt"
    captures: n.txt -> counts/{s}.txt
"""

MORE = """\
step greet:
    params: who = "world"
    shell: "echo hello $who > g.txt"
    captures: g.txt -> greeting.txt
"""


def _setup(project) -> None:
    project.write("Seamlessfile", WORKFLOW)
    project.write("more.seamless", MORE)
    project.write("config.yaml", "factor: 1\n")
    project.write("data/a.txt", "aaa")
    project.write("data/b.txt", "bbbbb")


def _edit_keeping_stat(path: Path, old: str, new: str) -> None:
    """Same size, same mtime: only the content tells the edit apart."""
    text = path.read_text()
    assert len(old) == len(new) and old in text
    st = path.stat()
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _plans(project) -> list[Path]:
    return sorted((project.cache / "plans").glob("*.plan"))


def test_an_unchanged_workflow_is_not_parsed_and_runs_without_an_event_loop(project):
    _setup(project)
    project.run()
    probe = ("import sys\n"
             "from seamlessflow.cli.main import main\n"
             f"code = main(['-C', {str(project.root)!r}, '-q', 'run'])\n"
             "heavy = ['lark', 'networkx', 'dask', 'distributed', 'aiohttp', 'yaml', 'asyncio']\n"
             "print(code, [m for m in heavy if m in sys.modules])\n")
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=True)
    assert done.stdout.splitlines()[-1] == "0 []"


def test_edits_that_keep_size_and_mtime_are_seen(project):
    _setup(project)
    first = project.run()
    assert project.read("counts/a.txt") == "3\n"
    assert project.read("greeting.txt") == "hello world\n"
    assert first.statuses == {"count[s=a]": "ran", "count[s=b]": "ran", "greet": "ran"}

    _edit_keeping_stat(project.root / "config.yaml", "factor: 1", "factor: 2")
    _edit_keeping_stat(project.root / "more.seamless", '"world"', '"earth"')
    second = project.run()
    assert project.read("counts/a.txt") == "6\n"
    assert project.read("greeting.txt") == "hello earth\n"
    assert set(second.statuses.values()) == {"ran"}

    _edit_keeping_stat(project.root / "Seamlessfile", "n.txt -> counts", "n.txt -> totals")
    project.run()
    assert project.read("totals/b.txt") == "10\n"


def test_a_new_file_matching_a_glob_adds_an_instance(project):
    _setup(project)
    project.run()
    project.write("data/c.txt", "c")
    report = project.run()
    assert report["count[s=c]"]["status"] == "ran"
    assert report["count[s=a]"]["status"] == "cached"
    assert project.read("counts/c.txt") == "1\n"
    (project.root / "data" / "c.txt").unlink()
    assert "count[s=c]" not in project.run().statuses


def test_config_overrides_get_their_own_plan(project):
    _setup(project)
    project.run("--config", "factor=3")
    assert project.read("counts/a.txt") == "9\n"
    project.run("--config", "factor=4")
    assert project.read("counts/a.txt") == "12\n"
    assert len(_plans(project)) == 2
    assert project.run("--config", "factor=3")["count[s=a]"]["status"] == "cached"
    assert project.read("counts/a.txt") == "9\n"


def test_a_damaged_plan_is_rebuilt_and_a_dry_run_keeps_none(project):
    _setup(project)
    project.run("-n")
    assert _plans(project) == []
    project.run()
    (plan,) = _plans(project)
    fmt, builder, sources, globs, data = marshal.loads(plan.read_bytes())
    for damaged in (b"\x00garbage", marshal.dumps((fmt, builder, [(0, "x")], globs, data)),
                    marshal.dumps((fmt, builder, sources, globs, (1, 2)))):
        plan.write_bytes(damaged)
        for record in (project.cache / "plans").glob("*.settled"):
            record.unlink()  # else a settled run would not even need the plan
        assert set(project.run().statuses.values()) == {"cached"}
        assert plan.read_bytes() != damaged
