"""`seamlessflow` run at a pseudo-terminal, its screen kept as a terminal keeps it.

The live display redraws itself with cursor movements, so the stream it writes is not
what a user sees: `Screen` replays that stream (the few controls rich writes: carriage
return, line feed, cursor up, erase in line) onto the lines of the terminal and its
scrollback. A cursor cannot go above the top of the visible rows, as on a real
terminal: a panel taller than the window leaves its top behind, as a user would see.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path

_TOKEN = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07]*\x07|\r|\n|[^\x1b\r\n]+|\x1b")


class Screen:
    """What a terminal of `rows` x `columns` shows, scrollback included. `on_line_end`
    is called with the screen each time a line is ended (carriage return or line feed)
    while the cursor is on it: a live display's frame is complete there."""

    def __init__(self, rows: int, columns: int,
                 on_line_end: Callable[[Screen], None] | None = None):
        self.rows, self.columns = rows, columns
        self.lines: list[str] = [""]
        self.row = self.col = 0
        self.on_line_end = on_line_end

    def feed(self, text: str) -> None:
        for match in _TOKEN.finditer(text):
            token = match.group(0)
            if token in ("\r", "\n"):
                if self.on_line_end is not None:
                    self.on_line_end(self)
                if token == "\r":
                    self.col = 0
                else:
                    self._move_to(self.row + 1)
            elif match.group(2) is not None:
                self._control(match.group(1), match.group(2))
            elif not token.startswith("\x1b"):
                self._write(token)

    def _control(self, params: str, final: str) -> None:
        count = int(params) if params.isdigit() else 1
        if final == "A":
            self._move_to(max(self.row - count, len(self.lines) - self.rows, 0))
        elif final == "K":
            line = self.lines[self.row]
            self.lines[self.row] = "" if params == "2" else line[:self.col]
        elif final == "G":
            self.col = count - 1
        # m (colours), h/l (cursor shown or hidden): nothing to keep

    def _move_to(self, row: int) -> None:
        while row >= len(self.lines):
            self.lines.append("")
        self.row = row

    def _write(self, text: str) -> None:
        line = self.lines[self.row].ljust(self.col)
        self.lines[self.row] = line[:self.col] + text + line[self.col + len(text):]
        self.col += len(text)

    @property
    def current(self) -> str:
        return self.lines[self.row]

    def find(self, pattern: re.Pattern[str]) -> int | None:
        """The row of the last visible line that `pattern` matches at its start."""
        for row in range(len(self.lines) - 1, max(len(self.lines) - self.rows, 0) - 1, -1):
            if pattern.match(self.lines[row]):
                return row
        return None

    def above(self) -> list[str]:
        """The lines above the cursor's."""
        return self.lines[:self.row]

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.lines).strip("\n") + "\n"


class Terminal:
    """`seamlessflow -C ROOT ARGS` with its standard output and error on a pseudo-
    terminal of `rows` x `columns`."""

    def __init__(self, root: Path, cache: Path, *args: str, rows: int = 24,
                 columns: int = 120, env: dict[str, str] | None = None,
                 on_line_end: Callable[[Screen], None] | None = None):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        full_env = {**os.environ, "SEAMLESSFLOW_CACHE": str(cache), "TERM": "xterm",
                    **(env or {})}
        for name in ("SEAMLESS_CACHE", "COLUMNS", "LINES"):
            full_env.pop(name, None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "seamlessflow", "-C", str(root), *args],
            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=full_env)
        os.close(slave)
        self.master = master
        self.screen = Screen(rows, columns, on_line_end)
        self.stream = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def _read(self) -> bool:
        """One chunk onto the screen; False at the end of the output."""
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the other side is closed
            chunk = b""
        if not chunk:
            return False
        text = self._decoder.decode(chunk)
        self.stream += text
        self.screen.feed(text)
        return True

    def wait_for(self, shown: Callable[[Screen], bool], patience: float = 60) -> None:
        """Read until the screen satisfies `shown`; an AssertionError if the output
        ends first, or nothing is written for `patience` seconds (a run waiting for
        the test, which waits for it, would else hang until pytest's timeout)."""
        while not shown(self.screen):
            quiet = not select.select([self.master], [], [], patience)[0]
            if quiet or not self._read():
                raise AssertionError(("nothing more was written" if quiet else "the output "
                                      "ended first") + "; the screen:\n" + self.screen.text())

    def finish(self, timeout: float = 120) -> int:
        """Read to the end; the exit status."""
        while self._read():
            pass
        os.close(self.master)
        return self.proc.wait(timeout=timeout)
