"""The SQLite result database: Seamless's tables, batched lookups, reverse index."""

from __future__ import annotations

import hashlib
import pickle
import sqlite3

import pytest

from seamlessflow.errors import ResultConflict
from seamlessflow.storage.sqlite_db import SqliteResultDatabase


def cs(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_results_records_and_reverse_index(tmp_path):
    db = SqliteResultDatabase(tmp_path / "seamless.db")
    db.set_result(cs("tf1"), cs("r1"), {"out.txt": cs("o1")}, {"runner": "process", "s": 0.5})
    db.set_result(cs("tf2"), cs("r1"), {"other.txt": cs("o1")})
    assert db.get_results([cs("tf1"), cs("tf2"), cs("nope")]) == {
        cs("tf1"): cs("r1"), cs("tf2"): cs("r1")}
    assert db.transformations_for(cs("r1")) == [cs("tf2"), cs("tf1")]
    assert db.transformations_for(cs("o1")) == [cs("tf2"), cs("tf1")]
    assert db.get_record(cs("tf1")) == {"runner": "process", "s": 0.5}
    assert db.get_record(cs("tf2")) is None
    db.forget(cs("tf1"))
    assert db.get_results([cs("tf1")]) == {}
    assert db.transformations_for(cs("o1")) == [cs("tf2")]


def test_another_result_is_refused_unless_asked_to_overwrite(tmp_path):
    db = SqliteResultDatabase(tmp_path / "seamless.db")
    db.set_result(cs("tf"), cs("old"), {"a": cs("a1")}, {"run": 1})
    db.set_result(cs("tf"), cs("old"), {"a": cs("a1")}, {"run": 2})  # the same: harmless
    with pytest.raises(ResultConflict, match=f"{cs('tf')} already has the result {cs('old')}"):
        db.set_result(cs("tf"), cs("new"), {"a": cs("a2")})
    assert db.get_results([cs("tf")]) == {cs("tf"): cs("old")}
    assert db.transformations_for(cs("a1")) == [cs("tf")]
    assert db.get_record(cs("tf")) == {"run": 2}


def test_rerecording_with_overwrite_replaces_the_old_result(tmp_path):
    db = SqliteResultDatabase(tmp_path / "seamless.db")
    db.set_result(cs("tf"), cs("old"), {"a": cs("a1")})
    db.set_result(cs("tf"), cs("new"), {"a": cs("a2")}, overwrite=True)
    assert db.get_results([cs("tf")]) == {cs("tf"): cs("new")}
    assert db.transformations_for(cs("old")) == []
    assert db.transformations_for(cs("a1")) == []


def test_batched_lookup_of_many(tmp_path):
    db = SqliteResultDatabase(tmp_path / "seamless.db")
    for i in range(0, 1300, 2):
        db.set_result(cs(f"t{i}"), cs(f"r{i}"))
    found = db.get_results(cs(f"t{i}") for i in range(1300))
    assert found == {cs(f"t{i}"): cs(f"r{i}") for i in range(0, 1300, 2)}


def test_seamless_tables_readable_by_plain_sqlite_and_pickling(tmp_path):
    path = tmp_path / "seamless.db"
    db = SqliteResultDatabase(path)
    db.set_result(cs("tf"), cs("r"))
    clone = pickle.loads(pickle.dumps(db))
    assert clone.get_results([cs("tf")]) == {cs("tf"): cs("r")}
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT result FROM transformation WHERE checksum = ?",
                           (cs("tf"),)).fetchone() == (cs("r"),)
        assert raw.execute("SELECT checksum FROM rev_transformation WHERE result = ?",
                           (cs("r"),)).fetchall() == [(cs("tf"),)]
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_constructing_touches_nothing(tmp_path):
    SqliteResultDatabase(tmp_path / "sub" / "seamless.db")
    assert not (tmp_path / "sub").exists()
