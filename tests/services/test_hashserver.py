"""The hashserver and HttpBufferStore: Seamless's wire format, verification, memory."""

from __future__ import annotations

import hashlib
import os
import pickle
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from seamlessflow.config.tokens import token_for_url
from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import checksum_bytes
from seamlessflow.storage.http_store import HttpBufferStore
from seamlessflow.storage.local_store import LocalBufferStore


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_buffers_round_trip_into_the_local_store_layout(hashserver, tmp_path):
    store = HttpBufferStore(hashserver.url)
    small = store.put(b"hello")
    big_file = tmp_path / "big.bin"
    big_file.write_bytes(os.urandom(3 << 20))
    big = store.put_file(big_file)
    absent = checksum_bytes(b"never stored")

    assert small == checksum_bytes(b"hello")
    assert big == hashlib.sha256(big_file.read_bytes()).hexdigest()
    assert store.has([small, absent, big]) == [True, False, True]
    assert store.lengths([small, absent, big]) == [5, 0, 3 << 20]
    assert store.get(small) == b"hello"
    assert store.get(store.put(b"")) == b""
    assert store.get(absent) is None
    assert store.write_to(big, tmp_path / "copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == big_file.read_bytes()
    assert not store.write_to(absent, tmp_path / "nothing")
    with pytest.raises(StoreError, match="cannot write .*big.bin/copy"):  # local: no retrying
        store.write_to(big, big_file / "copy")
    assert store.open(absent) is None
    with store.open(big) as stream:
        assert stream.read() == big_file.read_bytes()
    # the folder is LocalBufferStore's: a local reader sees the same buffers
    local = LocalBufferStore(tmp_path / "buffers")
    assert local.get(small) == b"hello"
    assert local.path_of(big).is_file()
    assert (tmp_path / "buffers" / ".HASHSERVER_PREFIX").read_text() == "1\n"
    # a pickled copy (what a spawn worker receives) reconnects by itself
    assert pickle.loads(pickle.dumps(store)).get(small) == b"hello"


def test_write_new_writes_a_workspace_input_in_place_whatever_its_size(hashserver, tmp_path):
    """What a remote worker does with each input of a step: small buffers (read whole)
    and big ones (streamed) alike end up at the path, complete and writable."""
    store = HttpBufferStore(hashserver.url)
    small, big = b"small input\n", os.urandom(3 << 20)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    for data in (small, big):
        dest = workspace / f"in-{len(data)}"
        assert store.write_new(store.put(data), dest)
        assert dest.read_bytes() == data
        assert dest.stat().st_mode & 0o200
    existing = workspace / "existing"
    existing.write_bytes(b"old")
    assert store.write_new(checksum_bytes(small), existing)
    assert existing.read_bytes() == small
    assert store.write_new(checksum_bytes(small), workspace / "sub" / "in.txt")
    assert (workspace / "sub" / "in.txt").read_bytes() == small
    assert store.write_new(checksum_bytes(b"never stored"), workspace / "absent") is False
    assert not (workspace / "absent").exists()
    assert sorted(p.name for p in workspace.iterdir()) == [
        "existing", f"in-{len(small)}", f"in-{len(big)}", "sub"]  # no temporary file left


def test_put_file_with_the_wrong_checksum_is_refused_and_stores_nothing(hashserver, tmp_path):
    store = HttpBufferStore(hashserver.url)
    path = tmp_path / "f.txt"
    path.write_bytes(b"what is really there")
    claimed = checksum_bytes(b"what the caller believed")
    with pytest.raises(StoreError, match="changed while it was being stored"):
        store.put_file(path, checksum=claimed)
    assert store.has([claimed, checksum_bytes(path.read_bytes())]) == [False, False]


def test_wire_format_is_seamless_hashservers(raw, hashserver):
    url = hashserver.url
    data = b"some bytes"
    cs = checksum_bytes(data)
    other = checksum_bytes(b"other")
    assert raw(url, "GET", "/healthcheck") == (200, b"OK")
    assert raw(url, "PUT", f"/{cs}", data) == (200, b"OK")
    assert raw(url, "PUT", f"/{cs}", data)[0] == 201  # already there
    assert raw(url, "GET", f"/{cs}") == (200, data)
    assert raw(url, "GET", f"/{cs.upper()}") == (200, data)
    assert raw(url, "GET", f"/{other}")[0] == 404
    assert raw(url, "GET", "/not-a-checksum")[0] == 400
    json_type = {"Content-Type": "application/json"}
    body = orjson.dumps([cs, other])
    assert raw(url, "GET", "/has", body, json_type) == (200, b"[true,false]")
    assert raw(url, "GET", "/has", body) == (200, b"[true,false]")  # content type optional here
    assert raw(url, "GET", "/buffer-length", body, json_type) == (200, b"[10,0]")
    assert raw(url, "GET", "/has", b'["nope"]', json_type)[0] == 400
    assert raw(url, "GET", "/has", b"{not json", json_type)[0] == 400


def test_put_whose_body_does_not_match_gets_400_and_stores_nothing(raw, hashserver, tmp_path):
    claimed = checksum_bytes(b"the real thing")
    status, text = raw(hashserver.url, "PUT", f"/{claimed}", b"an impostor")
    assert (status, text) == (400, b"Incorrect checksum")
    assert raw(hashserver.url, "GET", f"/{claimed}")[0] == 404
    assert files_in(tmp_path / "buffers") == [".HASHSERVER_PREFIX"]  # no temp file left


def test_read_only_hashserver_serves_but_refuses_puts_with_405(raw, start_service, tmp_path):
    local = LocalBufferStore(tmp_path / "shared")
    cs = local.put(b"made locally")
    service = start_service("hashserver", "--dir", str(tmp_path / "shared"))
    store = HttpBufferStore(service.url)
    assert store.get(cs) == b"made locally"
    assert raw(service.url, "PUT", f"/{checksum_bytes(b'x')}", b"x")[0] == 405
    with pytest.raises(StoreError, match=f"hashserver {service.url}: .*read-only"):
        store.put(b"new bytes")


@pytest.mark.parametrize("size", [100, 3 << 20])
def test_a_corrupt_stored_buffer_is_never_served(hashserver, tmp_path, size):
    store = HttpBufferStore(hashserver.url, retries=1)
    data = os.urandom(size)
    cs = store.put(data)
    path = LocalBufferStore(tmp_path / "buffers").path_of(cs)
    path.chmod(0o644)
    path.write_bytes(b"X" + data[1:])  # same length, one byte changed

    reader = HttpBufferStore(hashserver.url, retries=1)  # not the writer, which keeps
    assert reader.get(cs) is None                        # a small buffer it sent
    assert not path.exists()  # the server dropped it
    assert store.put(data) == cs  # and a new upload repairs it
    assert HttpBufferStore(hashserver.url).get(cs) == data


def test_uploads_above_the_body_limit_are_refused(start_service, tmp_path):
    service = start_service("hashserver", "--writable", "--dir", str(tmp_path / "b"),
                            "--max-body", "1K")
    store = HttpBufferStore(service.url)
    store.put(b"x" * 1024)
    with pytest.raises(StoreError, match="HTTP 413.*limit of 1024 bytes"):
        store.put(b"x" * 1025)


MEASURE_CLIENT = textwrap.dedent('''
    import resource, sys
    from pathlib import Path
    from seamlessflow.storage.http_store import HttpBufferStore

    url, big, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    store = HttpBufferStore(url)
    store.put(b"warm up")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cs = store.put_file(big)
    assert store.write_to(cs, out)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(cs, (after - before) // 1024)  # ru_maxrss is in KiB on Linux
''')


def test_a_200_mib_buffer_keeps_client_and_server_memory_flat(hashserver, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:  # sparse: no disk, reads as zeros
        f.truncate(200 << 20)
    HttpBufferStore(hashserver.url).put(b"warm up the server")
    server_before = hashserver.peak_rss_kib()
    out = subprocess.run([sys.executable, "-c", MEASURE_CLIENT, hashserver.url, str(big),
                          str(tmp_path / "copy.bin")], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    checksum, client_growth_mib = out.stdout.split()
    assert checksum == hashlib.sha256(b"\0" * (200 << 20)).hexdigest()
    assert (tmp_path / "copy.bin").stat().st_size == 200 << 20
    assert int(client_growth_mib) < 50
    assert (hashserver.peak_rss_kib() - server_before) // 1024 < 50


def stalled_upload(port: int, data: bytes, sent: int) -> socket.socket:
    """A raw `PUT` announcing all of `data` that sends only its first `sent` bytes and
    then waits, as a client that hangs or dies halfway does."""
    sock = socket.create_connection(("127.0.0.1", port))
    auth = f"Authorization: Bearer {token_for_url(f'http://127.0.0.1:{port}')}\r\n"
    sock.sendall(f"PUT /{checksum_bytes(data)} HTTP/1.1\r\nHost: test\r\n{auth}"
                 f"Content-Length: {len(data)}\r\n\r\n".encode() + data[:sent])
    return sock


def test_an_upload_cut_off_midway_stores_nothing_and_blocks_nothing(hashserver, tmp_path):
    folder = tmp_path / "buffers"
    data = os.urandom(4 << 20)
    cs = checksum_bytes(data)
    with stalled_upload(hashserver.port, data, 1 << 20):
        wait_until(lambda: temp_files(folder))  # the server is receiving it
    wait_until(lambda: not temp_files(folder))  # ... and cleaned up after the hang-up
    store = HttpBufferStore(hashserver.url)
    assert store.has([cs]) == [False]
    assert store.put(data) == cs  # stored now, not "already in progress"
    assert store.get(cs) == data


def test_has_does_not_count_an_upload_under_way(hashserver, tmp_path):
    data = os.urandom(4 << 20)
    with stalled_upload(hashserver.port, data, 1 << 20):
        wait_until(lambda: temp_files(tmp_path / "buffers"))  # the server is receiving it
        assert HttpBufferStore(hashserver.url).has([checksum_bytes(data)]) == [False]


@pytest.mark.parametrize("size", [512 << 10, 4 << 20])  # below and above ASK_FIRST
def test_upload_beside_a_stalled_upload_of_the_same_bytes_really_stores_them(
        hashserver, service_env, tmp_path, size):
    """`upload` reports success only once its own bytes are stored: the other upload
    of the same buffer may never finish."""
    folder = tmp_path / "buffers"
    data = os.urandom(size)
    source = tmp_path / "f.bin"
    source.write_bytes(data)
    with stalled_upload(hashserver.port, data, 64 << 10):
        wait_until(lambda: temp_files(folder))  # the server is receiving it
        out = subprocess.run(
            [sys.executable, "-m", "seamlessflow", "upload", str(source)],
            env={**service_env, "SEAMLESSFLOW_HASHSERVER": hashserver.url},
            capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    wait_until(lambda: not temp_files(folder))  # the stalled client hung up
    assert HttpBufferStore(hashserver.url).get(checksum_bytes(data)) == data
    assert LocalBufferStore(folder).get(checksum_bytes(data)) == data


def test_a_run_records_a_result_only_once_its_bytes_are_stored(hashserver, service_env,
                                                                 tmp_path):
    """Another client stalls while uploading the very bytes a step captures: the run
    stores its own copy before recording the result, so once that client hangs up every
    buffer the database names is still there."""
    import sqlite3

    root = tmp_path / "project"
    root.mkdir()
    (root / "Seamlessfile").write_text('step count:\n    shell: "seq 1 100000 > out.txt"\n'
                                       "    captures: out.txt -> out.txt\n")
    captured = "".join(f"{i}\n" for i in range(1, 100001)).encode()
    database = tmp_path / "cache" / "__TOPLEVEL__" / "seamless.db"

    def recorded() -> list[str]:
        try:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
                return [cs for (cs,) in db.execute("SELECT result FROM transformation UNION "
                                                   "SELECT checksum FROM seamlessflow_capture")]
        except sqlite3.OperationalError:  # not made yet
            return []

    with stalled_upload(hashserver.port, captured, 64 << 10):
        wait_until(lambda: temp_files(tmp_path / "buffers"))  # the server is receiving it
        run = subprocess.Popen(
            [sys.executable, "-m", "seamlessflow", "-C", str(root), "run"],
            env={**service_env, "SEAMLESSFLOW_HASHSERVER": hashserver.url},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_until(lambda: run.poll() is not None or recorded(), within=120)
    _, err = run.communicate(timeout=120)  # the stalled client hung up
    assert checksum_bytes(captured) in recorded()
    assert LocalBufferStore(tmp_path / "buffers").has(recorded()) == [True, True]
    assert run.returncode == 0, err
    assert (root / "out.txt").read_bytes() == captured


def temp_files(folder: Path) -> list[str]:
    return [f for f in files_in(folder) if ".seamlessflow-tmp-" in f]


def wait_until(condition, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.01)


def test_two_hashservers_share_one_folder(start_service, hashserver, tmp_path):
    second = start_service("hashserver", *hashserver.args)
    stores = [HttpBufferStore(hashserver.url), HttpBufferStore(second.url)]
    data = os.urandom(8 << 20)
    with ThreadPoolExecutor(4) as pool:
        stored = list(pool.map(lambda i: stores[i % 2].put(data), range(8)))
    assert set(stored) == {checksum_bytes(data)}
    assert [store.get(stored[0]) == data for store in stores] == [True, True]
    assert not temp_files(tmp_path / "buffers")


def put_many_body(pairs: list[tuple[str, bytes]]) -> bytes:
    manifest = orjson.dumps([[cs, len(data)] for cs, data in pairs])
    return b"".join([manifest, b"\n", *(data for _, data in pairs)])


def test_several_small_buffers_are_stored_in_one_request(hashserver, tmp_path):
    store = HttpBufferStore(hashserver.url)
    buffers = [b"first capture\n", b"", b'{"out.txt": "..."}\n', b"first capture\n"]

    assert store.put_many(buffers) == [checksum_bytes(b) for b in buffers]

    local = LocalBufferStore(tmp_path / "buffers")
    for data in buffers:
        assert local.get(checksum_bytes(data)) == data
    assert store.has([checksum_bytes(b) for b in buffers]) == [True] * 4


def test_a_put_many_with_one_wrong_checksum_stores_none_of_its_buffers(hashserver, raw,
                                                                       tmp_path):
    good, bad = b"good bytes\n", b"bytes that are not what they claim\n"
    body = put_many_body([(checksum_bytes(good), good), (checksum_bytes(b"other"), bad)])

    status, text = raw(hashserver.url, "PUT", "/seamlessflow/put-many", body)

    assert (status, text) == (400, b"Incorrect checksum")
    assert files_in(tmp_path / "buffers") == [".HASHSERVER_PREFIX"]
    for malformed in (b"no manifest", b'[["abc", 3]]\nabc',
                      put_many_body([(checksum_bytes(good), good)])[:-1]):
        status, _ = raw(hashserver.url, "PUT", "/seamlessflow/put-many", malformed)
        assert status == 400
    assert files_in(tmp_path / "buffers") == [".HASHSERVER_PREFIX"]


def test_a_read_only_hashserver_refuses_a_put_many(start_service, tmp_path):
    (tmp_path / "ro").mkdir()
    server = start_service("hashserver", "--dir", str(tmp_path / "ro"))
    with pytest.raises(StoreError, match="read-only"):
        HttpBufferStore(server.url).put_many([b"one", b"two"])
    assert files_in(tmp_path / "ro") == []
