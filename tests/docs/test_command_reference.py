"""docs/commands.md is what the argument parsers say: a flag added, removed or reworded
without regenerating the page (python tools/gen_command_docs.py) fails here."""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

from seamlessflow.cli.command_docs import render
from seamlessflow.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "commands.md"


def test_the_page_matches_the_parsers() -> None:
    expected = render()
    actual = PAGE.read_text()
    diff = "".join(difflib.unified_diff(actual.splitlines(True), expected.splitlines(True),
                                        "docs/commands.md", "the parsers"))
    assert actual == expected, (
        f"docs/commands.md is out of date: run `python tools/gen_command_docs.py`\n{diff}")


def test_every_flag_of_every_command_is_on_the_page() -> None:
    """The page is built from the same parsers `--help` prints: each option a command's
    --help lists appears in that command's section."""
    page = PAGE.read_text()
    for name in COMMANDS:
        section = page.split(f"## `seamlessflow {name}`\n", 1)[1].split("\n## ", 1)[0]
        helptext = subprocess.run([sys.executable, "-m", "seamlessflow", name, "--help"],
                                  capture_output=True, text=True, check=True).stdout
        options = helptext.split("\noptions:\n", 1)[1]
        flags = {spelling.split()[0] for line in options.splitlines()
                 if line.startswith("  -")
                 for spelling in re.split(r"\s{2,}", line.strip())[0].split(", ")}
        missing = sorted(f for f in flags - {"-h", "--help", "-C", "-f", "--file", "-q",
                                         "--quiet", "-v", "--verbose"}
                         if f"`{f}" not in section)
        assert not missing, f"{name}: {missing} not in docs/commands.md"


def test_the_generator_writes_the_page(tmp_path: Path) -> None:
    """tools/gen_command_docs.py writes exactly render() into docs/commands.md."""
    tree = tmp_path / "tree"
    (tree / "tools").mkdir(parents=True)
    (tree / "docs").mkdir()
    (tree / "tools" / "gen_command_docs.py").write_text(
        (ROOT / "tools" / "gen_command_docs.py").read_text())
    subprocess.run([sys.executable, str(tree / "tools" / "gen_command_docs.py")], check=True)
    assert (tree / "docs" / "commands.md").read_text() == render()
