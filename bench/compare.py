"""Time seamlessflow against Snakemake on the same generated workflows.

The performance budget (docs: DESIGN.md) is stated as ratios to Snakemake on this machine,
never as absolute times in tests: absolute times say more about the machine than the tool.
For every shape and size this script generates one folder per tool (bench/workflows.py:
identical inputs, equivalent workflow files) and measures, each once:

- dry run: planning from scratch on the fresh folder (``run -n`` / ``-n``), nothing built yet;
- full run: building everything with two jobs (``run -j2`` / ``-j2``);
- no-op rerun: the same command again on the up-to-date folder, where nothing must run.

Dry and no-op runs are repeated (--repeat, default 3) and the fastest is kept, for both
tools alike: on a shared 2-core machine one run can take 1.5x another for reasons that
have nothing to do with the tool. Before each repeat of a dry run, what the previous
one left behind (Snakemake's .snakemake/, seamlessflow's cache folder) is removed, so
each plans from scratch.

Wall time is time.perf_counter around subprocess.run; peak RSS comes from GNU time's %M
(the largest resident set of the tool and its children) where /usr/bin/time exists. Each
seamlessflow folder gets its own fresh SEAMLESSFLOW_CACHE, so no run is a cache hit
because of another. After a full run by both tools, their final outputs are compared.

Usage: python bench/compare.py [--quick] [--n 1000] [--noop 100,1000,5000]
[--dry 100,1000,5000] [--repeat 3] [--shapes fan] [--tools seamlessflow,snakemake]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workflows import SHAPES, TOOLS, final_output, generate  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_EXE = {
    "seamlessflow": REPO / ".venv" / "bin" / "seamlessflow",
    "snakemake": BENCH / ".venv-snakemake" / "bin" / "snakemake",
}
GNU_TIME = Path("/usr/bin/time")
MEASURES = ("dry run", "full run -j2", "no-op rerun")


@dataclass
class Measurement:
    seconds: float
    rss_mib: float | None  # None where /usr/bin/time is missing
    ok: bool
    log: Path
    note: str = ""  # shown beside the time: something that makes the figure suspect


def _command(tool: str, exe: Path, folder: Path, measure: str) -> list[str]:
    dry = measure == "dry run"
    if tool == "seamlessflow":
        return [str(exe), "-C", str(folder), "run", "-n" if dry else "-j2"]
    return [str(exe), "-j2", "--quiet"] + (["-n"] if dry else [])


def _timed(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> Measurement:
    """Run cmd once; its output goes to `log` so that a terminal never slows a tool down."""
    rss_file = log.with_suffix(".rss")
    wrapped = [str(GNU_TIME), "-f", "%M", "-o", str(rss_file), *cmd] if GNU_TIME.exists() else cmd
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.run(wrapped, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
    rss = None
    if rss_file.exists():
        last = rss_file.read_text().strip().splitlines()[-1:]  # time prefixes a failure notice
        rss = int(last[0]) / 1024 if last and last[0].isdigit() else None
    return Measurement(seconds, rss, proc.returncode == 0, log)


# What each tool prints when a run found everything up to date (CLI.md's summary line).
NOTHING_RAN = {
    "seamlessflow": re.compile(r"instances?: 0 ran\b"),
    "snakemake": re.compile(r"Nothing to be done"),
}


def nothing_ran(tool: str, log: Path) -> bool:
    """Whether a no-op rerun really ran nothing: otherwise its time is not a no-op's."""
    return bool(NOTHING_RAN[tool].search(log.read_text(errors="replace")))


