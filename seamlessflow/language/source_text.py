"""Reading a Seamlessfile, an include or a config file: its text and its checksum at once.

The plan cache keys a plan on the checksums of the files it was built from. They must be
the checksums of exactly the bytes that were parsed: reading the file again afterwards
could see an edit made meanwhile (an editor's save arriving in two writes, during watch
mode's re-planning) and keep a plan of the old text under the new checksum.
"""

from __future__ import annotations

from pathlib import Path

from seamlessflow.errors import SourcePos
from seamlessflow.identity.checksum import checksum_bytes


def read_source(path: Path) -> tuple[str, str]:
    """(text, checksum of the bytes). The text has universal newlines, as `read_text`
    gives it; OSError and UnicodeDecodeError are the caller's to report."""
    data = path.read_bytes()
    text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return text, checksum_bytes(data)


def undecodable_at(exc: UnicodeDecodeError, file: str) -> SourcePos:
    """Where in `file` the bytes stop being UTF-8: its line, and its column in characters."""
    data = exc.object
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
    return SourcePos(file, data.count(b"\n", 0, exc.start) + 1, column)
