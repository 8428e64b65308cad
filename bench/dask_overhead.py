"""Measure the dask runner's per-instance overhead against Dask's own.

Issue #6's target: the per-instance overhead of the dask runner for 1,000 trivial steps is
within 2x of Dask's own overhead for 1,000 trivial `client.submit` calls, in the same run
on the same cluster. The cluster is what `seamlessflow serve daskserver` starts (a
LocalCluster of 2 worker processes, 1 thread each), in a process of its own, as in use: in
the benchmark's own process its scheduler would compete with the client for one GIL.
Batches of N tasks, each submitted at once and awaited together, fastest of `--repeat`:

  A. Dask alone: N `client.submit(operator.neg, i)`.
  B. Dask running the steps: N `client.submit(execute_job, job, store)`, one trivial step
     each (`echo $i > out`, captured), as a hand-written Dask integration would.
  B2. Dask running the runner's task function (run_on_worker: the step on the worker's
     event loop, its cancellation watch, its log sent back), without the runner.
  C. The dask runner: the same kind of N steps through DaskRunner.run, each awaited on
     its own as the scheduler does (keys from checksums, outcomes rebuilt).

B - A is what executing the steps costs, so the runner's per-instance overhead is
C - (B - A), compared with A; C - B2 is the runner's client side. The in-process cost of
one step (execute_job in a loop) is shown for scale. Every batch runs fresh steps.

Usage: .venv/bin/python bench/dask_overhead.py [--n 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import operator
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import distributed

from seamlessflow.execution.execute import execute_job
from seamlessflow.execution.job import Job
from seamlessflow.identity.checksum import plain_serialize
from seamlessflow.identity.transformation import build_transformation, transformation_checksum
from seamlessflow.runners.dask import DaskRunner, run_on_worker, scheduler_security
from seamlessflow.storage.local_store import LocalBufferStore

CODE = 'echo "$i" > out'
TARGET_RATIO = 2.0
SERVE = ("from seamlessflow.services.daskserver import serve_local_cluster as serve; "
         "raise SystemExit(serve('127.0.0.1', range(43100, 43200), 2, 1, None))")


class Steps:
    """Fresh trivial steps (distinct params, so Dask never merges them)."""

    def __init__(self, store: LocalBufferStore):
        self.store = store
        self.code = store.put(CODE.encode())
        self.next = 0

    def take(self, n: int) -> list[Job]:
        jobs = []
        for i in range(self.next, self.next + n):
            tf = build_transformation("bash", self.code, {}, {"i": i}, ["out"], False)
            self.store.put(plain_serialize(tf))
            jobs.append(Job(name=f"trivial{i}", checksum=transformation_checksum(tf),
                            transformation=tf, code=CODE))
        self.next += n
        return jobs


async def batch_a(client: distributed.Client, n: int) -> float:
    start = time.perf_counter()
    await client.gather([client.submit(operator.neg, i, pure=False) for i in range(n)])
    return time.perf_counter() - start


async def batch_b(client: distributed.Client, jobs: list[Job], store: LocalBufferStore) -> float:
    start = time.perf_counter()
    outcomes = await client.gather([client.submit(execute_job, j, store, pure=False)
                                    for j in jobs])
    elapsed = time.perf_counter() - start
    assert all(o.ok for o in outcomes)
    return elapsed


async def batch_b2(client: distributed.Client, jobs: list[Job], store: LocalBufferStore) -> float:
    start = time.perf_counter()
    answers = await client.gather([client.submit(run_on_worker, j.to_json(), str(store.root),
                                                 None, pure=False) for j in jobs])
    elapsed = time.perf_counter() - start
    assert all(a["outcome"]["ok"] for a in answers)
    return elapsed


async def batch_c(runner: DaskRunner, jobs: list[Job]) -> float:
    start = time.perf_counter()
    outcomes = await asyncio.gather(*(runner.run(j) for j in jobs))
    elapsed = time.perf_counter() - start
    assert all(o.ok for o in outcomes)
    return elapsed


async def measure(address: str, store: LocalBufferStore, n: int, repeat: int) -> dict[str, float]:
    client = await distributed.Client(address, asynchronous=True, set_as_default=False,
                                      security=scheduler_security(address))
    runner = DaskRunner(address, store)
    steps = Steps(store)
    best = dict.fromkeys(("A", "B", "B2", "C"), float("inf"))
    try:
        # warm-up: worker imports, the runner's connection, the page cache
        await batch_a(client, 50)
        await batch_b(client, steps.take(50), store)
        await batch_b2(client, steps.take(50), store)
        await batch_c(runner, steps.take(50))
        for _ in range(repeat):
            best["A"] = min(best["A"], await batch_a(client, n))
            best["B"] = min(best["B"], await batch_b(client, steps.take(n), store))
            best["B2"] = min(best["B2"], await batch_b2(client, steps.take(n), store))
            best["C"] = min(best["C"], await batch_c(runner, steps.take(n)))
    finally:
        await runner.close()
        await client.close()
    return {k: v / n for k, v in best.items()}


def in_process(store: LocalBufferStore, n: int) -> float:
    jobs = Steps(store).take(n)
    start = time.perf_counter()
    for job in jobs:
        assert execute_job(job, store).ok
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="tasks per batch (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="batches of each kind (default 3)")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        address = server.stdout.readline().split()[-1]
        with tempfile.TemporaryDirectory(prefix="sf-dask-bench-") as tmp:
            store = LocalBufferStore(Path(tmp) / "buffers")
            per = asyncio.run(measure(address, store, args.n, args.repeat))
            local = in_process(LocalBufferStore(Path(tmp) / "local"), 200)
    finally:
        server.terminate()
        server.wait()
    overhead = per["C"] - (per["B"] - per["A"])
    ratio = overhead / per["A"]
    ms = 1000.0
    print(f"{datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()}, N={args.n}, "
          f"fastest of {args.repeat}, `serve daskserver` cluster: 2 workers x 1 thread")
    print()
    print("| batch | per task, ms |")
    print("| --- | --- |")
    print(f"| A. Dask alone: `client.submit(operator.neg, i)` | {per['A'] * ms:.2f} |")
    print(f"| B. Dask running the steps: `client.submit(execute_job, job, store)` | "
          f"{per['B'] * ms:.2f} |")
    print(f"| B2. Dask running the runner's task: `client.submit(run_on_worker, ...)` | "
          f"{per['B2'] * ms:.2f} |")
    print(f"| C. `DaskRunner.run` | {per['C'] * ms:.2f} |")
    print(f"| one step in-process (`execute_job`, serial), for scale | {local * ms:.2f} |")
    print()
    print(f"Runner overhead per instance C - (B - A) = {overhead * ms:.2f} ms = {ratio:.2f}x "
          f"Dask's own {per['A'] * ms:.2f} ms (target <= {TARGET_RATIO:.0f}x: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}); the runner's client side "
          f"C - B2 = {(per['C'] - per['B2']) * ms:.2f} ms.")


if __name__ == "__main__":
    main()
