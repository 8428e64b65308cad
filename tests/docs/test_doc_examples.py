"""Every Seamlessfile shown in README.md and docs/ is checked (and run, where the page says so)
through the real CLI, so the docs cannot show a workflow the code refuses.

How a page marks its code blocks:

- ```` ```seamlessfile ````: a whole Seamlessfile. It is written into an empty folder and
  `seamlessflow check` must accept it. An HTML comment on the line before the fence says more:
  `<!-- example: files=data/a.txt,corpus/; run -->` creates those project files first (a path
  ending in `/` becomes a folder holding one text file), `run` also runs it (exit 0),
  `error` expects `check` to refuse it (exit 2), and `output=next` expects every line of the
  next code block in what the last command printed (the temporary folder written `/project`,
  durations, checksums, dates and temporary folders compared by shape only). `as=FILE` makes
  the block a file of the next example on its page (an included Seamlessfile), written beside
  it, not run alone.
  `name=NAME` names the example for a console block further down the page (below).
- ```` ```seamlessfile-fragment ````: part of a Seamlessfile (a few fields, a syntax sketch);
  shown, not run.
- Any other block that looks like a Seamlessfile (a line starting with `step `, `let ` or
  `stage `, or a top-level setting such as `project:`) must carry one of the two tags, so a new
  example cannot slip past this test untested.

A block that shows `seamlessflow` commands, and any shell block (```` ```console ````, `$ `
before each command, the output under it; ```` ```bash ````), carries an HTML comment on the
line before its fence:

- `<!-- console: in=examples/workflows/wordstats -->` (a bundled example), `in=above` (the
  last Seamlessfile example above it on the page, with its files), `in=NAME` (the example
  above it annotated `name=NAME`) or `in=empty` (an empty folder) names the project. The test
  copies it into a temporary folder, with a private cache, home and TMPDIR, and runs each `$ `
  line in order in one bash (so `cd` and `export` carry over), with `seamlessflow` on the
  `PATH`. Each must exit 0 (`exit=N`: each exits N), and the lines shown under a command must
  be in what it printed (compared as for `output=next`; a `…` line stands for lines left out).
  `files=` creates more files, as for examples.
- `<!-- console: shown-only=REASON -->`: not run (it needs a service, a cluster, another
  tool); the reason says why.

Every `seamlessflow …` command line the pages show (in code blocks and inline) must also be
accepted by today's argument parser.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
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
CONSOLE_MARKER = re.compile(r"<!--\s*console:(.*?)-->")
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
    console: dict[str, str] | None = None  # the `console:` marker's options
    example: Block | None = None  # the Seamlessfile example its `console: in=` names

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
        console = CONSOLE_MARKER.search(lines[start - 1]) if start else None
        block = Block(page, start + 1, tag, textwrap.dedent("\n".join(body)) + "\n",
                      _options(note.group(1)) if note else {},
                      console=_options(console.group(1)) if console else None)
        if block.console is not None:
            block.example = _example_named(blocks, block.console.get("in", ""))
        if blocks and blocks[-1].annotation.get("output") == "next":
            blocks[-1].next_text = block.text
        if block.tag == "seamlessfile" and "as" in block.annotation:
            pending[block.annotation["as"]] = block.text
        elif block.tag == "seamlessfile":
            block.extra_files, pending = pending, {}
        blocks.append(block)
    return blocks


def _example_named(blocks: list[Block], name: str) -> Block | None:
    """The Seamlessfile example among these blocks that `in=NAME` names: `above` is the
    last one, any other name the one whose annotation says `name=NAME`."""
    examples = [block for block in blocks
                if block.tag == "seamlessfile" and "as" not in block.annotation]
    if name == "above":
        return examples[-1] if examples else None
    return next((block for block in examples if block.annotation.get("name") == name), None)


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


def _write_example(block: Block, project: Path) -> None:
    """The project folder of a Seamlessfile example: the Seamlessfile, the files it
    includes and the sample files its annotation names."""
    project.mkdir(exist_ok=True)
    (project / "Seamlessfile").write_text(block.text)
    for name, text in block.extra_files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    _write_sample_files(block.annotation.get("files", ""), project)


def _write_sample_files(names: str, project: Path) -> None:
    """Sample files at these comma-separated paths; a path ending in `/` is a folder
    holding one text file."""
    for name in filter(None, names.split(",")):
        path = project / name.strip()
        if name.endswith("/"):
            path = path / "a.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SAMPLE_FILES.get(path.name, SAMPLE_TEXT))


def _private_env(tmp_path: Path) -> dict[str, str]:
    """The environment with a cache and Seamless config of the test's own."""
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(tmp_path / "cache"),
           "SEAMLESS_CONFIG_DIR": str(tmp_path / "config")}
    env.pop("SEAMLESS_CACHE", None)
    return env


