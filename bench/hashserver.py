"""Measure hashserver throughput on loopback, through HttpBufferStore.

The issue asks for two figures: one large buffer (1 GiB by default) and many small ones
(10,000 of 1 KiB, as requests per second). Measured, against a `seamlessflow serve
hashserver --writable` started here on a free port:

1. The large buffer, fastest of `--repeat` each:
   - `put_file`: the client hashes the file (it needs the checksum for the URL), asks
     `/has`, then streams it; the server hashes while writing and renames into place.
     The stored copy is removed between repeats so each one uploads.
   - `write_to`: a streamed download, hashed on both ends (the server holds back the last
     chunk until its hash is right), written to a temporary file and renamed.
   The client's peak RSS growth and the server's peak RSS (VmHWM) are reported too:
   both must stay flat whatever the buffer size.
2. The small buffers: `put` one request at a time, `has` for all of them (batched,
   5,000 per request), `get` one at a time; then `put` and `get` from 4 threads (the
   client keeps one keep-alive connection per thread).

With `--seamless`, the same is measured against Seamless's own hashserver (PyPI
`hashserver`, if its command is installed) for reference.

Usage: python bench/hashserver.py [--size-mib 1024] [--count 10000] [--repeat 3]
                                  [--dir DIR] [--seamless]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from seamlessflow.storage.http_store import HttpBufferStore
from seamlessflow.storage.local_store import LocalBufferStore

MIB = 1 << 20
THREADS = 4


def write_large_file(path: Path, size_mib: int) -> None:
    """Pseudo-random bytes one MiB at a time, so writing it does not raise our peak RSS."""
    block = bytearray(os.urandom(MIB))
    with open(path, "wb") as f:
        for i in range(size_mib):
            block[:8] = i.to_bytes(8, "little")
            f.write(block)


def start_seamlessflow(folder: Path) -> tuple[str, subprocess.Popen]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "seamlessflow", "serve", "hashserver", "--writable",
         "--dir", str(folder), "--port", "0"], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.match(r"serving hashserver on (http://\S+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"seamlessflow hashserver did not start: {line!r}")
    return match.group(1), proc


def start_seamless(folder: Path) -> tuple[str, subprocess.Popen]:
    command = shutil.which("hashserver") or str(Path(sys.executable).parent / "hashserver")
    with socket.socket() as s:  # a free port; the tiny race does not matter here
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([command, str(folder), "--writable", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not HttpBufferStore(url, retries=0).healthy():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("Seamless's hashserver did not start")
        time.sleep(0.1)
    return url, proc


def peak_rss_mib(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024


def fastest(repeat: int, run: Callable[[], object], between: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeat):
        between()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def bench_large(store: HttpBufferStore, local: LocalBufferStore, folder: Path, size_mib: int,
                repeat: int, server_pid: int) -> list[str]:
    big = folder / "large.bin"
    write_large_file(big, size_mib)
    checksum = store.put_file(big)  # warm-up, and the checksum for the rest
    rss_before = peak_rss_mib()
    put_s = fastest(repeat, lambda: store.put_file(big), lambda: local.discard(checksum))
    copy = folder / "copy.bin"
    get_s = fastest(repeat, lambda: store.write_to(checksum, copy), lambda: copy.unlink(True))
    growth = peak_rss_mib() - rss_before
    same = copy.stat().st_size == big.stat().st_size
    big.unlink()
    copy.unlink()
    local.discard(checksum)
    return [
        f"| put_file, {size_mib} MiB (hash + upload) | {put_s:.2f} s | {size_mib / put_s:.0f} MiB/s |",
        f"| write_to, {size_mib} MiB (download) | {get_s:.2f} s | {size_mib / get_s:.0f} MiB/s |",
        f"| client peak RSS growth during both | {growth:.0f} MiB | |",
        f"| server peak RSS (VmHWM) | {peak_rss_mib(server_pid):.0f} MiB | |",
    ] + ([] if same else ["| DOWNLOAD SIZE DIFFERS | | |"])


def bench_small(store: HttpBufferStore, count: int) -> list[str]:
    def buffers(tag: str) -> list[bytes]:
        return [f"{tag}{i:08d}".encode().ljust(1024, b".") for i in range(count)]

    rows = []

    def timed(label: str, run: Callable[[], object], requests: int | None = None) -> object:
        start = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
        rate = f"{(requests or count) / seconds:,.0f} req/s" if requests != 0 else ""
        rows.append(f"| {label} | {seconds:.2f} s | {rate} |")
        return result

    one = buffers("a")
    checksums = timed(f"put {count} x 1 KiB, one at a time", lambda: [store.put(b) for b in one])
    timed(f"has for all {count} (batched)", lambda: store.has(checksums),
          requests=0)
    got = timed(f"get {count} x 1 KiB, one at a time",
                lambda: [store.get(cs) for cs in checksums])
    many = buffers("b")
    with ThreadPoolExecutor(THREADS) as pool:
        more = timed(f"put {count} x 1 KiB, {THREADS} threads",
                     lambda: list(pool.map(store.put, many)))
        timed(f"get {count} x 1 KiB, {THREADS} threads", lambda: list(pool.map(store.get, more)))
    if got != one:
        rows.append("| GET RETURNED WRONG BYTES | | |")
    return rows


def measure(name: str, start: Callable[[Path], tuple[str, subprocess.Popen]], tmp: Path,
            args: argparse.Namespace) -> None:
    folder = tmp / name.replace(" ", "-")
    url, proc = start(folder / "buffers")
    try:
        store = HttpBufferStore(url)
        rows = bench_large(store, LocalBufferStore(folder / "buffers"), folder, args.size_mib,
                           args.repeat, proc.pid)
        rows += bench_small(store, args.count)
    finally:
        proc.terminate()
        proc.wait()
    print(f"\n## {name}")
    print("| what | time | rate |")
    print("| --- | --- | --- |")
    print("\n".join(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="large buffer size (1024)")
    parser.add_argument("--count", type=int, default=10_000, help="small buffers (10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each large transfer (3)")
    parser.add_argument("--dir", type=Path, help="where to put files (default: a temp dir)")
    parser.add_argument("--seamless", action="store_true",
                        help="also measure Seamless's hashserver, for reference")
    args = parser.parse_args(argv)
    print(f"# hashserver.py, {datetime.now():%Y-%m-%d %H:%M}, {platform.platform()}, "
          f"{os.cpu_count()} cores, python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="seamlessflow-hs-", dir=args.dir) as tmp:
        measure("seamlessflow hashserver", start_seamlessflow, Path(tmp), args)
        if args.seamless:
            measure("Seamless hashserver 1.1.0", start_seamless, Path(tmp), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
