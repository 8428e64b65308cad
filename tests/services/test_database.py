"""The database service and HttpResultDatabase: seamless-database's wire format over
SQLite, plus what ResultDatabase needs."""

from __future__ import annotations

import pickle
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest

from seamlessflow.errors import ResultConflict, StoreError
from seamlessflow.identity.checksum import checksum_bytes
from seamlessflow.storage.http_database import HttpResultDatabase
from seamlessflow.storage.sqlite_db import SqliteResultDatabase

TF1, TF2, TF3 = (checksum_bytes(f"tf{i}".encode()) for i in range(1, 4))
RESULT, CAPTURE, OTHER = (checksum_bytes(x) for x in (b"result", b"capture", b"other"))


@pytest.fixture
def database(start_service, tmp_path):
    return start_service("database", "--writable", "--dir", str(tmp_path / "db"))


def test_result_database_round_trip(database, tmp_path):
    db = HttpResultDatabase(database.url)
    db.set_result(TF1, RESULT, captures={"out.txt": CAPTURE}, record={"runner": "jobserver"})
    db.set_result(TF2, RESULT)

    assert db.get_results([TF1, TF2, TF3]) == {TF1: RESULT, TF2: RESULT}
    assert set(db.transformations_for(RESULT)) == {TF1, TF2}
    assert db.transformations_for(CAPTURE) == [TF1]
    assert db.transformations_for(OTHER) == []
    assert db.get_record(TF1) == {"runner": "jobserver"}
    assert db.get_record(TF2) is None
    db.forget(TF1)
    assert db.get_results([TF1, TF2]) == {TF2: RESULT}
    assert db.transformations_for(CAPTURE) == []
    # what the service wrote is an ordinary seamless.db in the folder it was given
    local = SqliteResultDatabase(tmp_path / "db" / "seamless.db")
    assert local.get_results([TF2]) == {TF2: RESULT}


def test_many_threads_and_a_pickled_copy_share_the_service(database):
    db = HttpResultDatabase(database.url)
    tfs = [checksum_bytes(f"job {i}".encode()) for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda tf: db.set_result(tf, RESULT), tfs))
    copy = pickle.loads(pickle.dumps(db))
    assert copy.get_results(tfs + [OTHER]) == dict.fromkeys(tfs, RESULT)


def test_seamless_request_types_answer_as_seamless_database_does(raw, database):
    url = database.url

    def ask(method: str, request: dict) -> tuple[int, bytes]:
        return raw(url, method, "/", orjson.dumps(request))

    assert raw(url, "GET", "/healthcheck") == (200, b"OK")
    assert ask("PUT", {"type": "transformation", "checksum": TF1, "value": RESULT}) == (200, b"OK")
    assert ask("GET", {"type": "transformation", "checksum": TF1}) == (200, RESULT.encode())
    assert ask("GET", {"type": "transformation", "checksum": TF2})[0] == 404
    # the URL path is ignored; the body decides
    assert raw(url, "GET", "/anything", orjson.dumps({"type": "transformation",
                                                      "checksum": TF1}))[1] == RESULT.encode()
    HttpResultDatabase(url).set_result(TF3, RESULT, captures={"x": CAPTURE})
    status, body = ask("GET", {"type": "rev_transformations", "checksum": RESULT})
    assert status == 200 and orjson.loads(body) == [TF1, TF3]
    # a capture checksum is not a result: Seamless must not see TF3 as producing it
    assert ask("GET", {"type": "rev_transformations", "checksum": CAPTURE})[0] == 404
    assert ask("GET", {"type": "transformation", "checksum": "abc"})[0] == 400
    assert ask("GET", {"type": "no such type", "checksum": TF1})[0] == 400
    assert raw(url, "GET", "/", b"not json")[0] == 400


def test_seamless_execution_records_are_kept_and_record_the_result(raw, database, tmp_path):
    """`metadata`, which seamless-run PUTs after computing: the result is recorded with
    it; the same record again is fine, another one or another result is a 409 (with the
    text Seamless's client takes as "already recorded"), a record about another
    transformation is a 400."""
    url = database.url

    def ask(method: str, request: dict) -> tuple[int, bytes]:
        return raw(url, method, "/", orjson.dumps(request))

    record = {"schema_version": 1, "tf_checksum": TF1, "result_checksum": RESULT, "x": 1}
    put = {"type": "metadata", "checksum": TF1, "result": RESULT, "value": record}
    assert ask("GET", {"type": "metadata", "checksum": TF1})[0] == 404
    assert ask("PUT", put) == (200, b"OK")
    assert ask("PUT", {**put, "value": orjson.dumps(record).decode()}) == (200, b"OK")
    status, body = ask("GET", {"type": "metadata", "checksum": TF1})
    assert status == 200 and orjson.loads(body) == record
    db = HttpResultDatabase(url)
    assert db.get_results([TF1]) == {TF1: RESULT}
    assert db.transformations_for(RESULT) == [TF1]
    status, body = ask("PUT", {**put, "value": {**record, "x": 2}})
    assert status == 409 and b"Execution record already exists with different metadata" in body
    other = {**record, "result_checksum": OTHER}
    assert ask("PUT", {**put, "result": OTHER, "value": other})[0] == 409
    assert ask("PUT", {**put, "value": {**record, "tf_checksum": TF2}})[0] == 400
    assert ask("PUT", {**put, "value": "not a record"})[0] == 400
    # in Seamless's own table, beside the results
    with sqlite3.connect(tmp_path / "db" / "seamless.db") as conn:
        rows = conn.execute("SELECT checksum, result, metadata FROM meta_data").fetchall()
    assert [(tf, res, orjson.loads(text)) for tf, res, text in rows] == [(TF1, RESULT, record)]
    db.forget(TF1)
    assert ask("GET", {"type": "metadata", "checksum": TF1})[0] == 404


