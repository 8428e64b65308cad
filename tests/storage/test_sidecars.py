"""Sidecar files: where they go, how they are parsed, and that writes are atomic."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from seamlessflow.errors import StoreError
from seamlessflow.storage.sidecars import (
    index_path,
    read_index,
    read_sidecar,
    sidecar_path,
    write_index,
    write_sidecar,
)

CS = hashlib.sha256(b"x").hexdigest()


def test_paths_for_files_directories_and_literal_sidecars():
    assert sidecar_path(Path("data/a.txt")) == Path("data/a.txt.CHECKSUM")
    assert sidecar_path("data/dir/") == Path("data/dir.CHECKSUM")
    assert sidecar_path("data/dir") == Path("data/dir.CHECKSUM")
    assert index_path("data/dir/") == Path("data/dir.INDEX")
    assert sidecar_path("a.txt.CHECKSUM") == Path("a.txt.CHECKSUM")
    assert index_path("d.INDEX") == Path("d.INDEX")


def test_write_then_read(tmp_path):
    write_sidecar(tmp_path / "f", CS)
    assert (tmp_path / "f.CHECKSUM").read_text() == CS + "\n"
    assert read_sidecar(tmp_path / "f") == CS
    assert read_sidecar(tmp_path / "f.CHECKSUM") == CS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.CHECKSUM"]  # no temp left


@pytest.mark.parametrize("text", [CS, f"  {CS}\n\n", f"\t{CS}\r\n", CS.upper() + "\n"])
def test_whitespace_is_tolerated(tmp_path, text):
    (tmp_path / "f.CHECKSUM").write_text(text)
    assert read_sidecar(tmp_path / "f") == CS


@pytest.mark.parametrize("text", ["", "abc\n", CS[:-1], CS + "0", f"{CS} {CS}", "z" * 64])
def test_malformed_sidecar_names_the_file(tmp_path, text):
    (tmp_path / "f.CHECKSUM").write_text(text)
    with pytest.raises(StoreError, match="f.CHECKSUM"):
        read_sidecar(tmp_path / "f")


def test_missing_sidecar_names_the_file(tmp_path):
    with pytest.raises(StoreError, match="nope.CHECKSUM"):
        read_sidecar(tmp_path / "nope")


def test_index_round_trip_and_hostile_index(tmp_path):
    index = {"a": CS, "sub/ü": CS}
    write_index(tmp_path / "d", index)
    assert read_index(tmp_path / "d/") == index
    (tmp_path / "e.INDEX").write_text(json.dumps({"../../x": CS}))
    with pytest.raises(StoreError, match="e.INDEX"):
        read_index(tmp_path / "e")
