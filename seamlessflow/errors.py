"""The project's own error types.

Every error a user can cause ends up as one of these, so the CLI can print it
plainly and exit with the status CLI.md prescribes instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process it ended


# Records here and in the language layer are NamedTuples, not frozen dataclasses: a
# dataclass compiles generated code when its module is imported (a millisecond each,
# paid by every command), and positions are made and hashed by the thousand.


class SourcePos(NamedTuple):
    """A place in a source file; line and column count from 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def in_project(self, root: str) -> str:
        """FILE:LINE:COL as a run's messages show it (`Seamlessfile:27:5`)."""
        return f"{self.file_in_project(root)}:{self.line}:{self.column}"

    def file_in_project(self, root: str) -> str:
        """The file relative to the project folder when it is inside it."""
        import os

        rel = os.path.relpath(self.file, root)
        return self.file if rel.startswith("..") else rel


class Diagnostic(NamedTuple):
    """One problem in a Seamlessfile (or a config file), anchored at a position."""

    pos: SourcePos | None
    message: str
    hint: str | None = None

    def render(self, source_lines: list[str] | None = None) -> str:
        """`FILE:LINE:COL: error: MESSAGE`, the source line, a caret, and the hint."""
        if self.pos is None:
            head = f"error: {self.message}"
        else:
            head = f"{self.pos}: error: {self.message}"
        parts = [head]
        if self.pos is not None:
            if source_lines is None:
                source_lines = _read_lines(self.pos.file)
            if 1 <= self.pos.line <= len(source_lines):
                text = source_lines[self.pos.line - 1].rstrip("\n")
                parts.append("    " + text)
                parts.append("    " + " " * max(self.pos.column - 1, 0) + "^")
        if self.hint:
            parts.append(f"  hint: {self.hint}")
        return "\n".join(parts)


def _read_lines(file: str) -> list[str]:
    try:
        return Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


class SeamlessflowError(Exception):
    """Base of every error meant for the user; `exit_code` is what the CLI returns."""

    exit_code = EXIT_FAILED

    def render(self) -> str:
        return f"error: {self}"


class UsageError(SeamlessflowError):
    """A bad command line or a bad config value: exit 2."""

    exit_code = EXIT_USAGE


class WorkflowError(SeamlessflowError):
    """One or more problems in a Seamlessfile, all reported at once: exit 2."""

    exit_code = EXIT_USAGE

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.message for d in self.diagnostics))

    def render(self) -> str:
        cache: dict[str, list[str]] = {}
        out = []
        for d in sorted(self.diagnostics, key=_diag_key):
            lines = None
            if d.pos is not None:
                lines = cache.setdefault(d.pos.file, _read_lines(d.pos.file))
            out.append(d.render(lines))
        n = len(self.diagnostics)
        out.append(f"{n} error{'s' if n != 1 else ''} found.")
        return "\n".join(out)


def _diag_key(d: Diagnostic) -> tuple:
    if d.pos is None:
        return ("", 0, 0)
    return (d.pos.file, d.pos.line, d.pos.column)


class StoreError(SeamlessflowError):
    """A buffer store or result database problem (missing buffer, unreadable folder): exit 1."""


class ResultConflict(StoreError):
    """A different result is already recorded for the transformation, and the writer did
    not ask to replace it: a transformation has one result, and a recorded one is never
    silently exchanged for another (which would let anyone who can write poison it)."""


class ExecutionError(SeamlessflowError):
    """A step or transfer failed at run time: exit 1."""


class DiagnosticCollector:
    """Gathers diagnostics so that all errors are reported, not only the first."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, pos: SourcePos | None, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(pos, message, hint))

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise WorkflowError(self.diagnostics)
