"""What is observed for a plan, and which events concern it: inputs and the files the
workflow is made of do; everything a run writes does not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seamlessflow.watch.plan import Plan
from seamlessflow.watch.watchset import LOST, Event, Folder, WatchSet, glob_folder


@pytest.fixture
def watchset(tmp_path: Path) -> WatchSet:
    root = tmp_path / "p"
    (root / "data").mkdir(parents=True)
    (root / "samples").mkdir()
    plan = Plan(
        root=str(root),
        sources=[str(root / "Seamlessfile"), str(root / "conf" / "settings.yaml")],
        glob_patterns=["samples/{s}.txt"],
        inputs=[("a.txt", False), ("data", True), ("missing/deep/x.txt", False)],
        outputs=["A.txt", "out", "logs/run.txt"],
    )
    return WatchSet(plan, str(tmp_path / "cache"))


def concerns(ws: WatchSet, kind: str, rel: str, is_dir: bool = False) -> bool:
    """Whether an event on `rel`, inside the project folder, concerns the watch set."""
    return ws.concerns(Event(0.0, kind, os.path.join(ws.root, rel), is_dir))


def test_inputs_sources_and_sidecars_of_inputs_concern_it(watchset):
    assert concerns(watchset, "modified", "a.txt")
    assert concerns(watchset, "attrib", "a.txt")  # a touch: the content check decides
    assert concerns(watchset, "moved", "Seamlessfile")  # an editor's save
    assert concerns(watchset, "closed", "conf/settings.yaml")
    assert concerns(watchset, "created", "a.txt.CHECKSUM")
    assert concerns(watchset, "created", "data/deep/new.txt")
    assert concerns(watchset, "deleted", "data", is_dir=True)
    assert concerns(watchset, "created", "missing", is_dir=True)  # on the way to an input
    assert concerns(watchset, "created", "samples/s9.txt")  # a new value for a glob()
    assert watchset.concerns(Event(0.0, LOST, "", False))


def test_what_a_run_reads_or_writes_does_not(watchset):
    assert not concerns(watchset, "opened", "a.txt")
    assert not concerns(watchset, "closed_no_write", "data/x.txt")
    assert not concerns(watchset, "modified", "data", is_dir=True)
    for rel in ("A.txt", "A.txt.CHECKSUM", "out/x.txt", "out.INDEX", "logs/run.txt",
                ".seamlessflow/statcache.json", "report.json", ".Seamlessfile.swp"):
        assert not concerns(watchset, "created", rel), rel
    assert not concerns(watchset, "modified", "samples/s1.txt")  # not an input: no run


def test_folders_are_those_of_the_inputs_not_the_tree(watchset, tmp_path):
    root = str(tmp_path / "p")
    assert watchset.folders() == {
        Folder(root, False),  # Seamlessfile, a.txt; conf/ does not exist: root stands in
        Folder(os.path.join(root, "data"), True),
        Folder(os.path.join(root, "samples"), False),
    }


@pytest.mark.parametrize(("pattern", "expected"), [
    ("data/{city}.csv", ("data", False)),
    ("{name}.txt", ("", False)),
    ("runs/{s}/reads.txt", ("runs", True)),
    ("a/b*/{s}.txt", ("a", True)),
])
def test_glob_folder(pattern, expected):
    assert glob_folder(pattern) == expected
