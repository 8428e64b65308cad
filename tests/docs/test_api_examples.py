"""The Python examples of docs/api.md run, and print what the page shows under them.

How the page marks its ```` ```python ```` blocks (every one carries a mark, or follows a
marked one):

- `<!-- python: in=examples/workflows/NAME -->` starts a session: the bundled example is
  copied into a temporary folder with a private cache and home, and this block and each
  unmarked python block after it run there, in order, in one interpreter (as the cells of
  a notebook), the folder being the current one.
- `<!-- python: shown-only=REASON -->`: not run.
- `<!-- python: output -->` before a ```` ```text ```` block right after a python block:
  each of its lines must be a line of what that block printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "api.md"
MARK = re.compile(r"<!--\s*python:\s*(.*?)\s*-->")
SEPARATOR = "----- end of block -----"


class Block:
    def __init__(self, line: int, code: str):
        self.line, self.code = line, code
        self.expected: list[str] | None = None


def sessions(text: str) -> list[tuple[str, list[Block]]]:
    """(project, blocks) of each session of the page, in order."""
    found: list[tuple[str, list[Block]]] = []
    lines = text.splitlines()
    mark = None
    last: Block | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARK.fullmatch(line.strip())
        if m:
            mark = m.group(1)
            i += 1
            continue
        fence = re.fullmatch(r"```(\w*)\s*", line)
        if not fence:
            if line.strip():
                mark = None
            i += 1
            continue
        end = lines.index("```", i + 1)
        body = "\n".join(lines[i + 1:end]) + "\n"
        language = fence.group(1)
        if language == "python":
            if mark is None and not found:
                raise AssertionError(f"api.md:{i + 1}: a python block before any session")
            if mark is not None and mark.startswith("in="):
                found.append((mark[3:], []))
            if mark is None or mark.startswith("in="):
                last = Block(i + 1, body)
                found[-1][1].append(last)
            elif not mark.startswith("shown-only="):
                raise AssertionError(f"api.md:{i + 1}: unknown mark {mark!r}")
        elif mark == "output":
            assert last is not None, f"api.md:{i + 1}: output of no block"
            last.expected = body.splitlines()
        mark = None
        i = end + 1
    return found


def _run(project: str, blocks: list[Block], tmp_path: Path) -> list[str]:
    """What each block printed."""
    folder = tmp_path / "project"
    shutil.copytree(ROOT / project, folder)
    script = "".join(f"exec(compile({b.code!r}, 'api.md:{b.line}', 'exec'))\n"
                     f"print({SEPARATOR!r}, flush=True)\n" for b in blocks)
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(tmp_path / "cache"),
           "HOME": str(tmp_path / "home"), "PYTHONPATH": os.pathsep.join(
               [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("SEAMLESS_CACHE", None)
    proc = subprocess.run([sys.executable, "-c", script], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split(SEPARATOR + "\n")[:len(blocks)]


SESSIONS = sessions(PAGE.read_text())


@pytest.mark.parametrize("project,blocks", SESSIONS, ids=[s[0] for s in SESSIONS])
def test_api_examples_run_and_print_what_the_page_shows(project, blocks, tmp_path):
    printed = _run(project, blocks, tmp_path)
    for block, out in zip(blocks, printed, strict=True):
        lines = out.splitlines()
        for expected in block.expected or []:
            assert expected in lines, f"api.md:{block.line}: {expected!r} not in {lines}"


def test_every_python_block_is_checked():
    text = PAGE.read_text()
    run = sum(len(blocks) for _, blocks in sessions(text))
    marked_out = len(re.findall(r"<!--\s*python:\s*shown-only=", text))
    assert run + marked_out == text.count("```python")
    assert run >= 5


def test_a_wrong_output_is_caught(tmp_path):
    page = ("<!-- python: in=examples/workflows/wordstats -->\n```python\nprint(1 + 1)\n```\n\n"
            "<!-- python: output -->\n```text\n3\n```\n")
    (project, blocks), = sessions(page)
    printed = _run(project, blocks, tmp_path)
    assert printed == ["2\n"] and blocks[0].expected == ["3"]
