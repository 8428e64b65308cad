"""Generate the same benchmark workflow, in seamlessflow's and Snakemake's languages.

A ratio between two tools means something only when both build the same graph from the
same input bytes and their commands do the same work. Each generator here writes, into a
given folder, the input files (identical for both tools) and one workflow file for the
chosen tool; the outputs the two tools produce are byte-identical, which compare.py checks.

Shapes (N is the size):

- ``fan``: N input files, N ``wc -c`` steps (one per file), one ``cat`` joining the counts.
- ``chain``: N steps in a line, each adding 1 to the number its predecessor wrote.
- ``sweep``: one step swept over N values (no inputs, only a parameter).

Each workflow is written the way a user of that tool would write it: Snakemake with one
rule per step and wildcards; seamlessflow with swept steps. The chain is the exception
that the languages force: seamlessflow has no arithmetic on sweep variables, so its
chain is N explicit steps, while Snakemake's is one rule whose input function computes
the predecessor.

Run as a script to look at a generated folder:
``python bench/workflows.py fan 5 seamlessflow /tmp/fan5``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

SHAPES = ("fan", "chain", "sweep")
TOOLS = ("seamlessflow", "snakemake")
WORKFLOW_FILE = {"seamlessflow": "Seamlessfile", "snakemake": "Snakefile"}
# The file whose content proves the whole workflow ran: compared between the two tools.
FINAL_OUTPUT = {"fan": "total.txt", "chain": "chain/{n}.txt", "sweep": "sweep/{last}.txt"}


def final_output(shape: str, n: int) -> str:
    """The project path of the last output of a shape of size n."""
    return FINAL_OUTPUT[shape].format(n=n, last=n - 1)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _fan_inputs(folder: Path, n: int) -> None:
    for i in range(n):
        _write(folder / "data" / f"{i}.txt", f"line {i}\n" * (i % 7 + 1))


def _fan_seamlessfile(n: int) -> str:
    return f"""\
# fan: {n} inputs -> {n} `wc -c` steps -> one `cat` that joins them
project: bench_fan

let ids = range(0, {n})

step count for i in ids:
    inputs: data/{{i}}.txt -> in.txt
    shell: "wc -c < in.txt > count.txt"
    captures: count.txt -> counts/{{i}}.txt

step join:
    inputs: counts/{{i}}.txt for i in ids
    params: ids
    shell: "cat $(printf 'counts/%s.txt ' $ids) > total.txt"
    captures: total.txt
"""


def _fan_snakefile(n: int) -> str:
    return f"""\
# fan: {n} inputs -> {n} `wc -c` jobs -> one `cat` that joins them
IDS = range(0, {n})

rule join:
    input: expand("counts/{{i}}.txt", i=IDS)
    output: "total.txt"
    shell: "cat {{input}} > {{output}}"

rule count:
    input: "data/{{i}}.txt"
    output: "counts/{{i}}.txt"
    shell: "wc -c < {{input}} > {{output}}"
"""


def _chain_inputs(folder: Path, n: int) -> None:
    _write(folder / "chain" / "0.txt", "0\n")


def _chain_seamlessfile(n: int) -> str:
    steps = [
        f"""\
step link{k}:
    inputs: chain/{k}.txt -> in.txt
    shell: "echo $(( $(cat in.txt) + 1 )) > out.txt"
    captures: out.txt -> chain/{k + 1}.txt
"""
        for k in range(n)
    ]
    return f"# chain: {n} steps in a line\nproject: bench_chain\n\n" + "\n".join(steps)


def _chain_snakefile(n: int) -> str:
    return f"""\
# chain: {n} jobs in a line
rule all:
    input: "chain/{n}.txt"

rule link:
    input: lambda wc: f"chain/{{int(wc.k) - 1}}.txt"
    output: "chain/{{k,[1-9][0-9]*}}.txt"
    shell: "echo $(( $(cat {{input}}) + 1 )) > {{output}}"
"""


def _sweep_inputs(folder: Path, n: int) -> None:
    """The sweep reads no files: its instances differ only by a parameter."""


def _sweep_seamlessfile(n: int) -> str:
    return f"""\
# sweep: one step swept over {n} values
project: bench_sweep

let xs = range(0, {n})

step square for x in xs:
    params: x
    shell: "echo $(( x * x )) > out.txt"
    captures: out.txt -> sweep/{{x}}.txt
"""


def _sweep_snakefile(n: int) -> str:
    return f"""\
# sweep: one rule over {n} values
rule all:
    input: expand("sweep/{{x}}.txt", x=range(0, {n}))

rule square:
    output: "sweep/{{x}}.txt"
    params: x=lambda wc: wc.x
    shell: "echo $(( {{params.x}} * {{params.x}} )) > {{output}}"
"""


_INPUTS: dict[str, Callable[[Path, int], None]] = {
    "fan": _fan_inputs,
    "chain": _chain_inputs,
    "sweep": _sweep_inputs,
}
_TEXT: dict[tuple[str, str], Callable[[int], str]] = {
    ("fan", "seamlessflow"): _fan_seamlessfile,
    ("fan", "snakemake"): _fan_snakefile,
    ("chain", "seamlessflow"): _chain_seamlessfile,
    ("chain", "snakemake"): _chain_snakefile,
    ("sweep", "seamlessflow"): _sweep_seamlessfile,
    ("sweep", "snakemake"): _sweep_snakefile,
}


def workflow_text(shape: str, tool: str, n: int) -> str:
    """The workflow file of `shape` at size n in `tool`'s language."""
    if n < 1:
        raise ValueError(f"size must be at least 1, got {n}")
    return _TEXT[(shape, tool)](n)


def generate(shape: str, tool: str, n: int, folder: str | Path) -> Path:
    """Write the inputs and the workflow file into `folder`; return the workflow file's path."""
    folder = Path(folder)
    text = workflow_text(shape, tool, n)
    folder.mkdir(parents=True, exist_ok=True)
    _INPUTS[shape](folder, n)
    path = folder / WORKFLOW_FILE[tool]
    _write(path, text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="write one benchmark workflow into a folder")
    parser.add_argument("shape", choices=SHAPES)
    parser.add_argument("n", type=int)
    parser.add_argument("tool", choices=TOOLS)
    parser.add_argument("folder")
    args = parser.parse_args()
    print(generate(args.shape, args.tool, args.n, args.folder))


if __name__ == "__main__":
    main()
