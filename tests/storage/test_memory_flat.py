"""Hashing and storing a 1 GiB file keeps memory flat (streamed, never read whole)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

MEASURE = textwrap.dedent('''
    import resource, sys
    from pathlib import Path
    from seamlessflow.storage.local_store import LocalBufferStore

    big, root = Path(sys.argv[1]), Path(sys.argv[2])
    store = LocalBufferStore(root)
    store.put(b"warm up")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cs = store.put_file(big)
    assert store.write_to(cs, root.parent / "copy.bin")
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(cs, (after - before) // 1024)  # ru_maxrss is in KiB on Linux
''')


def test_one_gib_sparse_file_keeps_rss_growth_small(tmp_path):
    big = tmp_path / "sparse.bin"
    with open(big, "wb") as f:
        f.truncate(1 << 30)
    out = subprocess.run([sys.executable, "-c", MEASURE, str(big), str(tmp_path / "store")],
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    checksum, growth_mib = out.stdout.split()
    expected = subprocess.run(["sha256sum", str(big)], capture_output=True, text=True,
                              check=True).stdout.split()[0]
    assert checksum == expected
    assert int(growth_mib) < 100
