"""Two processes sharing one cache at once: no error, no corrupt buffer, no lost result."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap

WORKER = textwrap.dedent('''
    import sys
    from pathlib import Path
    from seamlessflow.storage.local_store import LocalBufferStore
    from seamlessflow.storage.sqlite_db import SqliteResultDatabase
    from seamlessflow.identity.checksum import checksum_bytes

    cache, me, big = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    store = LocalBufferStore(cache / "__TOPLEVEL__")
    db = SqliteResultDatabase(cache / "__TOPLEVEL__" / "seamless.db")
    for i in range(150):
        shared = store.put(b"shared %d" % i * 1000)
        own = store.put(f"own {me} {i}".encode() * 1000)
        db.set_result(checksum_bytes(b"tf shared %d" % i), shared, {"out": shared})
        db.set_result(checksum_bytes(f"tf {me} {i}".encode()), own, {"out": own},
                      {"who": me})
        if i % 50 == 0:
            store.put_file(big)
''')


def test_concurrent_writers(tmp_path):
    cache = tmp_path / "cache"
    big = tmp_path / "big.bin"
    big.write_bytes(hashlib.sha256(b"seed").digest() * 200_000)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(cache), me, str(big)],
                              stderr=subprocess.PIPE, text=True) for me in ("p1", "p2")]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert errors == ["", ""]

    from seamlessflow.storage.local_store import LocalBufferStore
    from seamlessflow.storage.sqlite_db import SqliteResultDatabase

    store = LocalBufferStore(cache / "__TOPLEVEL__")
    db = SqliteResultDatabase(cache / "__TOPLEVEL__" / "seamless.db")
    buffers = [p for p in store.root.glob("??/*")]
    assert len(buffers) == 150 + 2 * 150 + 1
    for path in buffers:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    assert not list(store.root.rglob(".seamlessflow-tmp*"))
    for i in range(150):
        shared = hashlib.sha256(b"shared %d" % i * 1000).hexdigest()
        tf = hashlib.sha256(b"tf shared %d" % i).hexdigest()
        assert db.get_results([tf]) == {tf: shared}
        for me in ("p1", "p2"):
            tf = hashlib.sha256(f"tf {me} {i}".encode()).hexdigest()
            assert db.get_record(tf) == {"who": me}
