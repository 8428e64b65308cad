"""The front end's file-system checks: finding the Seamlessfile, missing inputs."""

from __future__ import annotations

import pytest

from seamlessflow.errors import UsageError
from seamlessflow.graph.link import link
from seamlessflow.session.loading import missing_inputs
from seamlessflow.session.startup import find_seamlessfile


def test_find_seamlessfile_default_and_directory(tmp_path, monkeypatch):
    (tmp_path / "Seamlessfile").write_text("")
    monkeypatch.chdir(tmp_path)
    assert find_seamlessfile(None).resolve() == tmp_path / "Seamlessfile"
    assert find_seamlessfile(str(tmp_path)).resolve() == tmp_path / "Seamlessfile"


def test_missing_seamlessfile_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as info:
        find_seamlessfile(None)
    assert str(tmp_path / "Seamlessfile") in str(info.value)
    assert "-f" in str(info.value)


def test_present_files_directories_and_sidecars_are_fine(wf, tmp_path):
    (tmp_path / "data.txt").write_text("x")
    (tmp_path / "corpus").mkdir()
    (tmp_path / "remote.bin.CHECKSUM").write_text("0" * 64 + "\n")
    (tmp_path / "refdir.CHECKSUM").write_text("0" * 64 + "\n")
    wf.add("make", captures=("made.txt",))
    wf.add("use", inputs=("data.txt", "corpus/", "remote.bin", "refdir/", "made.txt"),
           captures=("out",))
    assert missing_inputs(link(wf.build(str(tmp_path)))) == []


def test_missing_input_names_instance_path_and_position(wf, tmp_path):
    (tmp_path / "tokens.txt").write_text("x")
    inst = wf.add("count[n=3]", inputs=("tokns.txt",), captures=("c",), step="count")
    [diag] = missing_inputs(link(wf.build(str(tmp_path))))
    assert diag.pos == inst.inputs[0].pos
    assert diag.message.startswith("count[n=3]: input tokns.txt not found")
    assert diag.hint == "did you mean 'tokens.txt'?"


def test_missing_input_suggests_a_captured_path(wf, tmp_path):
    wf.add("tokenize", captures=("tokens/all.txt",))
    wf.add("count", inputs=("tokens/al.txt",), captures=("c",))
    [diag] = missing_inputs(link(wf.build(str(tmp_path))))
    assert diag.hint == "did you mean 'tokens/all.txt'?"


def test_wrong_kind_is_missing_with_a_hint(wf, tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    wf.add("use", inputs=("corpus", "notes.txt/"), captures=("c",))
    first, second = missing_inputs(link(wf.build(str(tmp_path))))
    assert first.hint == "corpus is a directory: write corpus/"
    assert second.hint == "notes.txt is a file: drop the trailing '/'"


def test_only_the_named_instances_are_checked(wf, tmp_path):
    wf.add("a", inputs=("gone.txt",), captures=("a.txt",))
    wf.add("b", captures=("b.txt",))
    dag = link(wf.build(str(tmp_path)))
    assert missing_inputs(dag, ["b"]) == []
    assert len(missing_inputs(dag, ["a", "b"])) == 1
