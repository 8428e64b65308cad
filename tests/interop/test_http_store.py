"""seamlessflow's HTTP buffer store against the real hashserver (PyPI `hashserver` 1.1.0)."""

from __future__ import annotations

import hashlib
import random
import socket
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from seamlessflow.storage.http_store import HttpBufferStore
from seamlessflow.storage.local_store import LocalBufferStore
from seamlessflow.storage.trees import put_tree, write_tree

SMALL = "ünïcode buffer\n".encode()
LARGE = random.Random(7).randbytes(3 << 20)  # above the size where put_file asks /has first


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_http_store_round_trips_through_the_real_hashserver(tmp_path, hashserver):
    folder = tmp_path / "buffers"
    http = hashserver(folder)
    store = HttpBufferStore(http.base)
    source = tmp_path / "large.dat"
    source.write_bytes(LARGE)

    assert store.put(SMALL) == sha(SMALL)
    assert store.put(b"") == sha(b"")
    assert store.put_file(source) == sha(LARGE)
    assert store.put_file(source) == sha(LARGE)  # already there: nothing to do
    absent = sha(b"absent")
    assert store.has([sha(SMALL), sha(LARGE), absent, sha(b"")]) == [True, True, False, True]
    assert store.lengths([sha(SMALL), sha(LARGE), absent]) == [len(SMALL), len(LARGE), 0]
    assert store.get(sha(SMALL)) == SMALL
    assert store.get(sha(b"")) == b""
    assert store.get(absent) is None
    with store.open(sha(LARGE)) as stream:
        assert stream.read() == LARGE
    assert store.open(absent) is None
    assert store.write_to(sha(LARGE), tmp_path / "out.dat")
    assert (tmp_path / "out.dat").read_bytes() == LARGE
    assert not store.write_to(absent, tmp_path / "never.dat")
    assert not (tmp_path / "never.dat").exists()

    local = LocalBufferStore(folder)  # what went over HTTP is in the folder, in its layout
    assert local.get(sha(SMALL)) == SMALL
    assert local.verify(sha(LARGE))


def test_directory_round_trips_through_the_real_hashserver(tmp_path, hashserver, make_tree,
                                                           snapshot):
    store = HttpBufferStore(hashserver(tmp_path / "buffers").base)
    files = make_tree(tmp_path / "data")
    checksum, index = put_tree(store, tmp_path / "data")
    write_tree(store, checksum, tmp_path / "copy")
    assert snapshot(tmp_path / "copy") == files
    assert set(index) == set(files)


def test_corrupt_buffer_on_the_server_is_missing_for_the_http_store(tmp_path, hashserver):
    folder = tmp_path / "buffers"
    checksum = LocalBufferStore(folder).put(SMALL)
    path = LocalBufferStore(folder).path_of(checksum)
    path.chmod(0o644)
    path.write_bytes(b"bit rot")
    store = HttpBufferStore(hashserver(folder).base)
    assert store.get(checksum) is None
    assert not store.write_to(checksum, tmp_path / "out")


def test_gzip_uploads_to_the_real_hashserver_are_read_back_decoded(tmp_path, hashserver):
    """A Seamless client may upload with Content-Encoding: gzip; the real hashserver then
    keeps CS.gz and answers with the compressed bytes: HttpBufferStore decodes them."""
    import gzip
    import urllib.request

    http = hashserver(tmp_path / "buffers")
    data = b"compressible line\n" * 50_000
    checksum = sha(data)
    request = urllib.request.Request(f"{http.base}/{checksum}", data=gzip.compress(data),
                                     method="PUT", headers={"Content-Encoding": "gzip"})
    with urllib.request.urlopen(request) as reply:
        assert reply.status in (200, 201)
    assert list((tmp_path / "buffers").rglob(f"{checksum}.gz"))  # kept compressed

    store = HttpBufferStore(http.base)
    assert store.get(checksum) == data
    assert store.write_to(checksum, tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == data
    with store.open(checksum) as stream:
        assert stream.read() == data


@pytest.mark.parametrize("how", ["put", "put_file"])
def test_an_upload_beside_a_dying_one_on_the_real_hashserver_stores_the_bytes(tmp_path,
                                                                              hashserver, how):
    """While another upload of the same buffer is under way, the real hashserver answers
    a PUT with 202 and counts the buffer in `/has` (which `put_file` asks first for a
    large file); when that upload dies, the bytes must still end up stored."""
    http = hashserver(tmp_path / "buffers")
    port = urllib.parse.urlsplit(http.base).port
    log = tmp_path / f"hashserver-{port}.log"
    checksum = sha(LARGE)
    source = tmp_path / "large.dat"
    source.write_bytes(LARGE)
    store = HttpBufferStore(http.base)
    call, seen = {"put": (lambda: store.put(LARGE), f'"PUT /{checksum} HTTP/1.1" 202'),
                  "put_file": (lambda: store.put_file(source), '"GET /has HTTP/1.1" 200')}[how]
    with socket.create_connection(("127.0.0.1", port)) as stalled, ThreadPoolExecutor(1) as pool:
        stalled.sendall(f"PUT /{checksum} HTTP/1.1\r\nHost: test\r\n"
                        f"Content-Length: {len(LARGE)}\r\n\r\n".encode() + LARGE[:1 << 16])
        wait_until(lambda: list((tmp_path / "buffers").rglob(checksum + "-*")))  # receiving
        upload = pool.submit(call)
        wait_until(lambda: upload.done() or seen in log.read_text())  # told "in progress"
        stalled.close()  # the first uploader dies
        assert upload.result() == checksum
    reply = http.get(checksum)
    assert (reply.status, sha(reply.body)) == (200, checksum)


def wait_until(condition, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.01)


def test_several_buffers_stored_at_once_reach_the_real_hashserver_one_by_one(tmp_path,
                                                                            hashserver):
    """Seamless's hashserver has no put-many: the store finds that out from its answer
    and PUTs each buffer, so a worker's captures still reach it."""
    folder = tmp_path / "buffers"
    store = HttpBufferStore(hashserver(folder).base)
    buffers = [b"capture one\n", b"capture two\n", b"{}\n"]

    assert store.put_many(buffers) == [sha(b) for b in buffers]
    assert store.put_many([b"later\n", b"again\n"]) == [sha(b"later\n"), sha(b"again\n")]

    local = LocalBufferStore(folder)
    for data in [*buffers, b"later\n", b"again\n"]:
        assert local.get(sha(data)) == data