def test_a_different_result_is_refused_with_409_and_logged_unless_overwrite_is_asked(
        raw, database):
    db = HttpResultDatabase(database.url)
    db.set_result(TF1, RESULT, captures={"out.txt": CAPTURE})
    db.set_result(TF1, RESULT, captures={"out.txt": CAPTURE})  # the same again: fine
    with pytest.raises(ResultConflict, match=f"HTTP 409 .*{TF1} already has the result {RESULT}"):
        db.set_result(TF1, OTHER)
    # Seamless's own request type is held to the same rule
    put = {"type": "transformation", "checksum": TF1, "value": OTHER}
    assert raw(database.url, "PUT", "/", orjson.dumps(put))[0] == 409
    assert db.get_results([TF1]) == {TF1: RESULT}
    assert db.transformations_for(CAPTURE) == [TF1]
    log = database.stderr.read_text()
    assert log.count(f"refused a PUT from 127.0.0.1: transformation {TF1} already has the "
                     f"result {RESULT}, not {OTHER}") == 2

    db.set_result(TF1, OTHER, overwrite=True)
    assert db.get_results([TF1]) == {TF1: OTHER}
    assert f"the result of {TF1} was {RESULT}; replaced by {OTHER}" in database.stderr.read_text()
    assert raw(database.url, "PUT", "/", orjson.dumps({**put, "overwrite": "yes"}))[0] == 400


def test_read_only_database_serves_but_refuses_writes(raw, start_service, tmp_path):
    SqliteResultDatabase(tmp_path / "db" / "seamless.db").set_result(TF1, RESULT)
    service = start_service("database", "--dir", str(tmp_path / "db"))
    db = HttpResultDatabase(service.url)
    assert db.get_results([TF1]) == {TF1: RESULT}
    with pytest.raises(StoreError, match=f"database {service.url}: .*read-only"):
        db.set_result(TF2, RESULT)
    assert raw(service.url, "PUT", "/", orjson.dumps(
        {"type": "transformation", "checksum": TF2, "value": RESULT}))[0] == 405


def test_forced_and_healing_runs_replace_a_recorded_result_through_the_service(
        database, service_env, tmp_path):
    """A step that gives another result each time: `run --force` records the new one, and
    so does a rerun because the recorded result's bytes are gone."""
    import sqlite3
    import subprocess
    import sys

    from seamlessflow.storage.local_store import LocalBufferStore

    root = tmp_path / "project"
    root.mkdir()
    (root / "Seamlessfile").write_text('step stamp:\n    shell: "date +%s%N > out.txt"\n'
                                       "    captures: out.txt -> out.txt\n")
    env = {**service_env, "SEAMLESSFLOW_DATABASE": database.url}

    def run(*args: str) -> bytes:
        out = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run",
                              *args], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return (root / "out.txt").read_bytes()

    def recorded() -> list[str]:
        with sqlite3.connect(tmp_path / "db" / "seamless.db") as db:
            return [cs for (cs,) in db.execute("SELECT checksum FROM seamlessflow_capture")]

    first = run()
    assert recorded() == [checksum_bytes(first)]
    forced = run("--force", "stamp")
    assert forced != first and recorded() == [checksum_bytes(forced)]

    LocalBufferStore(tmp_path / "cache" / "__TOPLEVEL__").path_of(checksum_bytes(forced)).unlink()
    (root / "out.txt").unlink()
    healed = run()
    assert healed != forced and recorded() == [checksum_bytes(healed)]
    assert "refused" not in database.stderr.read_text()


def test_two_runs_racing_to_record_different_results_leave_the_first_one(
        database, service_env, tmp_path):
    """Two projects run the same step at once, and it gives each another result: the
    first recorded stays, and the other run fails saying why instead of replacing it."""
    import subprocess
    import sys

    meeting = tmp_path / "meeting"
    meeting.mkdir()
    shell = (f"touch {meeting}/started-$$; while [ ! -e {meeting}/go ]; do sleep 0.02; done; "
             "date +%s%N > out.txt")
    env = {**service_env, "SEAMLESSFLOW_DATABASE": database.url}
    runs = []
    for name in ("a", "b"):
        root = tmp_path / name
        root.mkdir()
        (root / "Seamlessfile").write_text(f'step stamp:\n    shell: "{shell}"\n'
                                           "    captures: out.txt -> out.txt\n")
        runs.append((root, subprocess.Popen(
            [sys.executable, "-m", "seamlessflow", "-C", str(root), "run"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    deadline = time.monotonic() + 60
    while len(list(meeting.glob("started-*"))) < 2:  # both looked up and found nothing
        assert time.monotonic() < deadline, "the two runs never both started"
        time.sleep(0.02)
    (meeting / "go").touch()
    finished = [(root, run.wait(60), run.communicate()[1]) for root, run in runs]

    assert sorted(code for _, code, _ in finished) == [0, 1]
    (winner, _, _), = [f for f in finished if f[1] == 0]
    (loser, _, err), = [f for f in finished if f[1] == 1]
    assert "already has the result" in err and "run --force stamp" in err, err
    assert "refused a PUT" in database.stderr.read_text()
    out = checksum_bytes((winner / "out.txt").read_bytes())
    assert HttpResultDatabase(database.url).transformations_for(out)  # the winner's stays
    assert not (loser / "out.txt").exists()
