"""A seeded fuzz run of `seamlessflow check`: thousands of damaged Seamlessfiles, and not
one traceback.

The seeds are the bundled example workflows and every Seamlessfile written out in the
test suite (string literals that read as one). Each case applies one to three byte or
token mutations to a seed: spans deleted, duplicated or replaced by random bytes
(undecodable UTF-8 and NUL included), pieces of the language inserted (brackets nested
hundreds deep, names longer than a file system allows), lines deleted, duplicated,
swapped or tab-indented, tokens swapped, repeated past 255 bytes or wrapped in hundreds
of brackets. `check` runs in-process through the CLI's own
entry (`main`), the code path of `seamlessflow check`: it must exit 0, or exit 2 with
only positioned errors (`FILE:LINE:COL: error: ...`), and nothing may escape it.
"""

from __future__ import annotations

import ast
import io
import random
import re
import shutil
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from seamlessflow.cli.main import main

REPO = Path(__file__).resolve().parents[2]
SEED = 20261202
CASES = 1200

PIECES = [b"\t", b'"', b"'", b":", b"[", b"]", b"{", b"}", b"{{", b"}}", b"(", b")", b",",
          b"->", b"=", b"\n", b"    ", b"#", b'"""', b"'''", b"\\", b" for x in ", b" in ",
          b"step ", b"let ", b"stage ", b"config.", b"glob(", b"range(", b"..", b"/", b"-1",
          b"true", b"\r", b"\x0c", "\u2028".encode(), "é".encode(), b"\0", b"\xff", b"\xc3",
          b"[" * 300, b"range(" * 80, b"x" * 300, "é".encode() * 130, b"{x}", b"config.a.b",
          b"99999999999999999999999", b"include: Seamlessfile", b"inputs: ", b"captures: ",
          b"params: ", b"shell: ", b"workers: ", b"execution: remote", b"./", b"~", b"*", b"?"]
_SEAMLESSFILE = re.compile(r"^(step|let|stage|include|config|project|execution)\b", re.M)
_POSITIONED = re.compile(r"^\S.*:\d+:\d+: error: ")


def _seeds() -> list[bytes]:
    """The examples' Seamlessfiles, then every string literal of the test suite that
    starts a line with a top-level keyword and spans several lines, sorted: the same
    list on every machine."""
    found = {(REPO / "Seamlessfile.example").read_text(),
             *(p.read_text() for p in sorted((REPO / "examples").rglob("Seamlessfile")))}
    for source in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "\n" in node.value.strip():
                text = textwrap.dedent(node.value).removeprefix("\n")
                if _SEAMLESSFILE.search(text):
                    found.add(text)
    return [text.encode() for text in sorted(found)]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    op = rng.choice(("delete", "insert", "random_bytes", "duplicate", "delete_line",
                     "duplicate_line", "swap_lines", "swap_tokens", "tab_indent",
                     "grow_token", "nest_token"))
    i = rng.randrange(len(data) + 1)
    j = min(len(data), i + 1 + rng.randrange(12))
    if op == "delete":
        return data[:i] + data[j:]
    if op == "insert":
        return data[:i] + rng.choice(PIECES) + data[i:]
    if op == "random_bytes":  # mostly printable, so that parsing goes on past them
        top = 256 if rng.random() < 0.3 else 127
        return data[:i] + bytes(rng.randrange(top) for _ in range(1 + rng.randrange(4))) + data[j:]
    if op == "duplicate":
        return data[:j] + data[i:j] + data[j:]
    if op in ("swap_tokens", "grow_token", "nest_token"):
        tokens = re.split(rb"(\s+)", data)
        words = [k for k, t in enumerate(tokens) if t and not t.isspace()]
        if not words:
            return data
        x, y = rng.choice(words), rng.choice(words)
        if op == "swap_tokens":
            tokens[x], tokens[y] = tokens[y], tokens[x]
        elif op == "grow_token":  # a name past the 255 bytes of a file system
            tokens[x] = tokens[x] * (1 + 256 // len(tokens[x]))
        else:  # a value nested hundreds deep
            depth = rng.choice((51, 200, 600))
            tokens[x] = b"[" * depth + tokens[x] + b"]" * depth
        return b"".join(tokens)
    lines = data.split(b"\n")
    x, y = rng.randrange(len(lines)), rng.randrange(len(lines))
    if op == "delete_line":
        del lines[x]
    elif op == "duplicate_line":
        lines.insert(y, lines[x])
    elif op == "swap_lines":
        lines[x], lines[y] = lines[y], lines[x]
    else:
        lines[x] = b"\t" + lines[x]
    return b"\n".join(lines)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder with the examples' data, so that seeds from the examples check clean."""
    root = tmp_path_factory.mktemp("fuzz")
    for name in ("wordstats", "csvsummary"):
        shutil.copytree(REPO / "examples/workflows" / name, root, dirs_exist_ok=True)
    shutil.copytree(REPO / "examples/tour", root / "examples/tour")
    return root


def test_a_thousand_mutated_seamlessfiles_give_only_positioned_errors(project):
    seeds = _seeds()
    assert len(seeds) >= 50  # the suite's Seamlessfiles were found
    rng = random.Random(SEED)
    path = project / "Seamlessfile"
    outcomes = {0: 0, 2: 0}
    for case in range(CASES):
        data = rng.choice(seeds)
        for _ in range(rng.choice((1, 1, 2, 3))):
            data = _mutate(data, rng)
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["-f", str(path), "check"])  # any exception fails the test here
        shown = f"case {case}, Seamlessfile {data!r}:\n{err.getvalue()}"
        assert code in outcomes, shown
        outcomes[code] += 1
        if code == 2:
            lines = err.getvalue().splitlines()
            assert re.fullmatch(r"\d+ errors? found\.", lines[-1]), shown
            assert _POSITIONED.match(lines[0]), shown
            assert "Traceback" not in err.getvalue(), shown
    assert outcomes[0] > 0 and outcomes[2] > CASES // 2  # both kinds of outcome were reached
