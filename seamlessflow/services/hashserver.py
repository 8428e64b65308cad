"""The hashserver: a buffer folder over HTTP, wire-compatible with Seamless's hashserver.

The folder is in the prefix layout LocalBufferStore uses, so the same folder can be
served by several servers (ours or Seamless's) and read by local processes at once.
An upload streams into a temporary file beside its target while it is hashed, and is
renamed into place only if it hashes to the checksum in its URL: a wrong or truncated
upload never becomes a buffer. Every upload has a temporary file of its own, even when
another upload of the same checksum is under way, and is answered only once its bytes
are stored: unlike Seamless's server this one never answers 202 ("in progress"), since an
upload that then dies would leave its client believing in bytes that were never stored.
A download is hashed while it is sent and its last chunk is held back until the hash
is known, so corrupt bytes are never delivered whole (the client sees the answer cut
off, and the corrupt file is dropped).

A promise (`PUT /promise/CHECKSUM`, which seamless-run sends before it uploads a buffer)
is acknowledged as Seamless's server acknowledges it, and changes nothing: `/has` still
counts stored buffers only, and a GET does not wait for promised bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import orjson
from aiohttp import web

from seamlessflow.errors import StoreError, UsageError
from seamlessflow.identity.checksum import CHUNK
from seamlessflow.services.common import HEALTHCHECK_PATH, JSON_MAX, healthcheck, parse_checksum
from seamlessflow.storage.atomic import atomic_write_bytes, os_error, temp_in
from seamlessflow.storage.local_store import MARKER, READ_ONLY, LocalBufferStore
from seamlessflow.storage.wire import HAS_HEADER, HAS_STORED_ONLY, PUT_MANY_HEADER, PUT_MANY_PATH

log = logging.getLogger("seamlessflow.services")
T = TypeVar("T")
Hash = Any  # hashlib's hash objects have no public type

DEFAULT_MAX_BODY = 64 << 30  # largest accepted upload; generous, but a bound
PROMISE_EXPIRES_S = 600.0  # what Seamless's server says a promise lasts
_INLINE = 256 << 10  # files up to this size are sent whole from the event loop; larger stream


def make_app(root: Path, writable: bool, max_body: int = DEFAULT_MAX_BODY) -> web.Application:
    server = Hashserver(Path(root), writable, max_body)
    app = web.Application(client_max_size=JSON_MAX)
    app.add_routes([
        web.get(HEALTHCHECK_PATH, healthcheck),
        web.get("/has", server.has),
        web.get("/buffer-length", server.buffer_length),
        web.get("/{checksum}", server.get),
        web.put("/promise/{checksum}", server.promise),
        web.put(PUT_MANY_PATH, server.put_many),
        web.put("/{checksum}", server.put),
    ])
    return app


class Hashserver:
    def __init__(self, root: Path, writable: bool, max_body: int):
        self.store = LocalBufferStore(root)
        self.writable = writable
        self.max_body = max_body
        self.uploads: dict[str, int] = {}  # checksum -> uploads of it under way
        self.upload_ended = asyncio.Event()  # replaced by a fresh one, set, as any upload ends
        if writable:
            try:
                root.mkdir(parents=True, exist_ok=True)
                if not (root / MARKER).exists():
                    atomic_write_bytes(root / MARKER, b"1\n")
            except OSError as exc:
                raise os_error(exc, root, "create the buffer folder") from None
        elif not root.is_dir():
            raise UsageError(f"buffer folder {root} does not exist (a read-only hashserver "
                             "does not create it; add --writable)")

    # ---- queries -------------------------------------------------------------

    async def has(self, request: web.Request) -> web.Response:
        checksums = await _checksum_list(request)
        if isinstance(checksums, web.Response):
            return checksums
        # Stored buffers only: an upload under way may still die (Seamless's server
        # counts it, and a client that trusts that may skip storing bytes nobody stores).
        answer = _json(await _maybe_in_thread(len(checksums) > 64, self.store.has, checksums))
        answer.headers[HAS_HEADER] = HAS_STORED_ONLY  # the client need not double-check
        return answer

    async def buffer_length(self, request: web.Request) -> web.Response:
        checksums = await _checksum_list(request)
        if isinstance(checksums, web.Response):
            return checksums
        for cs in checksums:
            await self._settled(cs)
        return _json(await _maybe_in_thread(len(checksums) > 64, self.store.lengths, checksums))

    # ---- downloads -----------------------------------------------------------

    async def get(self, request: web.Request) -> web.StreamResponse:
        checksum = parse_checksum(request.match_info["checksum"])
        if checksum is None:
            return web.Response(status=400, text="Invalid checksum")
        await self._settled(checksum)
        path = self.store.path_of(checksum)
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed below, across awaits
        except FileNotFoundError:
            return web.Response(status=404, text="Not found")
        except OSError as exc:
            return web.Response(status=500, text=str(os_error(exc, path, "read")))
        with f:
            return await self._send(request, f, checksum)

    async def _send(self, request: web.Request, f: BinaryIO, checksum: str) -> web.StreamResponse:
        hasher = hashlib.sha256()
        size = os.fstat(f.fileno()).st_size
        if size <= _INLINE:  # small: all in hand, so 400 if corrupt
            data = f.read()
            hasher.update(data)
            if hasher.hexdigest() != checksum:
                self._drop_corrupt(checksum, f)
                return web.Response(status=400, text=f"File corruption: {checksum}")
            return web.Response(body=data, content_type="application/octet-stream")
        response = web.StreamResponse()
        response.content_type = "application/octet-stream"
        response.content_length = size
        await response.prepare(request)
        reader = _Ahead()
        try:
            pending = await asyncio.to_thread(_read_hashing, f, hasher)
            following = await asyncio.to_thread(_read_hashing, f, hasher)
            while following:  # the last chunk stays held back until the hash is known
                reader.start(_read_hashing, f, hasher)  # read one more while this one goes out
                await response.write(pending)
                pending, following = following, await reader.result()
        finally:
            await reader.settle()
        if hasher.hexdigest() != checksum:
            self._drop_corrupt(checksum, f)
            request.transport.close()  # the client gets fewer bytes than announced
            return response
        await response.write(pending)
        await response.write_eof()
        return response

    # ---- uploads -------------------------------------------------------------

    async def promise(self, request: web.Request) -> web.Response:
        """202 with the body Seamless's server sends: its clients fail (and may hang
        retrying) when a promise is refused."""
        if not self.writable:
            return _read_only()
        checksum = parse_checksum(request.match_info["checksum"])
        if checksum is None:
            return web.Response(status=400, text="Invalid checksum")
        return web.Response(status=202, content_type="application/json",
                            body=orjson.dumps({"checksum": checksum,
                                               "expires_in": PROMISE_EXPIRES_S}))

    async def put(self, request: web.Request) -> web.Response:
        if not self.writable:
            return _read_only()
        checksum = parse_checksum(request.match_info["checksum"])
        if checksum is None:
            return web.Response(status=400, text="Invalid checksum")
        declared = request.content_length
        if declared is not None and declared > self.max_body:
            return _too_large(self.max_body)
        if self._present(checksum, declared):
            return web.Response(status=201)
        self.uploads[checksum] = self.uploads.get(checksum, 0) + 1
        try:
            return await self._receive(request, checksum)
        finally:
            left = self.uploads.pop(checksum) - 1
            if left:
                self.uploads[checksum] = left
            ended, self.upload_ended = self.upload_ended, asyncio.Event()
            ended.set()

    async def put_many(self, request: web.Request) -> web.Response:
        """Several small buffers in one request (a step's captures and its result mapping:
        one round trip instead of one per buffer). All are hashed first, and none is
        stored unless each hashes to its checksum; then each is stored as a single PUT
        stores it (a temporary file renamed into place)."""
        answer = await self._put_many(request)
        answer.headers[PUT_MANY_HEADER] = "1"  # the client knows this server has it
        return answer

    async def _put_many(self, request: web.Request) -> web.Response:
        if not self.writable:
            return _read_only()
        declared = request.content_length
        if declared is not None and declared > min(self.max_body, JSON_MAX):
            return _too_large(min(self.max_body, JSON_MAX))
        buffers = _split_many(await request.read())
        if isinstance(buffers, web.Response):
            return buffers
        if any(len(data) > self.max_body for _, data in buffers):
            return _too_large(self.max_body)
        if any(hashlib.sha256(data).hexdigest() != cs for cs, data in buffers):
            return web.Response(status=400, text="Incorrect checksum")
        try:
            await _maybe_in_thread(len(buffers) > 16, _store_all, self.store,
                                   [data for _, data in buffers])
        except StoreError as exc:
            log.error("error: %s", exc)
            return web.Response(status=500, text=str(exc))
        return web.Response(text="OK")

    async def _receive(self, request: web.Request, checksum: str) -> web.Response:
        target = self.store.path_of(checksum)
        hasher = hashlib.sha256()
        try:
            with temp_in(target.parent) as (out, tmp):
                if not await _receive_body(request, out, hasher, self.max_body):
                    tmp.unlink()
                    return _too_large(self.max_body)
                if hasher.hexdigest() != checksum:
                    tmp.unlink()
                    return web.Response(status=400, text="Incorrect checksum")
                if self._present(checksum, out.tell()):  # another upload got there first
                    tmp.unlink()
                    return web.Response(status=201)
                out.flush()
                os.fchmod(out.fileno(), READ_ONLY)
                os.replace(tmp, target)
        except OSError as exc:
            error = os_error(exc, target, "store")
            log.error("error: %s", error)
            return web.Response(status=500, text=str(error))
        return web.Response(text="OK")

    # ---- internals -----------------------------------------------------------

    async def _settled(self, checksum: str) -> None:
        """While `checksum` is not stored but uploads of it are under way here, wait
        for one to store it or for all to end, as Seamless's server waits: a reader that
        starts just after a writer finds the bytes."""
        while checksum in self.uploads and not self._present(checksum, None):
            await self.upload_ended.wait()

    def _present(self, checksum: str, length: int | None) -> bool:
        """Present and, when the upload says how long it is, of that length: a stored
        file of another length is damaged, and this upload repairs it."""
        try:
            size = self.store.path_of(checksum).stat().st_size
        except FileNotFoundError:
            return False
        return length is None or size == length

    def _drop_corrupt(self, checksum: str, f: BinaryIO) -> None:
        """Remove the corrupt file just read, unless another writer sharing the folder
        has meanwhile renamed a good copy into its place."""
        log.warning("warning: buffer %s in %s is corrupt (its bytes do not hash to its name); "
                    "removed", checksum, self.store.root)
        path = self.store.path_of(checksum)
        read = os.fstat(f.fileno())
        try:
            now = path.stat()
            if (now.st_dev, now.st_ino) == (read.st_dev, read.st_ino):
                path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("warning: cannot remove corrupt buffer %s: %s", path, exc.strerror)


async def _checksum_list(request: web.Request) -> list[str] | web.Response:
    """The JSON list of checksums in the body. Seamless's server insists on the JSON
    content type; this one also takes a body sent without it."""
    try:
        data = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return web.Response(status=400, text="Invalid data: the body must be a JSON list")
    if not isinstance(data, list):
        return web.Response(status=400, text="Invalid data: the body must be a JSON list")
    checksums = [parse_checksum(cs) for cs in data]
    if None in checksums:
        return web.Response(status=400, text="Invalid data: not a list of checksums")
    return checksums  # type: ignore[return-value]


def _split_many(body: bytes) -> list[tuple[str, bytes]] | web.Response:
    """(checksum, bytes) pairs of a put-many body, or the 400 answer to a malformed one."""
    head, newline, rest = body.partition(b"\n")
    try:
        manifest = orjson.loads(head) if newline else None
    except orjson.JSONDecodeError:
        manifest = None
    if not isinstance(manifest, list) or not all(
            isinstance(item, list) and len(item) == 2 and isinstance(item[1], int)
            and item[1] >= 0 for item in manifest):
        return web.Response(status=400, text="Invalid data: the body must start with a JSON "
                            "list of [checksum, length] pairs and a newline")
    checksums = [parse_checksum(cs) for cs, _ in manifest]
    if None in checksums or sum(n for _, n in manifest) != len(rest):
        return web.Response(status=400, text="Invalid data: bad checksum, or the lengths do "
                            "not add up to the bytes sent")
    pairs, at = [], 0
    for cs, (_, n) in zip(checksums, manifest, strict=True):
        pairs.append((cs, rest[at:at + n]))
        at += n
    return pairs  # type: ignore[return-value]


def _store_all(store: LocalBufferStore, buffers: list[bytes]) -> None:
    for data in buffers:
        store.put(data)


def _json(value: object) -> web.Response:
    return web.Response(body=orjson.dumps(value), content_type="application/json")


def _read_only() -> web.Response:
    return web.Response(status=405, text="this hashserver is read-only "
                        "(started without --writable)")


def _too_large(limit: int) -> web.Response:
    return web.Response(status=413, text=f"the buffer is larger than this hashserver's limit "
                        f"of {limit} bytes (--max-body)")


async def _receive_body(request: web.Request, out: BinaryIO, hasher: Hash, limit: int) -> bool:
    """Write and hash the body into `out`; False as soon as it exceeds `limit` bytes.
    Batches of CHUNK are written in a thread while the next batch arrives."""
    writer = _Ahead()
    pending = bytearray()
    total = 0
    try:
        async for chunk in request.content.iter_any():
            total += len(chunk)
            if total > limit:
                return False
            pending += chunk
            if len(pending) >= CHUNK:
                await writer.result()  # in order: the hash must see the bytes in order
                writer.start(_write_hashing, out, hasher, pending)
                pending = bytearray()
        await writer.result()
    finally:
        await writer.settle()
    _write_hashing(out, hasher, pending)
    return True


class _Ahead:
    """One call at a time in a worker thread, started before its result is needed, so
    file work (and hashing) overlaps the network transfer."""

    def __init__(self) -> None:
        self._task: asyncio.Future | None = None

    def start(self, func: Callable[..., Any], *args: Any) -> None:
        self._task = asyncio.ensure_future(asyncio.to_thread(func, *args))

    async def result(self) -> Any:
        if self._task is None:
            return None
        value = await asyncio.shield(self._task)  # a cancelled caller leaves it to settle()
        self._task = None
        return value

    async def settle(self) -> None:
        """Wait out a call still running (after an error or a cancellation), so that
        nothing touches the file once its owner has closed it."""
        task, self._task = self._task, None
        if task is not None:
            await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # retrieved: the error that matters is already raised


async def _maybe_in_thread(offload: bool, func: Callable[..., T], *args: Any) -> T:
    """Big work in a thread keeps the loop serving others; small work is cheaper done on
    the spot than handed to a thread."""
    return await asyncio.to_thread(func, *args) if offload else func(*args)


def _read_hashing(f: BinaryIO, hasher: Hash) -> bytes:
    data = f.read(CHUNK)
    hasher.update(data)
    return data


def _write_hashing(out: BinaryIO, hasher: Hash, data: bytearray) -> None:
    hasher.update(data)
    out.write(data)
