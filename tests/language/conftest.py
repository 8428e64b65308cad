"""A project folder to write Seamlessfiles into, load them, and `check` them via the CLI."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from seamlessflow.cli.main import main
from seamlessflow.errors import Diagnostic, WorkflowError
from seamlessflow.graph.model import Workflow
from seamlessflow.language.load import load_workflow

_HEADER = re.compile(r"^(?P<where>.+?:\d+:\d+): error: (?P<message>.*)$")


@dataclass
class Reported:
    """One error as `check` printed it; `where` is `FILE:LINE:COL` with FILE relative to
    the project folder."""

    where: str
    message: str
    hint: str | None = None


class Project:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]):
        self.root = root
        self._capsys = capsys

    def write(self, rel: str, text: str) -> Path:
        """Writes `text` dedented, without the newline after an opening triple quote, so
        that line 1 of the file is the first line of the literal."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).removeprefix("\n"))
        return path

    def touch(self, *rels: str) -> None:
        for rel in rels:
            self.write(rel, f"{rel}\n")

    def load(self, overrides: dict[str, Any] | None = None) -> Workflow:
        return load_workflow(self.root / "Seamlessfile", overrides)

    def errors(self, overrides: dict[str, Any] | None = None) -> list[Diagnostic]:
        with pytest.raises(WorkflowError) as info:
            self.load(overrides)
        return info.value.diagnostics

    def check(self, *args: str) -> tuple[int, str, str]:
        """`seamlessflow -C ROOT check ARGS`: (exit status, stdout, stderr)."""
        code = main(["-C", str(self.root), "check", *args])
        out, err = self._capsys.readouterr()
        return code, out, err

    def check_errors(self, *args: str) -> list[Reported]:
        """The errors `check` reports (it must exit 2), each with its hint."""
        code, _, err = self.check(*args)
        assert code == 2, err
        assert "Traceback" not in err
        prefix = str(self.root) + "/"
        found: list[Reported] = []
        for line in err.splitlines():
            header = _HEADER.match(line)
            if header:
                found.append(Reported(header["where"].removeprefix(prefix), header["message"]))
            elif line.startswith("  hint: "):
                found[-1].hint = line.removeprefix("  hint: ")
        n = len(found)
        assert err.rstrip().endswith(f"{n} error{'s' if n != 1 else ''} found."), err
        return found


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Project:
    # `check -C` changes the working directory; monkeypatch puts it back afterwards.
    # The root is resolved because reported paths come from the resolved working directory.
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path.resolve(), capsys)
