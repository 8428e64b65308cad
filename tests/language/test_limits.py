"""Input past the limits of docs/language.md ("Limits") is a positioned error from
`seamlessflow check` (exit 2), never a traceback: nesting too deep for the parser, a
name too long for a file system, a NUL byte, bytes that are not UTF-8, and YAML aliases
that expand without end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from seamlessflow.config.yaml_file import MAX_ALIAS_VALUES, MAX_DEPTH
from seamlessflow.language.postlex import MAX_NESTING

STEP = 'step a:\n    inputs: a.txt\n    params: p = {value}\n    shell: "echo $p > b.txt"\n' \
       '    captures: b.txt\n'

# Nine anchors of nine aliases each: 30 values written, 9**9 once expanded.
ALIAS_BOMB = "a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]\n" + "".join(
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 9)) + "v: 3\n"


@pytest.fixture
def ready(project):
    project.write("a.txt", "in\n")
    return project


def test_lists_nested_past_the_limit_are_refused_where_they_go_too_deep(ready):
    deep = "[" * 500 + "x" + "]" * 500
    ready.write("Seamlessfile", f"let deep = {deep}\n" + STEP.format(value="1"))
    [error] = ready.check_errors()
    assert error.where == f"Seamlessfile:1:{len('let deep = ') + MAX_NESTING + 1}"
    assert error.message == f"lists nested more than {MAX_NESTING} deep"
    assert error.hint == "flatten the value"


def test_lists_nested_to_the_limit_are_fine(ready):
    deep = "[" * MAX_NESTING + "x" + "]" * MAX_NESTING
    ready.write("Seamlessfile", f"let deep = {deep}\n" + STEP.format(value="deep"))
    code, out, err = ready.check()
    assert code == 0, err


@pytest.mark.parametrize("inputs, captures, where", [
    ("x" * 300, "b", "2:13"),  # a file to read
    ("a.txt -> " + "x" * 300, "b", "2:13"),  # a workspace name
    ("a.txt", "b -> out/" + "é" * 128 + "/b.txt", "4:15"),  # 256 bytes in a project path
])
def test_a_name_longer_than_a_file_system_allows_is_a_check_error(ready, inputs, captures,
                                                                  where):
    ready.write("Seamlessfile", f'step a:\n    inputs: {inputs}\n    shell: "true"\n'
                                f"    captures: {captures}\n")
    [error] = ready.check_errors()
    assert error.where == f"Seamlessfile:{where}"
    assert error.message == ("a name in this path is longer than the 255 bytes a file system "
                             "allows for one file or folder name")


def test_a_name_of_255_bytes_is_fine(ready):
    ready.write("Seamlessfile", 'step a:\n    inputs: a.txt\n    shell: "cat a.txt > b"\n'
                                "    captures: b -> " + "é" * 127 + "x\n")
    code, _, err = ready.check()
    assert code == 0, err


def test_a_nul_byte_in_the_seamlessfile_is_refused_at_its_place(ready):
    ready.write("Seamlessfile", STEP.format(value='"a\0b"'))
    [error] = ready.check_errors()
    assert (error.where, error.message) == ("Seamlessfile:3:19", "a NUL byte")


@pytest.mark.parametrize("how", ["file", "override"])
def test_a_nul_byte_in_a_config_value_is_refused_where_it_is_used(ready, how):
    ready.write("Seamlessfile", "config: c.yaml\n" + STEP.format(value="config.v"))
    ready.write("c.yaml", 'v: ["x", "a\\0b"]\n' if how == "file" else "v: 1\n")
    args = ("--config", 'v="a\\0b"') if how == "override" else ()
    [error] = ready.check_errors(*args)
    assert error.where == "Seamlessfile:4:17"
    assert error.message.startswith("config.v holds a NUL byte")


def test_a_yaml_alias_bomb_in_the_config_file_is_refused(ready):
    ready.write("Seamlessfile", "config: c.yaml\n" + STEP.format(value="config.a8"))
    ready.write("c.yaml", ALIAS_BOMB)
    [error] = ready.check_errors()
    assert error.where == "Seamlessfile:1:9"
    assert f"more than {MAX_ALIAS_VALUES:,} beyond the 30 written" in error.message


@pytest.mark.parametrize("yaml_text, gist", [
    ("v: &x [1, *x]\n", "a value contains itself"),
    ("v: " + "[" * 60 + "]" * 60 + "\n", f"more than {MAX_DEPTH} deep"),
    ("v: " + "[" * 400 + "]" * 400 + "\n", f"more than {MAX_DEPTH} deep"),
])
def test_a_config_that_contains_itself_or_nests_too_deep_is_refused(ready, yaml_text, gist):
    ready.write("Seamlessfile", "config: c.yaml\n" + STEP.format(value="config.v"))
    ready.write("c.yaml", yaml_text)
    [error] = ready.check_errors()
    assert gist in error.message


def test_aliases_that_expand_a_little_are_fine(ready):
    ready.write("Seamlessfile", "config: c.yaml\n" + STEP.format(value="config.v"))
    ready.write("c.yaml", "base: &b [1, 2, 3]\nv: [*b, *b, *b]\n")
    code, _, err = ready.check()
    assert code == 0, err


def test_an_alias_bomb_in_seamless_yaml_stops_a_run_with_exit_2(ready, tmp_path):
    """The Seamless configuration files are read through the same bounded loader."""
    ready.write("Seamlessfile", STEP.format(value="1"))
    bomb = "x:\n" + "".join("  " + line + "\n" for line in ALIAS_BOMB.splitlines())
    ready.write("seamless.yaml", bomb)
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(tmp_path / "cache"),
           "SEAMLESS_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(ready.root), "run"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "seamless.yaml: refused: its aliases expand to" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bytes_that_are_not_utf8_are_refused_at_their_place(ready):
    (ready.root / "part.sf").write_bytes(b"let x = 1\nlet y = \xc3\xa9\xff\n")
    ready.write("Seamlessfile", "include: part.sf\n" + STEP.format(value="1"))
    [error] = ready.check_errors()
    assert (error.where, error.message) == ("part.sf:2:10", "byte 0xff is not UTF-8 text")
    assert error.hint == "a Seamlessfile is UTF-8 text: save it as UTF-8"