@pytest.mark.parametrize("block", EXAMPLES, ids=[block.where for block in EXAMPLES])
def test_example(block: Block, tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write_example(block, project)
    env = _private_env(tmp_path)

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
        printed = proc.stdout + proc.stderr
        missing = _not_printed(block.next_text.splitlines(), printed, project)
        assert not missing, f"{block.where}: not printed: {missing}\nprinted:\n{printed}"


def _not_printed(shown: list[str], printed: str, project: Path) -> list[str]:
    """The lines a page shows that are not in what was printed; a blank line, or `…`
    standing for lines left out, is not looked for."""
    shaped = _shape(printed, project)
    return [line for line in shown
            if line.strip() not in ("", "…") and _shape(line, project).strip() not in shaped]


def _shape(text: str, project: Path) -> str:
    text = text.replace(str(project), "/project")
    text = re.sub(r"\b\d+\.\d+s\b", "N.NNs", text)
    text = re.sub(r"\b[0-9a-f]{8}…", "CHECK…", text)
    text = re.sub(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b", "DATE TIME", text)
    text = re.sub(r"\S*/seamlessflow-([^/\s]+)-[a-z0-9_]{8}/", r"TMP/seamlessflow-\1-RANDOM/", text)
    return re.sub(r"\b[0-9a-f]{64}\b", "CHECKSUM", text)


COMMAND_LINE = re.compile(r"^\s*(?:\$\s+)?(seamlessflow\s.*)$", re.MULTILINE)
INLINE_COMMAND = re.compile(r"`(seamlessflow [^`]*)`")
PLACEHOLDER = re.compile(r"\.\.\.|…|\bCOMMAND\b|\w\|\w|\[[A-Z]")


def shown_command_lines() -> list[tuple[str, str]]:
    """Every `seamlessflow …` command line the pages show, in code blocks and inline,
    cut at a comment, a pipe, a redirection or a `&`; lines with a placeholder for a choice
    (`a|b`, `[OPTIONAL]`, `…`, COMMAND) are sketches, not command lines. The blocks that
    test_console_block runs are left to it (some show a command refused on purpose)."""
    found = []
    for block in ALL_BLOCKS:
        if (block.tag in ("seamlessfile", "seamlessfile-fragment", "python", "json", "yaml")
                or (block.console is not None and "shown-only" not in block.console)):
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


SHELL_TAGS = ("console", "bash", "sh", "shell")  # a block of commands, whichever they are
SHOWS_COMMAND = re.compile(  # a line that runs seamlessflow, not a usage line or printed text
    r"^(?!usage:|\s).*(?:^|[\s/(;&|])seamlessflow\s+-{0,2}[a-z]", re.MULTILINE)
CONSOLE_BLOCKS = [block for block in ALL_BLOCKS
                  if block.tag not in ("seamlessfile", "seamlessfile-fragment", "python", "json",
                                       "yaml", "text", "mermaid")
                  and (SHOWS_COMMAND.search(block.text) or block.tag in SHELL_TAGS)]
RUN_BLOCKS = [block for block in CONSOLE_BLOCKS
              if block.console is not None and "shown-only" not in block.console]


def test_every_console_block_is_marked() -> None:
    """A block that shows a `seamlessflow` command, or any shell block, is run, or says why
    it is only shown."""
    unmarked = [block.where for block in CONSOLE_BLOCKS if block.console is None]
    assert not unmarked, ("shell blocks or blocks that show a seamlessflow command but carry no "
                          f"`<!-- console: in=… -->` or `shown-only=REASON` marker: {unmarked}")
    shown = [block for block in CONSOLE_BLOCKS if block not in RUN_BLOCKS]
    assert all(block.console["shown-only"] for block in shown), "shown-only needs a reason"
    print(f"\n{len(RUN_BLOCKS)} console blocks run, {len(shown)} shown only:")
    for block in shown:
        print(f"  {block.where}: {block.console['shown-only']}")
    assert len(RUN_BLOCKS) >= 10


@dataclass
class Command:
    line: str  # the command, continuation lines joined
    shown: list[str]  # the output lines shown under it


def console_commands(block: Block) -> list[Command]:
    """The `$ ` command lines of a console block, with the output shown under each."""
    commands: list[Command] = []
    lines = iter(block.text.splitlines())
    for line in lines:
        if line.startswith("$ "):
            text = line[2:]
            while text.endswith("\\"):
                text += "\n" + next(lines)
            commands.append(Command(text, []))
        elif commands:
            commands[-1].shown.append(line)
    return commands


@pytest.fixture(scope="module")
def seamlessflow_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a `seamlessflow` that runs this test's interpreter and code."""
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "seamlessflow"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m seamlessflow "$@"\n')
    script.chmod(0o755)
    return folder


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=[block.where for block in RUN_BLOCKS])
def test_console_block(block: Block, tmp_path: Path, seamlessflow_bin: Path) -> None:
    assert block.console is not None
    project = tmp_path / "project"
    where = block.console.get("in", "empty")
    if block.example is not None:
        _write_example(block.example, project)
    elif where == "empty":
        project.mkdir()
    else:
        assert (ROOT / where).is_dir(), (f"{block.where}: in={where} is not an example above "
                                         "it, nor a folder of the repository")
        shutil.copytree(ROOT / where, project)
    _write_sample_files(block.console.get("files", ""), project)
    commands = console_commands(block)
    assert commands, f"{block.where}: a console block to run shows no `$ ` command"
    script = ["cd " + shlex.quote(str(project))]
    for i, command in enumerate(commands):
        script.append(f"{{\n{command.line}\n}} >{tmp_path}/out.{i} 2>&1 </dev/null; "
                      f"echo $? >{tmp_path}/rc.{i}")
    env = {**_private_env(tmp_path), "HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path),
           "PATH": f"{seamlessflow_bin}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    (tmp_path / "home").mkdir()
    subprocess.run(["bash", "-c", "\n".join(script)], env=env, timeout=60, check=True)
    for i, command in enumerate(commands):
        printed = (tmp_path / f"out.{i}").read_text()
        want = int(block.console.get("exit") or 0)
        code = int((tmp_path / f"rc.{i}").read_text())
        assert code == want, f"{block.where}: `{command.line}` exited {code}\n{printed}"
        missing = _not_printed(command.shown, printed, project)
        assert not missing, (f"{block.where}: `{command.line}` did not print {missing}\n"
                             f"printed:\n{printed}")
