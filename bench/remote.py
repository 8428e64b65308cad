"""Time the remote runners against the process runner on the same fan workflow.

Issue 19's target: on the fan of N one-line steps (bench/workflows.py, every step's
result unique), `run` with every step on a jobserver stage, and with every step on a Dask
stage, each takes at most 2x the time of `run` with the process runner, at N=300 and,
for Dask, at N=1,000.

Set-up, all on loopback and outside the timing: a private config folder with a
clusters.yaml of two clusters, `jobs` (hashserver, database and jobserver that the first
run starts detached, as for a user) and `dask` (hashserver and database likewise, and the
scheduler of a `serve daskserver` LocalCluster of 2 workers x 1 thread started here, as
`dask_overhead.py` does). A small warm-up run on each cluster starts the services and
the workers' imports (seamlessflow's modules byte-compiled before). Then, for each N and
each runner, a freshly generated fan folder (its inputs unique to it, so nothing is a
cache hit; its step is `md5sum`, so every result is unique) is run once with
`seamlessflow -C DIR run -j2`, timed around the subprocess; with `--repeat K`, K times
(the runners taking turns, each on a fresh folder) and the fastest kept, since one run
on a shared machine can take 1.5x another. The services are stopped at
the end (`seamlessflow services stop`).

With `--cpu` it also counts each run's CPU seconds, which a shared machine's load
changes far less than wall time: the client's (with the commands it runs itself) through
RUSAGE_CHILDREN, and the services' (hashservers, databases, jobserver and its workers,
Dask scheduler and workers: every process started with this benchmark's config folder)
from /proc, before and after the run.

Usage: .venv/bin/python bench/remote.py [--n 300,1000] [--runners process,jobserver,dask]
                                        [--repeat 3] [--port 47100] [--workdir DIR] [--cpu]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dask_overhead import SERVE  # noqa: E402
from workflows import generate  # noqa: E402

TARGET_RATIO = 2.0
RUNNERS = ("process", "jobserver", "dask")
STAGE = {"process": "", "jobserver": "cluster: jobs\n", "dask": "cluster: dask\n"}


def clusters_yaml(scheduler: str, port: int) -> str:
    """Two clusters whose services seamlessflow starts on free ports from `port` on."""
    def service(offset: int, extra: str = "") -> str:
        start = port + offset * 20
        return f"{{port_start: {start}, port_end: {start + 19}{extra}}}"
    return (f"jobs:\n  type: local\n  frontends:\n    - hostname: localhost\n"
            f"      hashserver: {service(0)}\n      database: {service(1)}\n"
            f"      jobserver: {service(2)}\n"
            f"dask:\n  type: local\n  frontends:\n    - hostname: localhost\n"
            f"      hashserver: {service(3)}\n      database: {service(4)}\n"
            f"      daskserver: {{url: \"{scheduler}\"}}\n")


def fan(work: Path, runner: str, n: int) -> Path:
    folder = work / f"{runner}-{n}-{time.monotonic_ns()}"
    sf = generate("fan", "seamlessflow", n, folder)
    # every input, hence every step's result, unique to this folder: no run of the
    # benchmark is a cache hit because of another (the results databases are shared)
    for i in range(n):
        (folder / "data" / f"{i}.txt").write_text(f"{folder.name} line {i}\n")
    sf.write_text(STAGE[runner] + sf.read_text().replace("wc -c < in.txt", "md5sum < in.txt"))
    return folder


def service_cpu(config: Path) -> float:
    """CPU seconds (user + system, with the children they waited for: a jobserver's
    commands) of every live process started with this benchmark's config folder: the
    services, the Dask scheduler and workers, the jobserver's workers."""
    mark = f"SEAMLESS_CONFIG_DIR={config}".encode()
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                if mark not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # gone, or not ours to read
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(folder: Path, env: dict[str, str]) -> float:
    log = folder.with_suffix(".log")
    with open(log, "wb") as out:
        start = time.perf_counter()
        # cwd: `python -m` puts the working folder first on sys.path, where a checkout's
        # own seamlessflow would shadow the one PYTHONPATH names (a "before" run)
        proc = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(folder),
                               "run", "-j2"], env=env, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, cwd=folder)
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"run failed (exit {proc.returncode}), see {log}")
    return seconds


