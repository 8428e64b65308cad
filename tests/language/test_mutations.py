"""Random damage to valid Seamlessfiles never escapes as anything but the project's error.

The bundled examples are mutated (characters and lines deleted, inserted, duplicated
and swapped, tokens swapped, tabs, quotes, colons, brackets and braces inserted) and
loaded: `load_workflow` either returns a Workflow or raises WorkflowError, and
`seamlessflow check` exits 0 or 2 without a traceback.
"""

from __future__ import annotations

import io
import re
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamlessflow.cli.main import main
from seamlessflow.errors import WorkflowError
from seamlessflow.graph.model import Workflow
from seamlessflow.language.load import load_workflow

REPO = Path(__file__).resolve().parents[2]

PIECES = ["\t", '"', "'", ":", "[", "]", "{", "}", "{{", "}}", "(", ")", ",", "->", "=", "\n",
          "    ", "#", '"""', "'''", "\\", " for x in ", " in ", "step ", "let ", "stage ",
          "config.", "glob(", "range(", "..", "/", "-1", "true", "\r", "\x0c", "\u2028", "é"]
OPS = ("delete", "insert", "duplicate", "delete_line", "duplicate_line", "swap_lines",
       "swap_tokens", "tab_indent")


def _mutate(text: str, op: str, a: int, b: int, piece: str) -> str:
    """One mutation; `a` and `b` pick positions (taken modulo the text's size)."""
    if op in ("delete", "insert", "duplicate"):
        i = a % (len(text) + 1)
        j = min(len(text), i + 1 + b % 8)
        if op == "delete":
            return text[:i] + text[j:]
        if op == "insert":
            return text[:i] + piece + text[i:]
        return text[:j] + text[i:j] + text[j:]
    if op == "swap_tokens":
        tokens = re.split(r"(\s+)", text)
        words = [k for k, t in enumerate(tokens) if t and not t.isspace()]
        if len(words) > 1:
            x, y = words[a % len(words)], words[b % len(words)]
            tokens[x], tokens[y] = tokens[y], tokens[x]
        return "".join(tokens)
    lines = text.split("\n")
    x, y = a % len(lines), b % len(lines)
    if op == "delete_line":
        del lines[x]
    elif op == "duplicate_line":
        lines.insert(y, lines[x])
    elif op == "swap_lines":
        lines[x], lines[y] = lines[y], lines[x]
    else:  # tab_indent
        lines[x] = "\t" + lines[x]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """Copies of the examples with their data, each with its valid Seamlessfile text."""
    found = []
    for name in ("wordstats", "csvsummary"):
        root = tmp_path_factory.mktemp(name)
        shutil.copytree(REPO / "examples/workflows" / name, root, dirs_exist_ok=True)
        found.append((root, (root / "Seamlessfile").read_text()))
    tour = tmp_path_factory.mktemp("tour")
    shutil.copytree(REPO / "examples/tour", tour / "examples/tour")
    found.append((tour, (REPO / "Seamlessfile.example").read_text()))
    return found


mutations = st.lists(
    st.tuples(st.sampled_from(OPS), st.integers(0, 100_000), st.integers(0, 100_000),
              st.sampled_from(PIECES)),
    min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, 2), changes=mutations)
def test_mutated_seamlessfiles_fail_only_with_workflow_errors(projects, which, changes):
    root, text = projects[which]
    for change in changes:
        text = _mutate(text, *change)
    path = root / "Seamlessfile"
    path.write_text(text)
    try:
        assert isinstance(load_workflow(path), Workflow)
    except WorkflowError as exc:
        assert exc.diagnostics
        exc.render()
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["-f", str(path), "check"])  # -f, not -C: the working directory stays
    assert code in (0, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    if code == 2:
        assert re.search(r"^\d+ errors? found\.$", err.getvalue(), re.MULTILINE), err.getvalue()
