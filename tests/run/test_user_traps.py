"""Traps a user coming from Snakemake falls into, each met through the real CLI: what
looks right must not silently give wrong results, and what is wrong must say where."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

from split_workflow import SPLIT


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line]


def test_a_step_variable_in_braces_in_code_is_refused_with_its_spelling(project):
    project.write("data/a.txt", "x y\n")
    project.write("Seamlessfile", """\
        let ks = [1, 2]
        step table for k in ks:
            inputs: data/a.txt -> in.txt
            params: k
            shell: "awk -v k={k} '{print $1, k}' in.txt > t.txt"
            captures: t.txt -> tables/{k}.txt

        step note for k in ks:
            python: \"\"\"
                print(f"{k!r}" if False else "no")
                open("n.txt", "w").write("k={k}")
            \"\"\"
            captures: n.txt -> notes/{k}.txt
        """)
    for command in ("check", "run"):
        proc = project.sf(command, check=False)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        errors = _error_lines(proc.stderr)
        assert len(errors) == 2, proc.stderr
        assert errors[0].endswith("Seamlessfile:5:22: error: '{k}' in the shell code is not "
                                  "replaced: bash gets the text '{k}', not the value of 'k'")
        assert "hint: write $k (or {{k}} for a literal {k})" in proc.stderr
        assert errors[1].split("Seamlessfile:")[1].startswith("11:37: error: '{k}' in the "
                                                              "python code")
        assert "f-string" in proc.stderr and "with k added to params:" in proc.stderr
        carets = [line for line in proc.stderr.splitlines() if line.strip() == "^"]
        assert len(carets) == 2
    assert not (project.root / "tables").exists()


def test_braces_that_are_not_step_variables_and_the_escape_reach_the_command(project):
    project.write("data/a.txt", "x y\n")
    project.write("Seamlessfile", """\
        step table for k in [1]:
            inputs: data/a.txt -> in.txt
            params: k
            shell: "awk -v k=$k '{print $1, k}' in.txt > t.txt; echo ${k} {{k}} {a,b} >> t.txt"
            captures: t.txt -> tables/{k}.txt

        step note for k in [7]:
            params: k
            python: \"\"\"
                s = {k}
                open("n.txt", "w").write(f"{k} " + "{k}".format(k=k + 1) + " {{k}}")
            \"\"\"
            captures: n.txt -> notes/{k}.txt
        """)
    project.sf("run")
    assert project.read("tables/1.txt") == "x 1\n1 {k} a b\n"  # {a,b}: bash brace expansion
    assert project.read("notes/7.txt") == "7 8 {k}"


def test_a_sweep_over_a_glob_that_matches_nothing_is_an_error_naming_glob_and_steps(project):
    project.write("data/S1.fa", ">s1\nACGT\n")
    project.write("data/S2.fa", ">s2\nACGT\n")
    project.write("Seamlessfile", """\
        let samples = glob("data/{s}.fasta")
        step clean for s in samples:
            inputs: data/{s}.fasta -> in.fa
            shell: "cp in.fa out.fa"
            captures: out.fa -> clean/{s}.fa
        step merge:
            inputs: clean/{s}.fa for s in samples
            shell: "cat clean/* > all.fa"
            captures: all.fa
        """)
    for args in (["check"], ["run"], ["run", "-n"]):
        proc = project.sf(*args, check=False)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        errors = _error_lines(proc.stderr)
        assert [e.split("Seamlessfile:")[1] for e in errors] == [
            "2:21: error: step 'clean' sweeps over glob(\"data/{s}.fasta\") (at line 1), which "
            "matches no file, so it has no instances",
            "7:35: error: this inputs item sweeps over glob(\"data/{s}.fasta\") (at line 1), "
            "which matches no file, so it has no paths"]
        assert proc.stderr.count("hint: data/ holds S1.fa, S2.fa") == 2
    assert not (project.root / "all.fa").exists()




def test_a_glob_over_what_a_step_captures_is_read_again_once_that_step_has_run(project):
    project.write("Seamlessfile", SPLIT)
    project.write("input.txt", "a\nb\n")
    # Nothing in chunks/ yet: not an empty sweep, but a glob the run will read again.
    check = project.sf("check")
    assert check.stdout == "ok: 2 steps, 2 instances\n"
    note = 'note: glob("chunks/{c}.txt") lists chunks/, which split captures: '
    assert note + "the instances counted are those of the files there now; `run` reads it " \
                  "again once split has run" in check.stderr
    dry = project.sf("run", "-n")
    assert note + "this dry run shows the instances of the files there now; `run` reads it " \
                  "again once split has run" in dry.stderr
    assert dry.stdout.splitlines()[-1] == "2 instances, dry run: 0 cached, 2 will run"

    report = project.run()
    assert report.statuses == {"split": "cached", "per[c=1]": "ran", "per[c=2]": "ran",
                               "merge": "ran"}  # split ran in the first round
    assert project.read("all.txt") == "A\nB\n"
    assert "running first what globs list: " + note.removeprefix("note: ").rstrip(": ") \
        in report.proc.stderr
    assert "reading the Seamlessfile again, with the globs matching what they made" \
        in report.proc.stderr

    project.write("input.txt", "a\nb\nc\n")  # one chunk more: an instance more
    dry = project.sf("run", "-n")
    assert [line.split()[:2] for line in dry.stdout.splitlines()[:-1]] == [
        ["will-run", "split"], ["pending", "per[c=1]"], ["pending", "per[c=2]"],
        ["pending", "merge"]]
    report = project.run()
    assert report.statuses == {"split": "cached", "per[c=1]": "cached", "per[c=2]": "cached",
                               "per[c=3]": "ran", "merge": "ran"}
    assert project.read("all.txt") == "A\nB\nC\n"


def test_a_typo_in_a_swept_input_is_one_error_with_its_count_and_an_example(project):
    for s in ("S1", "S2", "S3"):
        project.write(f"data/{s}.fa", f">{s}\n")
    project.write("Seamlessfile", """\
        step clean for s in [S1, S2, S3]:
            inputs: dat/{s}.fa -> raw.fa, data/{s}.fa -> again.fa
            shell: "cat raw.fa > clean.fa"
            captures: clean.fa -> clean/{s}.fa
        step merge:
            inputs: clean/{s}.fa for s in [S1, S2, S3], dat/S9.fa
            shell: "cat clean/* > all.fa"
            captures: all.fa
        """)
    for args in (["check"], ["run"]):
        proc = project.sf(*args, check=False)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert [e.split("Seamlessfile:")[1] for e in _error_lines(proc.stderr)] == [
            "2:13: error: 3 instances miss this input, e.g. clean[s=S1]: input dat/S1.fa not "
            "found: no step captures it, and neither it nor dat/S1.fa.CHECKSUM is in the "
            "project folder",
            "6:49: error: merge: input dat/S9.fa not found: no step captures it, and neither "
            "it nor dat/S9.fa.CHECKSUM is in the project folder"]
        assert proc.stderr.endswith("2 errors found.\n")


def test_a_reversed_input_arrow_gets_a_hint_about_its_direction(project):
    for s in ("S1", "S2"):
        project.write(f"data/{s}.fa", f">{s}\n")
    project.write("Seamlessfile", """\
        step clean for s in [S1, S2]:
            inputs: raw.fa -> data/{s}.fa
            shell: "cat data/*.fa > clean.fa"
            captures: clean.fa -> clean/{s}.fa
        """)
    proc = project.sf("check", check=False)
    assert proc.returncode == 2
    assert len(_error_lines(proc.stderr)) == 1
    assert "error: 2 instances miss this input, e.g. clean[s=S1]: input raw.fa not found" \
        in proc.stderr
    assert "hint: data/S1.fa exists in the project and raw.fa does not: in inputs, `->` " \
           "points from the project path to the name in the workspace " \
           "(`data/S1.fa -> raw.fa`); swap the two sides" in proc.stderr


CHAINS = """\
step clean for s in [S1, S2]:
    inputs: data/{s}.fa -> in.fa
    shell: "cp in.fa out.fa"
    captures: out.fa -> clean/{s}.fa