def precompile_seamlessflow() -> None:
    """Write the .pyc files of the seamlessflow the runs import, as compare.py does (an
    installed package has them; with PYTHONDONTWRITEBYTECODE set, every run of an
    editable checkout would compile again each module it imports, and a remote run
    imports more of them than a local one)."""
    import seamlessflow

    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    str(Path(seamlessflow.__file__).parent)], check=False,
                   stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", default="300", help="fan sizes, comma-separated (default 300)")
    parser.add_argument("--runners", default=",".join(RUNNERS))
    parser.add_argument("--port", type=int, default=47100,
                        help="first port of the services' ranges (default 47100)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each runner at each size, the fastest kept (default 1)")
    parser.add_argument("--workdir", help="keep folders and logs here")
    parser.add_argument("--cpu", action="store_true",
                        help="also count CPU seconds per run: the client (with the commands "
                        "it runs) and the services (Linux: read from /proc)")
    args = parser.parse_args()
    sizes = [int(x) for x in args.n.split(",")]
    runners = args.runners.split(",")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="sf-remote-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    config = work / "config"
    config.mkdir(exist_ok=True)
    env = {**os.environ, "SEAMLESS_CONFIG_DIR": str(config),
           "SEAMLESSFLOW_CACHE": str(work / "cache")}
    precompile_seamlessflow()
    server = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE,
                              text=True, env=env, cwd=work)  # cwd: see timed_run
    times: dict[tuple[str, int], float] = {}  # the fastest run
    runs: dict[tuple[str, int], list[float]] = {}
    cpus: dict[tuple[str, int], list[tuple[float, float]]] = {}  # (client, services)
    try:
        assert server.stdout is not None
        scheduler = server.stdout.readline().split()[-1]
        (config / "clusters.yaml").write_text(clusters_yaml(scheduler, args.port))
        for runner in runners:  # warm-up: services started, workers' imports done
            timed_run(fan(work, runner, 4), env)
        for n in sizes:
            for _ in range(args.repeat):  # runners alternate, so each sees the same minutes
                for runner in runners:
                    before = client_cpu(), service_cpu(config) if args.cpu else 0.0
                    seconds = timed_run(fan(work, runner, n), env)
                    if args.cpu:
                        cpus.setdefault((runner, n), []).append(
                            (client_cpu() - before[0], service_cpu(config) - before[1]))
                    runs.setdefault((runner, n), []).append(seconds)
                    times[runner, n] = min(seconds, times.get((runner, n), seconds))
    finally:
        for cluster in ("jobs", "dask"):
            subprocess.run([sys.executable, "-m", "seamlessflow", "services", "stop",
                            "--cluster", cluster], env=env, capture_output=True, cwd=work)
        server.terminate()
        server.wait()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, `run -j2`, Dask: 2 workers x 1 thread")
    print()
    print("| N | runner | seconds (fastest) | runs | ratio to process | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in sizes:
        base = times.get(("process", n))
        for runner in runners:
            ratio = times[runner, n] / base if base else None
            verdict = ("" if runner == "process" or ratio is None else
                       "met" if ratio <= TARGET_RATIO else "NOT met")
            shown = "" if ratio is None else f"{ratio:.2f}x"
            every = " ".join(f"{x:.2f}" for x in runs[runner, n])
            print(f"| {n} | {runner} | {times[runner, n]:.2f} | {every} | {shown} | {verdict} |")
    if cpus:
        print()
        print("| N | runner | CPU s per run: client + services = total |")
        print("| --- | --- | --- |")
        for (runner, n), rows in cpus.items():
            shown = ", ".join(f"{c:.2f} + {s:.2f} = {c + s:.2f}" for c, s in rows)
            print(f"| {n} | {runner} | {shown} |")


if __name__ == "__main__":
    main()
