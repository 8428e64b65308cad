"""A buffer store behind a hashserver (seamlessflow's or Seamless's, same wire format).

Large buffers stream both ways through fixed-size chunks, so memory stays flat whatever
their size. Bytes are trusted only once hashed: the server verifies every upload against
the checksum in its URL, and this client hashes every download (`get`, `write_to`, and
the stream `open` returns), so nothing corrupt is ever returned as a buffer.

A `put` returns only once the server holds the bytes: a run records a result only after
storing its buffers, so a result is never recorded whose bytes are not there. Seamless's
hashserver answers 202 while another upload of the same buffer is under way, and counts
that upload in `/has`; either is confirmed through `/buffer-length`, which that server
answers once the other upload has ended, and the bytes are uploaded again if it died.
seamlessflow's hashserver counts stored buffers only, and says so in a header of its
`/has` answers, so that no second question is asked of it.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import logging
import os
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import orjson

from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import CHUNK, checksum_bytes, checksum_file
from seamlessflow.storage.atomic import (
    FILE_MODE,
    atomic_write_bytes,
    copy_hashing,
    os_error,
    temp_in,
)
from seamlessflow.storage.http_client import (
    DEFAULT_RETRIES,
    HttpClient,
    describe_error,
    require_checksum,
)
from seamlessflow.storage.wire import HAS_HEADER, HAS_STORED_ONLY, PUT_MANY_HEADER, PUT_MANY_PATH

log = logging.getLogger("seamlessflow.storage")

BATCH = 5000  # checksums per /has or /buffer-length request (about 330 KB of JSON)
ASK_FIRST = 1 << 20  # files at least this large are uploaded only if /has says they are missing
_STORED = (200, 201)  # stored; already there
_IN_PROGRESS = 202  # Seamless's hashserver: another upload of the buffer is under way
_NO_SUCH_REQUEST = (400, 404, 405)  # how a server without put-many (Seamless's) answers it
TAKEOVERS = 5  # uploads of a buffer tried while others of it keep answering 202
_EMPTY = checksum_bytes(b"")
# A body below this size is read whole and a file below it sent from memory: streaming
# takes a 1 MiB chunk buffer, and where malloc hands such blocks back to the system at
# once (Dask sets MALLOC_TRIM_THRESHOLD_ for its workers) each costs a millisecond of
# page faults, more than a small transfer itself.
SMALL_BODY = 1 << 16
RECENT_BYTES = 4 << 20  # small buffers this store just sent or received, kept in memory


class HttpBufferStore:
    """Plain attributes only (the client pickles its configuration, not its sockets):
    spawn workers receive the store and reconnect on first use."""

    # put_file asks /has first for a file of ASK_FIRST bytes or more, where asking pays:
    # a caller need not ask before storing a file (one round trip for a small one)
    asks_before_upload = True

    def __init__(self, url: str, token: str | None = None, *, retries: int = DEFAULT_RETRIES):
        self.client = HttpClient(url, "hashserver", token, retries=retries)
        self._recent = _Recent()
        self._one_by_one = False  # the server has no put-many (Seamless's): PUT each

    def __getstate__(self) -> dict:
        return {"client": self.client}  # a copy in another process starts with no bytes

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._recent = _Recent()
        self._one_by_one = False

    def remember(self, data: bytes) -> str:
        """Keep a small buffer that the server holds in memory, so that reading it back
        (a remote worker's input, the result a client writes into the project) is no
        round trip: the bytes come with the job or its answer, and are stored on the
        server by whoever sent them. Keyed by their own hash, so they are never wrong;
        `has` and `lengths` still ask the server. Big buffers are not kept."""
        checksum = checksum_bytes(data)
        self._recent.add(checksum, data)
        return checksum

    def recall(self, checksum: str) -> bytes | None:
        """A buffer this store keeps in memory (see `remember`), or None."""
        return self._recent.get(checksum)

    @property
    def url(self) -> str:
        return self.client.url

    def __repr__(self) -> str:
        return f"HttpBufferStore({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HttpBufferStore) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def healthy(self) -> bool:
        return self.client.healthy()

    # ---- queries -------------------------------------------------------------

    def has(self, checksums: Iterable[str]) -> list[bool]:
        wanted = [require_checksum(cs) for cs in checksums]
        answers, stored_only = self._batched("/has", wanted, "ask which buffers it has")
        found = [bool(x) for x in answers]
        if not stored_only:
            self._confirm(wanted, found)
        return found

    def lengths(self, checksums: Iterable[str]) -> list[int]:
        answers, _ = self._batched("/buffer-length", checksums, "ask buffer lengths")
        return [int(x) for x in answers]

    def _confirm(self, wanted: list[str], found: list[bool]) -> None:
        """Turn the yes of a server that counts uploads under way (Seamless's) into a
        yes for stored buffers: its `/buffer-length` waits such an upload out. An empty
        buffer's length says nothing, and its upload cannot stay under way: its yes stands."""
        unsure = [i for i, ok in enumerate(found) if ok and wanted[i] != _EMPTY]
        for i, length in zip(unsure, self.lengths([wanted[i] for i in unsure]), strict=True):
            found[i] = length > 0

    def _batched(self, path: str, checksums: Iterable[str], what: str) -> tuple[list, bool]:
        """The answers, and whether every one said it counts stored buffers only."""
        wanted = [require_checksum(cs) for cs in checksums]
        answers: list = []
        stored_only = True
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start:start + BATCH]
            answer, marked = self.client.request("GET", path, what, self._json_answer(what),
                                                 json=chunk)
            if not isinstance(answer, list) or len(answer) != len(chunk):
                raise StoreError(f"hashserver {self.url}: cannot {what}: malformed answer")
            answers.extend(answer)
            stored_only = stored_only and marked
        return answers, stored_only

    def _json_answer(self, what: str) -> Callable[[http.client.HTTPResponse],
                                                  tuple[object, bool]]:
        def handle(response: http.client.HTTPResponse) -> tuple[object, bool]:
            if response.status != 200:
                raise self.client.failure(response, what)
            try:
                answer = orjson.loads(response.read())
            except orjson.JSONDecodeError:
                raise StoreError(f"hashserver {self.url}: cannot {what}: not JSON") from None
            return answer, response.getheader(HAS_HEADER) == HAS_STORED_ONLY

        return handle

    # ---- reads ---------------------------------------------------------------

    def get(self, checksum: str) -> bytes | None:
        what = f"get buffer {require_checksum(checksum)}"
        kept = self._recent.get(checksum)
        if kept is not None:
            return kept

        def handle(response: http.client.HTTPResponse) -> bytes | None:
            if response.status in (400, 404):  # 400: the server found its copy corrupt
                response.read()
                return None
            if response.status != 200:
                raise self.client.failure(response, what)
            data = _decoded(response, self.url).read()
            if checksum_bytes(data) != checksum:
                self._warn_corrupt(checksum)
                return None
            self._recent.add(checksum, data)
            return data

        return self.client.request("GET", f"/{checksum}", what, handle)

    def open(self, checksum: str) -> BinaryIO | None:
        """A stream that hashes what it hands out and raises StoreError at the end if
        the bytes were not the buffer's, so even a streamed read is never silently wrong."""
        what = f"get buffer {require_checksum(checksum)}"
        opened = self.client.stream(f"/{checksum}", what)
        if opened is None:
            return None
        response, close = opened
        try:
            body = _decoded(response, self.url)
        except StoreError:
            close()
            raise
        return io.BufferedReader(_VerifiedStream(body, close, checksum, self.url), CHUNK)

    def write_to(self, checksum: str, dest: Path) -> bool:
        return self._download(checksum, Path(dest), in_place=False)

    def write_new(self, checksum: str, dest: Path) -> bool:
        """`write_to` for a path nobody else looks at yet (a fresh workspace), as
        LocalBufferStore.write_new: a small buffer is written in place, without a
        temporary file and a rename; a big one as `write_to` writes it."""
        return self._download(checksum, Path(dest), in_place=True)

    def _download(self, checksum: str, dest: Path, in_place: bool) -> bool:
        what = f"get buffer {require_checksum(checksum)}"
        kept = self._recent.get(checksum)
        if kept is not None:
            _write_small(kept, dest, in_place)
            return True

        def handle(response: http.client.HTTPResponse) -> bool:
            if response.status in (400, 404):
                response.read()
                return False
            if response.status != 200:
                raise self.client.failure(response, what)
            data = _small_body(response)
            if data is not None:  # read whole: no chunk buffer (see _small_body)
                if checksum_bytes(data) != checksum:
                    self._warn_corrupt(checksum)
                    return False
                _write_small(data, dest, in_place)
                return True
            try:
                with temp_in(dest.parent) as (out, tmp):
                    got, _ = copy_hashing(_NetworkReader(_decoded(response, self.url)), out)
                    if got != checksum:
                        tmp.unlink()
                        self._warn_corrupt(checksum)
                        return False
                    out.flush()
                    os.fchmod(out.fileno(), FILE_MODE)
                    os.replace(tmp, dest)
            except _NetworkError as exc:
                raise exc.cause from None  # for the retry loop: download again
            except OSError as exc:
                raise os_error(exc, dest, "write") from None  # a full disk: no retry
            return True

        return self.client.request("GET", f"/{checksum}", what, handle)

    # ---- writes --------------------------------------------------------------

    def put(self, data: bytes) -> str:
        checksum = checksum_bytes(data)
        self._upload(checksum, data, len(data), f"store buffer {checksum}", None)
        self._recent.add(checksum, data)
        return checksum

    def put_many(self, buffers: list[bytes]) -> list[str]:
        """Store small buffers in one request where the server can (seamlessflow's
        hashserver verifies each against its checksum and stores none unless all do),
        else one PUT each. Returns only once the server holds them all, as `put` does."""
        checksums = [checksum_bytes(data) for data in buffers]
        if len(buffers) > 1 and not self._one_by_one:
            manifest = orjson.dumps([[cs, len(data)] for cs, data in zip(checksums, buffers,
                                                                          strict=True)])
            body = b"".join([manifest, b"\n", *buffers])
            what = f"store {len(buffers)} buffers"

            def handle(response: http.client.HTTPResponse) -> bool:
                """Whether the server took them; False: it has no put-many."""
                if response.getheader(PUT_MANY_HEADER) is None:
                    if response.status not in _NO_SUCH_REQUEST:  # 401, 5xx: not about this
                        raise self.client.failure(response, what)
                    response.read()
                    return False
                if response.status != 200:
                    raise self.client.failure(response, what)
                response.read()
                return True

            if not self.client.request("PUT", PUT_MANY_PATH, what, handle, body=body,
                                       length=len(body)):
                self._one_by_one = True
                for data in buffers:
                    self.put(data)
        else:
            for data in buffers:
                self.put(data)
        for cs, data in zip(checksums, buffers, strict=True):
            self._recent.add(cs, data)
        return checksums

    def put_file(self, path: Path, checksum: str | None = None, hardlink: bool = False) -> str:
        """`hardlink` has no meaning across HTTP and is ignored. With `checksum` given the
        file is read once: the server hashes what it receives and refuses bytes that do
        not match, which is the check LocalBufferStore makes by hashing while copying."""
        path = Path(path)
        try:
            size = path.stat().st_size
            if size < SMALL_BODY:  # read once, hashed and sent from memory
                data = path.read_bytes()
                checksum = checksum or checksum_bytes(data)
                self._upload(checksum, data, len(data), f"store {path}", path)
                self._recent.add(checksum, data)
                return checksum
            if checksum is None:
                checksum = checksum_file(path)
            if size >= ASK_FIRST and self.has([checksum])[0]:
                return checksum
            with open(path, "rb") as f:
                self._upload(checksum, f, size, f"store {path}", path)
        except OSError as exc:
            raise os_error(exc, path, "store") from None
        return checksum

    def _upload(self, checksum: str, body: bytes | BinaryIO, size: int, what: str,
                path: Path | None) -> None:
        def handle(response: http.client.HTTPResponse) -> bool:
            """Whether the server says the bytes are stored."""
            if response.status in _STORED or response.status == _IN_PROGRESS:
                response.read()
                return response.status != _IN_PROGRESS
            if response.status == 400 and path is not None:
                response.read()
                raise StoreError(f"{path} changed while it was being stored: the hashserver "
                                 f"{self.url} received bytes that do not hash to {checksum}")
            raise self.client.failure(response, what)

        for _ in range(TAKEOVERS):
            if self.client.request("PUT", f"/{checksum}", what, handle, body=body, length=size):
                return
            if self._holds(checksum, size):  # the other upload stored it
                return
        raise StoreError(f"hashserver {self.url}: cannot {what}: {TAKEOVERS} uploads of it "
                         "were turned away while other uploads of the same buffer never "
                         "stored it")

    def _holds(self, checksum: str, size: int) -> bool:
        """Whether the server holds the buffer, asked in a way that waits out an upload
        of it under way (Seamless's `/buffer-length` does). An empty buffer's length
        tells nothing: it is simply uploaded again."""
        return size > 0 and self.lengths([checksum])[0] == size

    def _warn_corrupt(self, checksum: str) -> None:
        log.warning("warning: hashserver %s sent bytes for %s that do not hash to it; "
                    "treating the buffer as missing", self.url, checksum)


class _NetworkError(Exception):
    """Carries a failed read of the answer past the local file handling, which turns
    OSError into StoreError: only network failures are worth retrying."""

    def __init__(self, cause: OSError | http.client.HTTPException):
        super().__init__(str(cause))
        self.cause = cause


class _NetworkReader:
    def __init__(self, response: http.client.HTTPResponse):
        self.response = response

    def readinto(self, buffer: bytearray | memoryview) -> int:
        try:
            return self.response.readinto(buffer)
        except (OSError, http.client.HTTPException) as exc:
            raise _NetworkError(exc) from None


class _Recent:
    """Small buffers by checksum, the least recently used dropped beyond RECENT_BYTES;
    shared by the threads of a run or a worker."""

    def __init__(self) -> None:
        self._buffers: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def add(self, checksum: str, data: bytes) -> None:
        if len(data) >= SMALL_BODY:
            return
        with self._lock:
            if checksum in self._buffers:
                self._buffers.move_to_end(checksum)
                return
            self._buffers[checksum] = data
            self._size += len(data)
            while self._size > RECENT_BYTES:
                self._size -= len(self._buffers.popitem(last=False)[1])

    def get(self, checksum: str) -> bytes | None:
        with self._lock:
            data = self._buffers.get(checksum)
            if data is not None:
                self._buffers.move_to_end(checksum)
            return data


def _small_body(response: http.client.HTTPResponse) -> bytes | None:
    """The whole body of a 200 answer when it is plain bytes of a known length below
    SMALL_BODY; else None, and nothing is read. A body cut short raises IncompleteRead,
    for the retry loop."""
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity" or response.length is None or response.length >= SMALL_BODY:
        return None
    return response.read()


def _write_small(data: bytes, dest: Path, in_place: bool) -> None:
    """Write a verified small buffer at `dest`: in place for a path nobody looks at yet
    (unless something is there already), else through a temporary file and a rename."""
    if in_place:
        try:
            with open(dest, "xb") as out:
                out.write(data)
            return
        except (FileExistsError, FileNotFoundError):
            pass  # replaced, or its folder made, as write_to does
        except OSError as exc:
            raise os_error(exc, dest, "write") from None
    atomic_write_bytes(dest, data)


def _decoded(response: http.client.HTTPResponse, url: str) -> BinaryIO:
    """The body as the buffer's bytes. Seamless's hashserver keeps a buffer uploaded
    with `Content-Encoding: gzip` compressed on disk and sends it back compressed,
    whatever the client asked for; gzip is undone here, other encodings are refused."""
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding == "identity":
        return response  # type: ignore[return-value]
    if encoding == "gzip":
        return io.BufferedReader(_Gunzip(response), CHUNK)  # type: ignore[return-value]
    response.read()
    raise StoreError(f"hashserver {url} sent a buffer in the '{encoding}' encoding, which "
                     "seamlessflow cannot decode; upload it again without compression")


class _Gunzip(io.RawIOBase):
    """gzip decoding as a stream, in bounded pieces: memory stays flat however well the
    buffer compresses."""

    def __init__(self, raw: http.client.HTTPResponse):
        self._raw = raw
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        while not self._pending:
            tail = self._inflate.unconsumed_tail
            if tail:
                self._pending = self._inflate.decompress(tail, size)
                continue
            chunk = self._raw.read(CHUNK)
            if not chunk:
                self._pending = self._inflate.flush()
                if not self._pending:
                    return 0
                break
            try:
                self._pending = self._inflate.decompress(chunk, size)
            except zlib.error as exc:
                raise OSError(f"corrupt gzip data: {exc}") from None
        n = min(size, len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


class _VerifiedStream(io.RawIOBase):
    """The body of a GET, hashed as it is read; owns the connection it reads from."""

    def __init__(self, response: BinaryIO, close: Callable[[], None], checksum: str, url: str):
        self._response = response
        self._close = close
        self._checksum = checksum
        self._url = url
        self._hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            n = self._response.readinto(buffer)
        except (OSError, http.client.HTTPException) as exc:
            raise StoreError(f"hashserver {self._url}: cannot get buffer {self._checksum}: "
                             f"{describe_error(exc)}") from None
        if n:
            self._hash.update(memoryview(buffer)[:n])
        elif self._hash.hexdigest() != self._checksum:
            raise StoreError(f"hashserver {self._url} sent bytes for {self._checksum} "
                             "that do not hash to it")
        return n

    def close(self) -> None:
        if not self.closed:
            self._close()
        super().close()
