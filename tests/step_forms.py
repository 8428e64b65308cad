"""Seamlessfile steps and the `seamless-run` commands they are equivalent to: the same
transformation, so the same checksum and a shared result. Used against `seamlessflow
exec --dry` (tests/run) and the real `seamless-run` (tests/interop)."""

from __future__ import annotations

from pathlib import Path

COPY_SH = 'echo ran >> "$LOG"\nmkdir -p outdir\nsort -r "$1" > outdir/sorted.txt\necho done\n'

# (the step's fields, OUT standing for where it writes in the project; seamless-run's
# options; the command, which is the step's `shell:`)
FORMS = [
    ("inputs: data.txt\n    stdout: OUT", [], "wc -c data.txt"),
    ("inputs: data.txt, other.txt, d/\n    stdout: OUT", [], "grep -rc e data.txt other.txt d"),
    ("inputs: data.txt, other.txt\n    captures: out.txt -> OUT", [],
     "sort -r data.txt other.txt > out.txt"),
    ("inputs: data.txt\n    params: n = 1\n    stdout: OUT", ["--var", "n=1"],
     "head -n $n data.txt"),
    ("inputs: data.txt\n    params: n = 2\n    metavars: T = 4\n    stdout: OUT",
     ["--metavar", "T=4", "--var", "n=2"], "head -n $n data.txt"),
    ("inputs: copy.sh, data.txt\n    captures: outdir/ -> OUT/\n    stdout: OUT.printed",
     ["-cp", "outdir", "-cp", ":printed.txt"], "bash copy.sh data.txt"),
    ("inputs: data.txt\n    stdout: OUT", [], "cat data.txt | sort | head -n 1"),
    ("inputs: d/a.txt\n    stdout: OUT", [], "cat d/a.txt"),
]


def write_files(folder: Path) -> None:
    """The inputs the forms read (those of SEAMLESS-RUN.md's worked examples)."""
    (folder / "d" / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "data.txt").write_bytes(b"hello world\n")
    (folder / "other.txt").write_bytes(b"second file\n")
    (folder / "d" / "a.txt").write_bytes(b"alpha\n")
    (folder / "d" / ".hidden").write_bytes(b"")
    (folder / "d" / "sub" / "b.txt").write_bytes(b"beta\n")
    (folder / "copy.sh").write_text(COPY_SH)


def seamlessfile(forms: list[tuple[str, list[str], str]], extra: str = "") -> str:
    """A Seamlessfile with steps s0, s1, ... for the forms (none has a `"` in its
    command), each with the `extra` fields; step sN writes its outputs under `sN`."""
    return "".join(f'step s{i}:\n    {fields.replace("OUT", f"s{i}")}\n{extra}'
                   f'    shell: "{command}"\n\n' for i, (fields, _, command) in enumerate(forms))
