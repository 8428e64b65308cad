"""Every Seamlessfile shown in README.md and docs/ is checked (and run, where the page says so)
through the real CLI, so the docs cannot show a workflow the code refuses.

How a page marks its code blocks:

- ```` ```seamlessfile ````: a whole Seamlessfile. It is written into an empty folder and
  `seamlessflow check` must accept it. An HTML comment on the line before the fence says more:
  `<!-- example: files=data/a.txt,corpus/; run -->` creates those project files first (a path
  ending in `/` becomes a folder holding one text file), `run` also runs it (exit 0),
  `error` expects `check` to refuse it (exit 2), and `output=next` expects every line of the
  next code block in what the last command printed (the temporary folder written `/project`,
  durations and checksums compared by shape only). `as=FILE` makes the block a file of the
  next example on its page (an included Seamlessfile), written beside it, not run alone.
- ```` ```seamlessfile-fragment ````: part of a Seamlessfile (a few fields, a syntax sketch);
  shown, not run.
- Any other block that looks like a Seamlessfile (a line starting with `step `, `let ` or
  `stage `, or a top-level setting such as `project:`) must carry one of the two tags, so a new
  example cannot slip past this test untested.

Every `seamlessflow …` command line the pages show (in code blocks and inline) must also be
accepted by today's argument parser.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
ANNOTATION = re.compile(r"<!--\s*example:(.*?)-->")
LOOKS_LIKE_SEAMLESSFILE = re.compile(
    r"^(step|let|stage) \w|^(project|config|include|execution|cluster|workers|remote): ",
    re.MULTILINE)
SAMPLE_TEXT = "one\ntwo\nthree\n"
SAMPLE_FILES = {"config.yaml": "n: 1\n"}


@dataclass
class Block:
    page: Path
    line: int
    tag: str
    text: str
    annotation: dict[str, str] = field(default_factory=dict)
    next_text: str | None = None
    extra_files: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def read_blocks(page: Path) -> list[Block]:
    lines = page.read_text().splitlines()
    blocks: list[Block] = []
    pending: dict[str, str] = {}  # as=FILE blocks waiting for their example
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start, tag = i, match.group(2)
        i += 1
        body = []
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        i += 1
        note = ANNOTATION.search(lines[start - 1]) if start else None
        block = Block(page, start + 1, tag, textwrap.dedent("\n".join(body)) + "\n",
                      _options(note.group(1)) if note else {})
        if blocks and blocks[-1].annotation.get("output") == "next":
            blocks[-1].next_text = block.text
        if block.tag == "seamlessfile" and "as" in block.annotation:
            pending[block.annotation["as"]] = block.text
        elif block.tag == "seamlessfile":
            block.extra_files, pending = pending, {}
        blocks.append(block)
    return blocks


def _options(text: str) -> dict[str, str]:
    options = {}
    for part in text.split(";"):
        key, _, value = part.strip().partition("=")
        if key:
            options[key] = value
    return options


ALL_BLOCKS = [block for page in PAGES for block in read_blocks(page)]
EXAMPLES = [block for block in ALL_BLOCKS
            if block.tag == "seamlessfile" and "as" not in block.annotation]


def test_every_seamlessfile_block_is_tagged() -> None:
    untagged = [block.where for block in ALL_BLOCKS
                if block.tag not in ("seamlessfile", "seamlessfile-fragment", "python", "json",
                                     "yaml", "bash", "console")
                and LOOKS_LIKE_SEAMLESSFILE.search(block.text)
                and "error:" not in block.text and not block.text.startswith("usage:")]
    assert not untagged, ("blocks that look like a Seamlessfile but are tagged neither "
                          f"seamlessfile nor seamlessfile-fragment: {untagged}")


def test_the_pages_have_examples() -> None:
    pages = {block.page.name for block in EXAMPLES}
    assert {"README.md", "language.md", "snakemake.md", "troubleshooting.md"} <= pages


@pytest.mark.parametrize("block", EXAMPLES, ids=[block.where for block in EXAMPLES])
def test_example(block: Block, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Seamlessfile").write_text(block.text)
    for name, text in block.extra_files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    for name in filter(None, block.annotation.get("files", "").split(",")):
        path = project / name.strip()
        if name.endswith("/"):
            path = path / "a.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SAMPLE_FILES.get(path.name, SAMPLE_TEXT))
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(tmp_path / "cache"),
           "SEAMLESS_CONFIG_DIR": str(tmp_path / "config")}
    env.pop("SEAMLESS_CACHE", None)

    def seamlessflow(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(project), *args],
                              capture_output=True, text=True, env=env, timeout=60)

    proc = seamlessflow("check")
    expected = 2 if "error" in block.annotation else 0
    assert proc.returncode == expected, f"{block.where}: check exited {proc.returncode}\n" \
                                        f"{proc.stdout}{proc.stderr}"
    if "run" in block.annotation:
        proc = seamlessflow("run")
        want = int(block.annotation.get("exit", "0") or 0)
        assert proc.returncode == want, f"{block.where}: run exited {proc.returncode}\n" \
                                        f"{proc.stdout}{proc.stderr}"
    if block.annotation.get("output") == "next":
        assert block.next_text is not None, f"{block.where}: output=next but no next block"
        printed = _shape(proc.stdout + proc.stderr, project)
        missing = [line for line in block.next_text.splitlines()
                   if line.strip() and _shape(line, project) not in printed]
        assert not missing, f"{block.where}: not printed: {missing}\nprinted:\n{printed}"


def _shape(text: str, project: Path) -> str:
    text = text.replace(str(project), "/project")
    text = re.sub(r"\b\d+\.\d+s\b", "N.NNs", text)
    return re.sub(r"\b[0-9a-f]{64}\b", "CHECKSUM", text)


COMMAND_LINE = re.compile(r"^\s*(?:\$\s+)?(seamlessflow\s.*)$", re.MULTILINE)
INLINE_COMMAND = re.compile(r"`(seamlessflow [^`]*)`")
PLACEHOLDER = re.compile(r"\.\.\.|…|\bCOMMAND\b|\w\|\w|\[[A-Z]")


def shown_command_lines() -> list[tuple[str, str]]:
    """Every `seamlessflow …` command line the pages show, in code blocks and inline,
    cut at a comment, a pipe, a redirection or a `&`; lines with a placeholder for a choice
    (`a|b`, `[OPTIONAL]`, `…`, COMMAND) are sketches, not command lines."""
    found = []
    for block in ALL_BLOCKS:
        if block.tag in ("seamlessfile", "seamlessfile-fragment", "python", "json", "yaml"):
            continue
        for match in COMMAND_LINE.finditer(block.text):
            found.append((block.where, match.group(1)))
    for page in PAGES:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for match in INLINE_COMMAND.finditer(line):
                found.append((f"{page.relative_to(ROOT)}:{number}", match.group(1)))
    commands = []
    for where, text in found:
        text = _cut_at_shell_operator(text)
        if not PLACEHOLDER.search(text):
            commands.append((where, text))
    return commands


_SHELL_OPERATOR = re.compile(r"\s#|\s\\?\||\s>|\s&|;")


def _cut_at_shell_operator(text: str) -> str:
    """The command line up to its first comment, pipe, redirection, `&&`, `&` or `;` outside
    quotes (`seamlessflow exec -- 'sort a.txt > b.txt'` hands the `>` to exec)."""
    quote = None
    for i, char in enumerate(text):
        if quote is not None:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif _SHELL_OPERATOR.match(text, i):
            return text[:i].strip()
    return text.strip()


COMMAND_LINES = shown_command_lines()


def test_pages_show_command_lines() -> None:
    assert len(COMMAND_LINES) > 30


@pytest.mark.parametrize("where,line", COMMAND_LINES, ids=[w for w, _ in COMMAND_LINES])
def test_shown_command_line_parses(where: str, line: str) -> None:
    """Each command line a page shows is accepted by the parser of today's CLI: a renamed
    or removed option, or a subcommand that is gone, fails here. A line that only names a
    command (`seamlessflow upload`) or writes a placeholder for a choice may leave out
    what it requires."""
    argv = shlex.split(line)[1:]
    proc = subprocess.run([sys.executable, "-c", PARSE_ONLY, *argv],
                          capture_output=True, text=True)
    error = proc.stderr.strip().splitlines()[-1] if proc.returncode else ""
    sketch = ("the following arguments are required" in error  # `seamlessflow upload` named
              or re.search(r"invalid choice: '[A-Z]+'", error))  # `serve NAME`
    assert proc.returncode == 0 or sketch, f"{where}: `{line}` is refused:\n{proc.stderr}"


PARSE_ONLY = """\
import sys
from seamlessflow.cli.main import build_parser
build_parser(sys.argv[1:]).parse_args(sys.argv[1:])
"""
