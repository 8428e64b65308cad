"""The real hashserver (PyPI `hashserver` 1.1.0) and seamlessflow share one buffer folder.

The server runs as its own process on a loopback port, serving the folder that
seamlessflow's LocalBufferStore (and so `seamlessflow upload/download`) uses; requests
are made with urllib, with the bodies a Seamless client (seamless-remote) sends.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil

from seamlessflow.storage.local_store import LocalBufferStore

SMALL = "ünïcode buffer\n".encode()
LARGE = random.Random(5).randbytes(3 << 20)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_hashserver_serves_buffers_written_by_local_store(tmp_path, hashserver):
    folder = tmp_path / "buffers"
    store = LocalBufferStore(folder)
    source = tmp_path / "large.dat"
    source.write_bytes(LARGE)
    live = b"written while the server runs\n"
    before = [store.put(SMALL), store.put_file(source), store.put(b"")]

    http = hashserver(folder)
    after = store.put(live)  # a live, shared folder

    for checksum, data in zip([*before, after], [SMALL, LARGE, b"", live], strict=True):
        reply = http.get(checksum)
        assert (reply.status, reply.body) == (200, data)
    absent = sha(b"never stored")
    assert http.query("/has", [*before, absent, after]) == [True, True, True, False, True]
    lengths = http.query("/buffer-length", [before[0], before[1], absent])
    assert lengths == [len(SMALL), len(LARGE), 0]
    assert http.get(absent).status == 404
    assert http.put(before[0], SMALL).status == 201  # already there: same path, same layout


def test_buffers_put_to_hashserver_are_read_by_local_store(tmp_path, hashserver):
    folder = tmp_path / "buffers"
    http = hashserver(folder)
    for data in (SMALL, LARGE):
        assert http.put(sha(data), data).status == 200

    store = LocalBufferStore(folder)
    assert store.has([sha(SMALL), sha(LARGE), sha(b"absent")]) == [True, True, False]
    assert store.lengths([sha(SMALL), sha(LARGE)]) == [len(SMALL), len(LARGE)]
    assert store.get(sha(SMALL)) == SMALL
    assert store.verify(sha(LARGE))
    assert store.write_to(sha(LARGE), tmp_path / "out.dat")
    assert (tmp_path / "out.dat").read_bytes() == LARGE

    wrong = sha(b"what the name promises")
    reply = http.put(wrong, b"something else")
    assert (reply.status, reply.body) == (400, b"Incorrect checksum")
    assert store.has([wrong]) == [False]


def test_folder_layout_is_identical(tmp_path, hashserver, snapshot):
    """The same buffers stored by each side give the same files: prefix folders, names,
    bytes and the `.HASHSERVER_PREFIX` marker."""
    buffers = [SMALL, b"", b"x" * 1000, LARGE]
    by_server = tmp_path / "by-server"
    http = hashserver(by_server)
    for data in buffers:
        assert http.put(sha(data), data).status == 200
    by_store = tmp_path / "by-store"
    store = LocalBufferStore(by_store)
    for data in buffers:
        store.put(data)
    assert snapshot(by_store) == snapshot(by_server)
    assert (by_store / ".HASHSERVER_PREFIX").read_bytes() == b"1\n"


def test_corrupt_buffer_is_served_by_neither(tmp_path, hashserver):
    folder = tmp_path / "buffers"
    store = LocalBufferStore(folder)
    checksum = store.put(SMALL)
    path = store.path_of(checksum)
    path.chmod(0o644)
    path.write_bytes(b"bit rot")
    http = hashserver(folder)
    assert http.get(checksum).status == 400  # the hashserver re-hashes on every GET
    assert store.get(checksum) is None  # seamlessflow drops it
    assert http.get(checksum).status == 404


def test_seamlessflow_upload_is_served_to_a_seamless_client(sf, hashserver, make_tree):
    """What `seamlessflow upload` stores, a Seamless user holding only the sidecars and
    the hashserver's URL can fetch: every file, and the directory's index buffer."""
    http = hashserver(sf.cache / "__TOPLEVEL__")
    (sf.work / "f.txt").write_bytes(SMALL)
    files = make_tree(sf.work / "data")
    sf("upload", "f.txt", "data")

    assert http.get((sf.work / "f.txt.CHECKSUM").read_text().strip()).body == SMALL
    dir_checksum = (sf.work / "data.CHECKSUM").read_text().strip()
    index = json.loads(http.get(dir_checksum).body)
    assert {rel: http.get(cs).body for rel, cs in index.items()} == files


def test_seamlessflow_download_fetches_what_a_seamless_client_put(sf, hashserver, make_tree,
                                                                  seamless_tool, snapshot):
    """The reverse: a Seamless user PUTs the bytes to the hashserver and writes sidecars
    with seamless-core's tools; `seamlessflow download`, sharing the buffer folder, rebuilds
    the file and the directory."""
    http = hashserver(sf.cache / "__TOPLEVEL__")
    (sf.work / "f.txt").write_bytes(LARGE)
    files = make_tree(sf.work / "data")
    seamless_tool("seamless-checksum-file", sf.work / "f.txt")
    seamless_tool("seamless-checksum-index", sf.work / "data")
    for data in [LARGE, *files.values()]:
        assert http.put(sha(data), data).status in (200, 201)
    (sf.work / "f.txt").unlink()
    shutil.rmtree(sf.work / "data")

    sf("download", "f.txt", "data")
    assert (sf.work / "f.txt").read_bytes() == LARGE
    assert snapshot(sf.work / "data") == files
