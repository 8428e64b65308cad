"""The local buffer store: Seamless's layout, verified writes, corrupt buffers never served."""

from __future__ import annotations

import hashlib
import os
import pickle
import stat

import pytest

from seamlessflow.errors import StoreError
from seamlessflow.storage.local_store import LocalBufferStore


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_uses_the_hashserver_prefix_layout(store):
    cs = store.put(b"hello")
    assert cs == sha(b"hello")
    path = store.root / cs[:2] / cs
    assert path.read_bytes() == b"hello"
    assert (store.root / ".HASHSERVER_PREFIX").read_bytes() == b"1\n"
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert store.has([cs, sha(b"other")]) == [True, False]
    assert store.lengths([cs, sha(b"other")]) == [5, 0]
    assert store.get(cs) == b"hello"
    assert store.put(b"hello") == cs  # idempotent


def test_put_file_streams_and_write_to_copies(store, tmp_path):
    src = tmp_path / "src.bin"
    data = os.urandom(3 * (1 << 20) + 17)
    src.write_bytes(data)
    cs = store.put_file(src)
    assert cs == sha(data)
    dest = tmp_path / "out" / "dest.bin"
    assert store.write_to(cs, dest)
    assert dest.read_bytes() == data
    assert dest.stat().st_ino != store.path_of(cs).stat().st_ino
    dest.write_bytes(b"a step writes into its input")  # must not reach the store
    assert store.get(cs) == data
    assert not [p for p in store.root.rglob("*") if ".seamlessflow-tmp" in p.name]


def test_put_file_refuses_a_wrong_expected_checksum(store, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(b"now")
    with pytest.raises(StoreError, match="changed"):
        store.put_file(src, checksum=sha(b"before"))


def test_corrupt_buffer_is_never_served_and_is_dropped(store, tmp_path, caplog, corrupt):
    cs = store.put(b"precious")
    corrupt(store.path_of(cs))
    assert store.get(cs) is None
    assert "corrupt" in caplog.text and cs in caplog.text
    assert store.has([cs]) == [False]

    cs = store.put(b"precious")
    corrupt(store.path_of(cs), b"PRECIOUS")  # same length: only hashing can tell
    dest = tmp_path / "dest"
    dest.write_bytes(b"old content")
    assert store.write_to(cs, dest) is False
    assert dest.read_bytes() == b"old content"
    assert not list(tmp_path.glob(".seamlessflow-tmp*"))

    cs = store.put(b"precious")
    corrupt(store.path_of(cs))
    assert store.verify(cs) is False


def test_write_new_copies_in_place_and_leaves_nothing_of_a_corrupt_buffer(store, tmp_path,
                                                                        corrupt):
    small, big = b"small input", os.urandom(3 * (1 << 20))
    for data in (small, big):
        cs = store.put(data)
        dest = tmp_path / f"new-{len(data)}"
        assert store.write_new(cs, dest)
        assert dest.read_bytes() == data
        assert dest.stat().st_ino != store.path_of(cs).stat().st_ino
        assert dest.stat().st_mode & stat.S_IWUSR  # the command's own, writable copy
    existing = tmp_path / "existing"
    existing.write_bytes(b"old")
    assert store.write_new(store.put(small), existing)
    assert existing.read_bytes() == small
    cs = store.put(b"precious")
    corrupt(store.path_of(cs), b"PRECIOUS")
    assert store.write_new(cs, tmp_path / "never") is False
    assert not (tmp_path / "never").exists()
    assert store.has([cs]) == [False]
    assert store.write_new(sha(b"never stored"), tmp_path / "absent") is False
    assert not list(tmp_path.glob(".seamlessflow-tmp*"))


def test_missing_buffer(store, tmp_path):
    cs = sha(b"never stored")
    assert store.get(cs) is None and store.open(cs) is None
    assert store.write_to(cs, tmp_path / "x") is False
    assert not (tmp_path / "x").exists()
    store.discard(cs)  # absent is fine


def test_discard_removes(store):
    cs = store.put(b"scratch")
    store.discard(cs)
    assert store.has([cs]) == [False]


def test_hardlink_shares_the_inode_and_a_later_edit_is_caught(store, tmp_path):
    src = tmp_path / "big.dat"
    src.write_bytes(b"linked bytes")
    cs = store.put_file(src, hardlink=True)
    assert store.path_of(cs).stat().st_ino == src.stat().st_ino
    src.chmod(0o644)
    with open(src, "r+b") as f:  # an in-place edit, which the docs warn about
        f.write(b"L")
    assert store.get(cs) is None


def test_store_is_picklable_and_rejects_non_checksums(store):
    clone = pickle.loads(pickle.dumps(store))
    assert isinstance(clone, LocalBufferStore) and clone.root == store.root
    with pytest.raises(StoreError):
        store.path_of("../../etc/passwd")
