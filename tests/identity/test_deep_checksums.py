"""Deep checksums follow PROTOCOL.md, checked against an index computed here by hand."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from seamlessflow.errors import StoreError
from seamlessflow.identity.deep import deep_checksum, deep_index, path_checksum, validate_index


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def independent_deep(index: dict[str, str]) -> str:
    text = json.dumps(index, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    return sha(text.encode())


def make(root, files: dict[str, bytes]):
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    root.mkdir(parents=True, exist_ok=True)
    return root


def test_nested_hidden_and_unicode_files(tmp_path):
    files = {"a.txt": b"a", "sub/deeper/b.txt": b"b", ".hidden": b"h", "sub/.git/x": b"x",
             "ünï/cödé €.txt": b"u"}
    root = make(tmp_path / "d", files)
    (root / "empty" / "nested-empty").mkdir(parents=True)
    expected = {rel: sha(data) for rel, data in files.items()}
    index = deep_index(root)
    assert index == expected  # empty directories are not represented
    assert deep_checksum(index) == independent_deep(expected)
    assert path_checksum(root) == independent_deep(expected)


def test_symlinks_file_counts_directory_not_followed_dangling_skipped(tmp_path):
    outside = make(tmp_path / "outside", {"o.txt": b"outside"})
    root = make(tmp_path / "d", {"real.txt": b"real"})
    os.symlink(root / "real.txt", root / "link.txt")
    os.symlink(outside, root / "linked-dir")
    os.symlink(tmp_path / "nowhere", root / "dangling")
    assert deep_index(root) == {"real.txt": sha(b"real"), "link.txt": sha(b"real")}


def test_empty_directory_is_the_empty_index(tmp_path):
    (tmp_path / "e").mkdir()
    assert path_checksum(tmp_path / "e") == independent_deep({})


def test_same_content_same_checksum_rename_changes_it(tmp_path):
    files = {"x/1": b"one", "2": b"two"}
    a, b = make(tmp_path / "a", files), make(tmp_path / "b", files)
    assert path_checksum(a) == path_checksum(b)
    (b / "2").rename(b / "3")
    assert path_checksum(a) != path_checksum(b)


def test_walk_order_does_not_matter():
    forward = {f"f{i}": sha(bytes([i])) for i in range(20)}
    backward = dict(reversed(list(forward.items())))
    assert deep_checksum(forward) == deep_checksum(backward)


@pytest.mark.parametrize("key", ["/etc/passwd", "../up", "a/../../up", "a//b", "a/./b", "",
                                 "a\\b", "a/", "C:/x"])
def test_index_paths_that_could_escape_are_refused(key):
    with pytest.raises(StoreError):
        validate_index({key: sha(b"")})


def test_index_values_must_be_checksums():
    with pytest.raises(StoreError):
        validate_index({"a": "not-a-checksum"})
    with pytest.raises(StoreError):
        validate_index(["a"])
    validate_index({"a/b.txt": sha(b""), ".h": sha(b"x")})
