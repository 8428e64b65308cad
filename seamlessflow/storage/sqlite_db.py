"""The result database in a local SQLite file, with Seamless's own tables.

`transformation` and `rev_transformation` are laid out as seamless-database lays them
out, so Seamless can read our results and we can read its. Per-capture checksums and
execution records go in `seamlessflow_`-prefixed tables Seamless ignores. WAL mode and
short transactions let several processes share the file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from seamlessflow.errors import ResultConflict, StoreError

BATCH = 500  # well under SQLite's bound-parameter limit
BUSY_TIMEOUT_S = 60.0
WAL_CHECKPOINT_PAGES = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transformation (checksum CHAR(64) PRIMARY KEY, result CHAR(64));
CREATE INDEX IF NOT EXISTS transformation_result ON transformation (result);
CREATE TABLE IF NOT EXISTS rev_transformation (
    id INTEGER PRIMARY KEY, result CHAR(64), checksum CHAR(64));
CREATE INDEX IF NOT EXISTS rev_transformation_result ON rev_transformation (result);
CREATE INDEX IF NOT EXISTS rev_transformation_checksum ON rev_transformation (checksum);
CREATE TABLE IF NOT EXISTS seamlessflow_capture (
    transformation CHAR(64), path TEXT, checksum CHAR(64), recorded REAL,
    PRIMARY KEY (transformation, path));
CREATE INDEX IF NOT EXISTS seamlessflow_capture_checksum ON seamlessflow_capture (checksum);
CREATE TABLE IF NOT EXISTS seamlessflow_record (
    transformation CHAR(64) PRIMARY KEY, record TEXT);
"""


class SqliteResultDatabase:
    """Opens its connection on first use, so constructing one costs nothing and a
    pickled copy in a worker process opens its own."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()  # one connection, shared by the scheduler's threads

    def __getstate__(self) -> dict:
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    def __repr__(self) -> str:
        return f"SqliteResultDatabase({str(self.path)!r})"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        """Switching a new file to WAL can report "locked" at once, without waiting on
        the busy timeout, when another process creates the same database at the same
        moment; so the open is retried until the timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                       check_same_thread=False)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                    # A checkpoint (with its fsync) every 1000 WAL pages, SQLite's default,
                    # came every ~120 results of a run of short steps and stalled the
                    # scheduler each time; past 10,000 pages (40 MiB) it comes ten times
                    # less often and copies each hot page once instead of ten times.
                    conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
                    conn.executescript(_SCHEMA)
                except sqlite3.Error:
                    conn.close()
                    raise
                return conn
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise StoreError(f"cannot open the result database {self.path}: {exc}") from None
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"cannot open the result database {self.path}: {exc}") from None

    def _read(self, sql: str, params: tuple | list) -> list[tuple]:
        """A database file that does not exist holds nothing, and reading it creates
        nothing (a dry run writes nothing, not even an empty database)."""
        if self._conn is None and not self.path.exists():
            return []
        with self._lock:
            try:
                return self._db().execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"result database {self.path}: {exc}") from None

    @contextmanager
    def _transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        """One short write transaction; IMMEDIATE takes the write lock up front so two
        processes queue on the busy timeout instead of failing on upgrade."""
        with self._lock:
            db = self._db()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot {action} in {self.path}: {exc}") from None

    # ---- ResultDatabase ----------------------------------------------------

    def get_results(self, transformations: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(transformations))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start:start + BATCH]
            marks = ",".join("?" * len(chunk))
            rows = self._read(
                f"SELECT checksum, result FROM transformation WHERE checksum IN ({marks})", chunk)
            found.update((tf, result) for tf, result in rows if result)
        return found

    def set_result(
        self,
        transformation: str,
        result: str,
        captures: dict[str, str] | None = None,
        record: dict | None = None,
        overwrite: bool = False,
    ) -> None:
        now = time.time()
        record_text = None if record is None else orjson.dumps(record).decode()
        with self._transaction("record a result") as db:
            if not overwrite:
                refuse_other_result(db, transformation, result)
            db.execute("DELETE FROM rev_transformation WHERE checksum = ?", (transformation,))
            db.execute("INSERT OR REPLACE INTO transformation (checksum, result) VALUES (?, ?)",
                       (transformation, result))
            db.execute("INSERT INTO rev_transformation (result, checksum) VALUES (?, ?)",
                       (result, transformation))
            if captures is not None:
                db.execute("DELETE FROM seamlessflow_capture WHERE transformation = ?",
                           (transformation,))
                db.executemany(
                    "INSERT INTO seamlessflow_capture (transformation, path, checksum, recorded)"
                    " VALUES (?, ?, ?, ?)",
                    [(transformation, p, cs, now) for p, cs in captures.items()])
            if record_text is not None:
                db.execute("INSERT OR REPLACE INTO seamlessflow_record (transformation, record)"
                           " VALUES (?, ?)", (transformation, record_text))

    def transformations_for(self, checksum: str) -> list[str]:
        """Newest first: rev_transformation ids grow with time, and capture rows carry
        the time they were recorded."""
        by_result = self._read(
            "SELECT checksum, id FROM rev_transformation WHERE result = ? ORDER BY id DESC",
            (checksum,))
        by_capture = self._read(
            "SELECT c.transformation FROM seamlessflow_capture c "
            "WHERE c.checksum = ? ORDER BY c.recorded DESC", (checksum,))
        ordered = [tf for tf, _ in by_result] + [tf for (tf,) in by_capture]
        return list(dict.fromkeys(ordered))

    def get_record(self, transformation: str) -> dict | None:
        rows = self._read("SELECT record FROM seamlessflow_record WHERE transformation = ?",
                          (transformation,))
        if not rows or rows[0][0] is None:
            return None
        try:
            return orjson.loads(rows[0][0])
        except orjson.JSONDecodeError:
            return None

    def forget(self, transformation: str) -> None:
        with self._transaction("forget a result") as db:
            for table, column in (("transformation", "checksum"),
                                  ("rev_transformation", "checksum"),
                                  ("seamlessflow_capture", "transformation"),
                                  ("seamlessflow_record", "transformation")):
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (transformation,))


def refuse_other_result(db: sqlite3.Connection, transformation: str, result: str) -> None:
    """Raise ResultConflict if `transformation` has a result other than `result`."""
    row = db.execute("SELECT result FROM transformation WHERE checksum = ?",
                     (transformation,)).fetchone()
    if row is not None and row[0] and row[0] != result:
        raise ResultConflict(f"transformation {transformation} already has the result "
                             f"{row[0]}, not {result}")