def _tool_env(tool: str, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    if tool == "seamlessflow":
        env["SEAMLESSFLOW_CACHE"] = str(cache)
    return env


def _forget_planning(tool: str, folder: Path, cache: Path) -> None:
    """What a dry run may leave behind, so that the next one plans from scratch too."""
    shutil.rmtree(folder / (".snakemake" if tool == "snakemake" else ".seamlessflow"),
                  ignore_errors=True)
    if tool == "seamlessflow":
        shutil.rmtree(cache, ignore_errors=True)


def measure_size(shape: str, n: int, measures: list[str], tools: list[str],
                 exes: dict[str, Path], work: Path,
                 repeat: int = 1) -> dict[tuple[str, str], Measurement]:
    """All requested measures of one shape at one size, each tool in its own folder;
    dry and no-op runs `repeat` times, the fastest kept."""
    results: dict[tuple[str, str], Measurement] = {}
    for tool in tools:
        folder = work / tool / f"{shape}-{n}"
        generate(shape, tool, n, folder)
        cache = work / "caches" / f"{shape}-{n}"
        env = _tool_env(tool, cache)
        for measure in measures:
            log = work / "logs" / f"{tool}-{shape}-{n}-{measure.split()[0]}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            m = None
            each: list[str] = []  # every repeat, in order: the first no-op may differ
            for _ in range(1 if measure == "full run -j2" else repeat):
                if measure == "dry run":
                    _forget_planning(tool, folder, cache)
                this = _timed(_command(tool, exes[tool], folder, measure), folder, env, log)
                if not this.ok:
                    m = this
                    break
                each.append(f"{this.seconds:.2f}")
                m = this if m is None or this.seconds < m.seconds else m
            if m.ok and measure == "no-op rerun" and not nothing_ran(tool, log):
                m.note = " (steps ran!)"
            results[(tool, measure)] = m
            status = f"{m.seconds:8.2f} s{m.note}" if m.ok else "  FAILED  "
            if len(each) > 1:
                status += f"  (runs: {' '.join(each)})"
            print(f"  {tool:<12} {shape:<6} N={n:<6} {measure:<13} {status}  ({log})",
                  file=sys.stderr, flush=True)
            if not m.ok:
                break  # a later measure of this folder would mean nothing
    return results


def outputs_agree(shape: str, n: int, work: Path) -> bool | None:
    """Whether both tools' final outputs are byte-identical (None: a side has none)."""
    path = final_output(shape, n)
    files = [work / tool / f"{shape}-{n}" / path for tool in TOOLS]
    if not all(f.exists() for f in files):
        return None
    return files[0].read_bytes() == files[1].read_bytes()


def _cell(m: Measurement | None) -> tuple[str, str]:
    if m is None:
        return "-", "-"
    if not m.ok:
        return "FAILED", "-"
    return f"{m.seconds:.2f}{m.note}", "-" if m.rss_mib is None else f"{m.rss_mib:.0f}"


def _ratio(a: Measurement | None, b: Measurement | None) -> str:
    if a is None or b is None or not (a.ok and b.ok):
        return "-"
    return f"{a.seconds / b.seconds:.2f}"


def table(rows: list[tuple[str, int, str, dict[tuple[str, str], Measurement]]]) -> str:
    """A Markdown table; ratio = seamlessflow time / Snakemake time (below 1: seamlessflow wins)."""
    head = ("| shape | N | measure | Snakemake s | seamlessflow s | ratio sf/smk "
            "| Snakemake MiB | seamlessflow MiB |")
    lines = [head, "|" + " --- |" * 8]
    for shape, n, measure, res in rows:
        smk = res.get(("snakemake", measure))
        sf = res.get(("seamlessflow", measure))
        smk_s, smk_mib = _cell(smk)
        sf_s, sf_mib = _cell(sf)
        lines.append(f"| {shape} | {n} | {measure} | {smk_s} | {sf_s} | {_ratio(sf, smk)} "
                     f"| {smk_mib} | {sf_mib} |")
    return "\n".join(lines)


def _version(exe: Path) -> str:
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unavailable"
    return out.stdout.strip()


def precompile_seamlessflow(exe: Path) -> None:
    """Write seamlessflow's .pyc files before timing anything.

    pip compiles an installed package's modules, so Snakemake starts from bytecode; an
    editable checkout does not, and with PYTHONDONTWRITEBYTECODE set (as on this machine)
    every run would recompile the whole package, a cost no installed user pays.
    """
    python = exe.parent / "python"
    subprocess.run([str(python), "-m", "compileall", "-q", str(REPO / "seamlessflow")],
                   check=False, stdout=subprocess.DEVNULL)


def _sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def measures_at(n: int, args: argparse.Namespace) -> list[str]:
    """What to measure at size n; a no-op rerun needs the full run before it."""
    chosen = {"dry run": n in args.dry, "full run -j2": n in args.noop or n == args.n,
              "no-op rerun": n in args.noop}
    return [m for m in MEASURES if chosen[m]]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="size of the full run (default 1000)")
    parser.add_argument("--noop", type=_sizes, default=[100, 1000, 5000],
                        help="sizes of the no-op rerun, comma-separated (each needs a full run)")
    parser.add_argument("--dry", type=_sizes, default=[100, 1000, 5000],
                        help="sizes of the dry run, comma-separated")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for a smoke test: --n 20 --noop 20,50 --dry 20,50")
    parser.add_argument("--shapes", default="fan", help=f"comma-separated, of {', '.join(SHAPES)}")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated")
    parser.add_argument("--seamlessflow", type=Path, default=DEFAULT_EXE["seamlessflow"])
    parser.add_argument("--snakemake", type=Path, default=DEFAULT_EXE["snakemake"])
    parser.add_argument("--workdir", type=Path, help="keep the generated folders and logs here")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each dry and no-op measure; the fastest is kept (default 3)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.noop, args.dry = 20, [20, 50], [20, 50]
    args.shapes = args.shapes.split(",")
    args.tools = args.tools.split(",")
    for name in args.shapes:
        if name not in SHAPES:
            parser.error(f"unknown shape {name!r}")
    for name in args.tools:
        if name not in TOOLS:
            parser.error(f"unknown tool {name!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exes = {"seamlessflow": args.seamlessflow, "snakemake": args.snakemake}
    work = args.workdir or Path(tempfile.mkdtemp(prefix="seamlessflow-bench-"))
    print(f"# compare.py, {datetime.now():%Y-%m-%d %H:%M}, {platform.platform()}, "
          f"{os.cpu_count()} cores, python {platform.python_version()}")
    for tool in args.tools:
        print(f"# {tool}: {_version(exes[tool])} ({exes[tool]})")
    print(f"# command: python bench/compare.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    if "seamlessflow" in args.tools:
        precompile_seamlessflow(exes["seamlessflow"])
    rows = []
    try:
        for shape in args.shapes:
            for n in sorted(set(args.dry) | set(args.noop) | {args.n}):
                wanted = measures_at(n, args)
                res = measure_size(shape, n, wanted, args.tools, exes, work, args.repeat)
                rows += [(shape, n, m, res) for m in wanted]
                if "full run -j2" in wanted and len(args.tools) == 2:
                    agree = outputs_agree(shape, n, work)
                    if agree is False:
                        print(f"WARNING: {shape} N={n}: the tools' final outputs differ",
                              file=sys.stderr)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    failed = any(not m.ok for *_, res in rows for m in res.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
