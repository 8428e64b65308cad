"""Shell completion, met as a user meets it: the script `seamlessflow completion bash`
prints, loaded into a real bash, asked what a TAB offers (`COMP_LINE` and friends set as
bash sets them), with `seamlessflow` on the PATH being this interpreter's."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOW = """\
step clean for s in [S1, S6]:
    params: s
    shell: "echo $s > c.txt"
    captures: c.txt -> clean/{s}.txt
step gate for s in [S1, S6]:
    inputs: clean/{s}.txt -> c.txt
    shell: "cat c.txt"
    stdout: gate/{s}.txt
step merge:
    inputs: gate/{s}.txt for s in [S1, S6]
    shell: "cat gate/*"
    stdout: all.txt
"""


@pytest.fixture
def on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose `seamlessflow` runs this interpreter's seamlessflow."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "seamlessflow"
    program.write_text(f'#!/bin/sh\nexec {sys.executable} -m seamlessflow "$@"\n')
    program.chmod(0o755)
    import os

    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def _tab(env: dict[str, str], cwd: Path, line: str) -> list[str]:
    """COMPREPLY after a TAB at the end of `line`, in bash with the completion loaded."""
    script = """
        source <(seamlessflow completion bash)
        COMP_LINE=$1
        COMP_POINT=${#COMP_LINE}
        read -ra COMP_WORDS <<< "$COMP_LINE"
        [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        _seamlessflow
        printf '%s\\n' "${COMPREPLY[@]}"
        """
    proc = subprocess.run(["bash", "-c", script, "bash", line], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return [word for word in proc.stdout.split("\n") if word]


def test_bash_completes_commands_options_and_the_names_of_the_seamlessfile(project, on_path):
    project.write("Seamlessfile", WORKFLOW)
    root = project.root
    commands = _tab(on_path, root, "seamlessflow ")
    assert {"run", "watch", "list", "dag", "explain", "completion"} <= set(commands)
    assert not any(c.startswith("__") for c in commands)
    assert _tab(on_path, root, "seamlessflow ser") == ["serve", "services"]
    assert _tab(on_path, root, "seamlessflow run --k") == ["--keep-going", "--keep-workspace"]
    assert "--printshellcmds" in _tab(on_path, root, "seamlessflow run -")
    assert _tab(on_path, root, "seamlessflow run ") == [
        "clean", "gate", "merge", "clean[s=S1]", "clean[s=S6]", "gate[s=S1]", "gate[s=S6]"]
    assert _tab(on_path, root, "seamlessflow run g") == ["gate", "gate[s=S1]", "gate[s=S6]"]
    assert _tab(on_path, root, "seamlessflow -q run -k gate[") == ["gate[s=S1]", "gate[s=S6]"]
    # bash replaces only what follows the `=` of the word being typed
    assert _tab(on_path, root, "seamlessflow run gate[s=S") == ["S1]", "S6]"]
    assert _tab(on_path, root, "seamlessflow run --force cl") == [
        "clean", "clean[s=S1]", "clean[s=S6]"]
    assert _tab(on_path, root, "seamlessflow dag --format m") == ["mermaid"]
    assert _tab(on_path, root, "seamlessflow serve d") == ["database", "daskserver"]
    assert _tab(on_path, root, "seamlessflow completion ") == ["bash", "zsh", "fish"]
    # a path, and what takes a file, are left to bash's own file names (-o default)
    assert _tab(on_path, root, "seamlessflow run clean/") == []
    assert _tab(on_path, root, "seamlessflow explain ") == []
    # another folder's Seamlessfile, named by -C
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "Seamlessfile").write_text('step only:\n    shell: "true"\n    stdout: o\n')
    assert _tab(on_path, root, f"seamlessflow -C {elsewhere} run ") == ["only"]
    # a broken Seamlessfile offers no names, and says nothing
    project.write("Seamlessfile", "step broken\n")
    assert _tab(on_path, root, "seamlessflow run ") == []


def test_many_instances_are_offered_once_their_step_is_typed(project, on_path):
    project.count_sweep(60, lambda i: f"{i}\n")
    assert _tab(on_path, project.root, "seamlessflow run ") == ["count"]
    found = _tab(on_path, project.root, "seamlessflow run count[")
    assert len(found) == 60 and found[0] == "count[i=0]"


def test_zsh_and_fish_scripts_ask_the_same_helper(project, on_path):
    project.write("Seamlessfile", WORKFLOW)
    for shell, marks in (("zsh", ["#compdef seamlessflow", "compadd", "_files"]),
                         ("fish", ["complete -c seamlessflow", "__fish_complete_path"])):
        script = subprocess.run(["seamlessflow", "completion", shell], env=on_path,
                                capture_output=True, text=True, check=True).stdout
        assert all(mark in script for mark in marks), script
        assert "__complete words" in script
        assert shutil.which(shell), f"the completion tests need {shell}: tools/install-test-packages"
        check = ["zsh", "-n"] if shell == "zsh" else ["fish", "--no-execute"]
        parsed = subprocess.run([*check], input=script, text=True, capture_output=True)
        assert parsed.returncode == 0, parsed.stderr
    # fish completes a line given to it, as at a TAB
    asked = subprocess.run(
        ["fish", "-c", "seamlessflow completion fish | source; "
                       "complete -C'seamlessflow run gate['; complete -C'seamlessflow ser'"],
        cwd=project.root, env=on_path, capture_output=True, text=True)
    assert asked.stdout.split() == ["gate[s=S1]", "gate[s=S6]", "serve", "services"], \
        asked.stderr
    # zsh, outside a TAB: compadd and _files print what they are given
    asked = subprocess.run(["zsh", "-c", """
        compadd() { print -l -- "${(@P)2}" }
        _files() { print FILES }
        source <(seamlessflow completion zsh)
        words=(seamlessflow run 'gate\\[s'); CURRENT=3; _seamlessflow
        words=(seamlessflow explain ''); CURRENT=3; _seamlessflow
        """], cwd=project.root, env=on_path, capture_output=True, text=True)
    assert asked.stdout.split() == ["gate[s=S1]", "gate[s=S6]", "FILES"], asked.stderr
    # what both pass: the words after `seamlessflow`, the one being typed last
    helper = subprocess.run(["seamlessflow", "__complete", "words", "run", "gate["],
                            cwd=project.root, env=on_path, capture_output=True, text=True)
    assert helper.stdout == "gate[s=S1]\ngate[s=S6]\n" and helper.returncode == 0
    # and `__complete` is no command of the help
    usage = subprocess.run(["seamlessflow", "--help"], env=on_path, capture_output=True,
                           text=True).stdout
    assert "completion" in usage and "__complete" not in usage
