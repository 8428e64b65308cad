"""The database service: a SqliteResultDatabase over HTTP, in seamless-database's format.

Every request is `GET /` or `PUT /` with a JSON body `{"type": ..., "checksum": ...}`;
the URL path is ignored, the body decides. Seamless's `transformation` and
`rev_transformations` answer as seamless-database answers them (a result as plain text,
a list as JSON, 404 for an unknown key), so Seamless can use this service; seamlessflow's
own types (see storage/wire.py) carry what `ResultDatabase` needs besides.

A PUT of a different result for a transformation that has one is refused with 409 and
logged, unless the request says `"overwrite": true`: a recorded result is trusted by
every later run, so replacing it is never silent.

Seamless's `metadata` type (the execution record `seamless-run` writes after computing,
which also records the result) is kept in Seamless's own `meta_data` table, so that
`seamless-run` can use this service as its database.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from seamlessflow.errors import ResultConflict, StoreError, UsageError
from seamlessflow.services.common import HEALTHCHECK_PATH, JSON_MAX, healthcheck, parse_checksum
from seamlessflow.storage import wire
from seamlessflow.storage.sqlite_db import SqliteResultDatabase, refuse_other_result

log = logging.getLogger("seamlessflow.services")

SEAMLESS_PROTOCOL_VERSION = ["seamless", "database", "1.0"]
# seamless-database's table for execution records (its MetaData model)
_META_DATA = ("CREATE TABLE IF NOT EXISTS meta_data (checksum CHAR(64) PRIMARY KEY, "
              "result CHAR(64), metadata TEXT)")
# the text seamless-database answers, which Seamless's client takes as "already recorded"
RECORD_DIFFERS = "Execution record already exists with different metadata"


class ServedDatabase(SqliteResultDatabase):
    """Adds what Seamless asks and seamlessflow does not: transformations by result only
    (seamlessflow's reverse index also follows capture checksums), and execution records."""

    def open(self) -> None:
        """Open (and create, if need be) the file now: a bad --dir fails at start, not
        at the first request."""
        self._db()

    def _open(self) -> sqlite3.Connection:
        conn = super()._open()
        conn.execute(_META_DATA)
        return conn

    def set_execution_record(self, transformation: str, result: str, record: dict) -> None:
        """Record the result and its execution record, as seamless-database does: a
        different result, or a different record for the same result, is a conflict."""
        text = orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode()
        with self._transaction("record an execution record") as db:
            refuse_other_result(db, transformation, result)
            row = db.execute("SELECT result, metadata FROM meta_data WHERE checksum = ?",
                             (transformation,)).fetchone()
            if row is not None and (row[0] != result or orjson.loads(row[1]) != record):
                raise ResultConflict(f"{RECORD_DIFFERS} for {transformation}")
            if db.execute("SELECT 1 FROM transformation WHERE checksum = ?",
                          (transformation,)).fetchone() is None:
                db.execute("INSERT INTO transformation (checksum, result) VALUES (?, ?)",
                           (transformation, result))
                db.execute("DELETE FROM rev_transformation WHERE checksum = ?",
                           (transformation,))
                db.execute("INSERT INTO rev_transformation (result, checksum) VALUES (?, ?)",
                           (result, transformation))
            if row is None:
                db.execute("INSERT INTO meta_data (checksum, result, metadata) VALUES (?, ?, ?)",
                           (transformation, result, text))

    def execution_record(self, transformation: str) -> dict | None:
        rows = self._read("SELECT metadata FROM meta_data WHERE checksum = ?", (transformation,))
        return orjson.loads(rows[0][0]) if rows else None

    def forget(self, transformation: str) -> None:
        super().forget(transformation)
        with self._transaction("forget an execution record") as db:
            db.execute("DELETE FROM meta_data WHERE checksum = ?", (transformation,))

    def rev_transformations(self, result: str) -> list[str]:
        rows = self._read("SELECT checksum FROM rev_transformation WHERE result = ? ORDER BY id",
                          (result,))
        return [tf for (tf,) in rows]


class BadRequest(Exception):
    """Answered 400 with "ERROR: " + the message, as seamless-database does."""


Answer = str | list | dict | None  # None: 404 "Unknown key"
Handler = Callable[[dict[str, Any]], Answer]


def make_app(path: Path, writable: bool) -> web.Application:
    path = Path(path)
    if not writable and not path.is_file():
        raise UsageError(f"database file {path} does not exist (a read-only database service "
                         "does not create it; add --writable)")
    db = ServedDatabase(path)
    db.open()
    service = DatabaseService(db, writable)
    app = web.Application(client_max_size=JSON_MAX)
    app.add_routes([
        web.get(HEALTHCHECK_PATH, healthcheck),
        web.get("/{tail:.*}", service.get),
        web.put("/{tail:.*}", service.put),
    ])
    app.on_cleanup.append(service.close)
    return app


class DatabaseService:
    def __init__(self, db: ServedDatabase, writable: bool):
        self.db = db
        self.writable = writable
        self.gets: dict[str, Handler] = {
            wire.SEAMLESS_PROTOCOL: lambda rq: SEAMLESS_PROTOCOL_VERSION,
            wire.SEAMLESS_TRANSFORMATION: self._get_transformation,
            wire.SEAMLESS_REV_TRANSFORMATIONS:
                lambda rq: self.db.rev_transformations(_checksum(rq)) or None,
            wire.GET_RESULTS: lambda rq: self.db.get_results(_checksums(rq, "checksums")),
            wire.TRANSFORMATIONS_FOR: lambda rq: self.db.transformations_for(_checksum(rq)),
            wire.GET_RECORD: lambda rq: self.db.get_record(_checksum(rq)),
            wire.SEAMLESS_METADATA: lambda rq: self.db.execution_record(_checksum(rq)),
        }
        self.puts: dict[str, Handler] = {
            wire.SEAMLESS_TRANSFORMATION: self._put_transformation,
            wire.SET_RESULT: self._set_result,
            wire.FORGET: lambda rq: self.db.forget(_checksum(rq)),
            wire.SEAMLESS_METADATA: self._put_metadata,
        }

    async def close(self, _app: web.Application) -> None:
        self.db.close()

    async def get(self, request: web.Request) -> web.Response:
        return await self._answer(request, self.gets)

    async def put(self, request: web.Request) -> web.Response:
        if not self.writable:
            return web.Response(status=405, text="ERROR: Database server is read-only "
                                "(started without --writable)")
        return await self._answer(request, self.puts, put=True)

    async def _answer(self, request: web.Request, handlers: dict[str, Handler],
                      put: bool = False) -> web.Response:
        try:
            rq = _parse(await request.read())
            handler = handlers.get(rq["type"])
            if handler is None:
                raise BadRequest(f"Unknown request type {rq['type']!r}")
            # SQLite blocks: in a thread, so one slow write does not stall every request.
            answer = await asyncio.to_thread(handler, rq)
        except BadRequest as exc:
            return web.Response(status=400, text=f"ERROR: {exc}")
        except ResultConflict as exc:
            log.warning("warning: refused a PUT from %s: %s", request.remote, exc)
            return web.Response(status=409, text=f"ERROR: {exc}")
        except StoreError as exc:
            return web.Response(status=500, text=f"ERROR: {exc}")
        if put:
            return web.Response(text="OK")
        if answer is None:
            return web.Response(status=404, text="ERROR: Unknown key")
        if isinstance(answer, str):
            return web.Response(text=answer)
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    def _get_transformation(self, rq: dict[str, Any]) -> str | None:
        checksum = _checksum(rq)
        return self.db.get_results([checksum]).get(checksum)

    def _put_transformation(self, rq: dict[str, Any]) -> None:
        self._record(rq, None, None)

    def _put_metadata(self, rq: dict[str, Any]) -> None:
        """Seamless's execution record: `value` (an object, or its JSON text) names the
        transformation and result it is about, as seamless-database checks."""
        record = rq.get("value")
        if isinstance(record, str):
            try:
                record = orjson.loads(record)
            except orjson.JSONDecodeError:
                record = None
        transformation, result = _checksum(rq), _checksum(rq, "result")
        if not (isinstance(record, dict) and isinstance(record.get("schema_version"), int)
                and record.get("tf_checksum") == transformation
                and record.get("result_checksum") == result):
            raise BadRequest("Malformed PUT metadata request")
        self.db.set_execution_record(transformation, result, record)

    def _set_result(self, rq: dict[str, Any]) -> None:
        captures = rq.get("captures")
        if captures is not None and not (
            isinstance(captures, dict)
            and all(isinstance(p, str) and parse_checksum(c) == c
                    for p, c in captures.items())):
            raise BadRequest("Malformed request: captures must map paths to checksums")
        record = rq.get("record")
        if record is not None and not isinstance(record, dict):
            raise BadRequest("Malformed request: record must be a JSON object")
        self._record(rq, captures, record)

    def _record(self, rq: dict[str, Any], captures: dict[str, str] | None,
                record: dict | None) -> None:
        overwrite = rq.get("overwrite", False)
        if not isinstance(overwrite, bool):
            raise BadRequest("Malformed request: overwrite must be true or false")
        transformation, result = _checksum(rq), _checksum(rq, "value")
        if overwrite:
            replaced = self.db.get_results([transformation]).get(transformation)
            if replaced not in (None, result):
                log.warning("warning: the result of %s was %s; replaced by %s on request",
                            transformation, replaced, result)
        self.db.set_result(transformation, result, captures, record, overwrite=overwrite)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        rq = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("Malformed request: not JSON") from None
    if not isinstance(rq, dict) or not isinstance(rq.get("type"), str):
        raise BadRequest("Malformed request: expected a JSON object with a \"type\"")
    return rq


def _checksum(rq: dict[str, Any], key: str = "checksum") -> str:
    checksum = parse_checksum(rq.get(key))
    if checksum is None:
        raise BadRequest(f"Malformed request: {key!r} must be a checksum")
    return checksum


def _checksums(rq: dict[str, Any], key: str) -> list[str]:
    values = rq.get(key)
    checksums = [parse_checksum(v) for v in values] if isinstance(values, list) else [None]
    if None in checksums:
        raise BadRequest(f"Malformed request: {key!r} must be a list of checksums")
    return checksums  # type: ignore[return-value]

