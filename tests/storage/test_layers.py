"""Several stores and databases seen as one (a run with local and cluster stages): reads go
through every layer, writes to the first, and a copy between two stores moves only what
the target lacks."""

from __future__ import annotations

from seamlessflow.identity.checksum import checksum_bytes
from seamlessflow.storage.layers import LayeredDatabase, LayeredStore, make_available
from seamlessflow.storage.local_store import LocalBufferStore
from seamlessflow.storage.sqlite_db import SqliteResultDatabase
from seamlessflow.storage.trees import put_tree

A, B, C = (checksum_bytes(x.encode()) for x in "abc")


def test_a_layered_store_reads_every_layer_and_writes_to_the_first(tmp_path):
    near, far = LocalBufferStore(tmp_path / "near"), LocalBufferStore(tmp_path / "far")
    near.put(b"near only")
    far.put(b"far only")
    both = LayeredStore([near, far])
    wanted = [checksum_bytes(b"near only"), checksum_bytes(b"far only"), A]
    assert both.has(wanted) == [True, True, False]
    assert both.lengths(wanted) == [9, 8, 0]
    assert both.get(wanted[1]) == b"far only"
    assert both.write_to(wanted[1], tmp_path / "out") and (tmp_path / "out").read_bytes() == \
        b"far only"

    written = both.put(b"new")
    assert near.has([written]) == [True] and far.has([written]) == [False]


def test_a_layered_database_finds_a_result_in_any_layer(tmp_path):
    near = SqliteResultDatabase(tmp_path / "near.db")
    far = SqliteResultDatabase(tmp_path / "far.db")
    near.set_result(A, B)
    far.set_result(C, B, record={"runner": "jobserver"})
    both = LayeredDatabase([near, far])
    assert both.get_results([A, C, B]) == {A: B, C: B}
    assert both.get_record(C) == {"runner": "jobserver"}
    assert set(both.transformations_for(B)) == {A, C}


def test_make_available_copies_only_the_files_of_a_tree_the_target_lacks(tmp_path):
    folder = tmp_path / "tree"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("one")
    (folder / "sub" / "two.txt").write_text("two")
    local, remote = LocalBufferStore(tmp_path / "local"), LocalBufferStore(tmp_path / "remote")
    tree, index = put_tree(local, folder)
    remote.put(b"one")  # already there: not copied again
    before = remote.path_of(checksum_bytes(b"one")).stat().st_mtime_ns

    assert make_available(local, remote, tree, is_dir=True)
    assert all(remote.has([tree, *index.values()]))
    assert remote.path_of(checksum_bytes(b"one")).stat().st_mtime_ns == before
    # what the source lacks cannot be made available
    assert not make_available(local, remote, A, is_dir=False)
