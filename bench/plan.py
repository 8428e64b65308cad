"""Time planning in-process: parse + expand (load_workflow) and link, on the fan workflow.

The budget (DESIGN.md) says planning is linear in the number of instances and that
10,000 instances plan in well under a second, far below Snakemake's dry run. Timing it
in-process, without Python's start-up or the scheduler, isolates the language and graph
layers, so a regression there shows up here before it hides in a whole run's time.

Usage: python bench/plan.py [N ...] [--repeat 3]. Without N: 1000, 5000 and 10000.
Each size is timed `--repeat` times and the fastest run is reported (the others measure
the machine's noise, not the code). The fan of size N has N + 1 instances.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from seamlessflow.graph.link import link
from seamlessflow.language.load import load_workflow

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workflows import generate  # noqa: E402

DEFAULT_SIZES = (1000, 5000, 10000)
TARGET_INSTANCES = 10_000
TARGET_SECONDS = 1.0


def time_plan(seamlessfile: Path) -> tuple[float, float, int]:
    """Seconds for load_workflow and for link, and the number of instances planned."""
    start = time.perf_counter()
    workflow = load_workflow(seamlessfile)
    loaded = time.perf_counter()
    link(workflow)
    linked = time.perf_counter()
    return loaded - start, linked - loaded, len(workflow.instances)


def best_of(seamlessfile: Path, repeat: int) -> tuple[float, float, int]:
    """The fastest of `repeat` plans, by total time."""
    runs = [time_plan(seamlessfile) for _ in range(repeat)]
    return min(runs, key=lambda r: r[0] + r[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help="fan sizes (default 1000 5000 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the fastest counts")
    args = parser.parse_args(argv)
    sizes = args.sizes or list(DEFAULT_SIZES)
    print(f"# plan.py, {datetime.now():%Y-%m-%d %H:%M}, {platform.platform()}, "
          f"{os.cpu_count()} cores, python {platform.python_version()}")
    print("| N | instances | load_workflow s | link s | total s | µs per instance |")
    print("| --- | --- | --- | --- | --- | --- |")
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="seamlessflow-plan-") as tmp:
        for n in sizes:
            seamlessfile = generate("fan", "seamlessflow", n, Path(tmp) / f"fan-{n}")
            load_s, link_s, count = best_of(seamlessfile, args.repeat)
            total = load_s + link_s
            print(f"| {n} | {count} | {load_s:.3f} | {link_s:.3f} | {total:.3f} "
                  f"| {total / count * 1e6:.0f} |", flush=True)
            if count >= TARGET_INSTANCES:
                verdicts.append((count, total < TARGET_SECONDS))
    for count, met in verdicts:
        print(f"# target: {count} instances plan in < {TARGET_SECONDS:.0f} s: "
              f"{'met' if met else 'MISSED'}")
    return 0 if all(met for _, met in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