step count for s in [S1, S2], k in [1, 2]:
    inputs: clean/{s}.fa -> in.fa
    params: k
    shell: "wc -c < in.fa > n; echo $k >> n"
    captures: n -> counts/{s}_{k}.txt
step qc for s in [S1, S2]:
    inputs: counts/{s}_{k}.txt for k in [1, 2]
    shell: "cat counts/* > q"
    captures: q -> qc/{s}.txt
step merge:
    inputs: qc/{s}.txt for s in [S1, S2]
    shell: "cat qc/* > all"
    captures: all
"""


def test_a_dry_run_lists_chain_by_chain_and_says_what_pending_means(project):
    project.write("Seamlessfile", CHAINS)
    project.write("data/S1.fa", ">S1\n")
    project.write("data/S2.fa", ">S2\n")
    project.sf("run")
    project.write("data/S2.fa", ">S2 changed\n")
    proc = project.sf("run", "-n")
    lines = proc.stdout.splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [
        ["cached", "clean[s=S1]"], ["cached", "count[s=S1,k=1]"], ["cached", "count[s=S1,k=2]"],
        ["cached", "qc[s=S1]"], ["will-run", "clean[s=S2]"], ["pending", "count[s=S2,k=1]"],
        ["pending", "count[s=S2,k=2]"], ["pending", "qc[s=S2]"], ["pending", "merge"]]
    assert lines[-1] == ("9 instances, dry run: 4 cached, 1 will run, "
                         "4 wait on upstream results (may be cached)")


def _on_a_terminal(project, *args: str) -> tuple[int, str]:
    """`seamlessflow ARGS` with its standard output on a pseudo-terminal, as a user at a
    terminal sees it: (exit status, what was shown, terminal escapes removed; the live
    panel's redrawn lines run into the printed ones)."""
    master, slave = pty.openpty()
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache), "TERM": "xterm",
           "COLUMNS": "200"}
    env.pop("SEAMLESS_CACHE", None)
    proc = subprocess.Popen([sys.executable, "-m", "seamlessflow", "-C", str(project.root),
                             *args], stdout=slave, stderr=subprocess.STDOUT, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    code = proc.wait(timeout=120)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r", "", text)


def test_instance_names_keep_their_brackets_on_a_terminal(project):
    project.write("Seamlessfile", """\
        step clean for s in [S1, S6]:
            params: s
            shell: "echo $s > c.txt"
            captures: c.txt -> clean/{s}.txt
        step gate for s in [S1, S6]:
            inputs: clean/{s}.txt -> c.txt
            params: s
            shell: "test $s = S1"
            stdout: gate/{s}.txt
        """)
    code, shown = _on_a_terminal(project, "run", "-k")
    assert code == 1, shown
    for name in ("clean[s=S1]", "clean[s=S6]", "gate[s=S1]"):
        assert f"ran     {name}  " in shown, shown
    assert "FAILED  gate[s=S6]  exit 1" in shown, shown
    code, shown = _on_a_terminal(project, "run", "-n")
    assert "will-run gate[s=S6]  (" in shown, shown


def test_forcing_the_step_a_glob_lists_the_captures_of_runs_it_once(project):
    project.write("Seamlessfile", SPLIT.replace(
        "mkdir chunks;", "mkdir chunks; date +%N >> $SEAMLESSFLOW_RUNS_LOG;"))
    project.write("input.txt", "a\nb\n")
    runs_log = project.root.parent / "runs.log"
    env = {"SEAMLESSFLOW_RUNS_LOG": str(runs_log)}
    project.sf("run", env=env)
    runs_log.unlink()
    report = project.run("--force", "split", env=env)
    assert len(runs_log.read_text().splitlines()) == 1
    assert report.statuses["split"] == "cached"  # forced in the first round, adopted after
    assert report.statuses["merge"] == "cached"
