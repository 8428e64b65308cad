"""Directories through the store: round trip, missing buffers, hostile indexes."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from seamlessflow.errors import StoreError
from seamlessflow.identity.deep import path_checksum
from seamlessflow.storage.trees import put_tree, write_tree


def make_tree(root):
    for rel, data in {"a.txt": b"a", "sub/b.txt": b"bb", "sub/c/.hidden": b"h",
                      "dup.txt": b"a"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_round_trip_replaces_an_existing_directory(store, tmp_path):
    src = make_tree(tmp_path / "src")
    deep, index = put_tree(store, src)
    assert deep == path_checksum(src)
    assert store.get(deep) == orjson.dumps(index, option=orjson.OPT_INDENT_2 |
                                           orjson.OPT_SORT_KEYS) + b"\n"
    dest = tmp_path / "dest"
    (dest / "stale").mkdir(parents=True)
    (dest / "stale" / "old.txt").write_text("old")
    write_tree(store, deep, dest)
    assert path_checksum(dest) == deep
    assert not (dest / "stale").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "dest", "src"]


def test_missing_buffer_names_it_and_leaves_dest_alone(store, tmp_path):
    src = make_tree(tmp_path / "src")
    deep, index = put_tree(store, src)
    store.discard(index["sub/b.txt"])
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(StoreError, match=index["sub/b.txt"]):
        write_tree(store, deep, dest)
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "dest", "src"]


def test_missing_index_is_an_error(store, tmp_path):
    with pytest.raises(StoreError, match=sha(b"nothing")):
        write_tree(store, sha(b"nothing"), tmp_path / "dest")


def test_an_index_escaping_the_destination_is_refused(store, tmp_path):
    evil = store.put(orjson.dumps({"../escaped.txt": store.put(b"x")}))
    with pytest.raises(StoreError, match="unsafe"):
        write_tree(store, evil, tmp_path / "dest")
    assert not (tmp_path / "escaped.txt").exists()
