"""Where a command's stderr goes while it runs, and what is read back from it.

Most steps write nothing to stderr. An anonymous in-memory file (memfd) then costs no
file at all, where a `stderr` file beside the workspace cost one inode per step, and
on a busy ext4 without a journal an inode costs more than starting bash.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

TAIL_LINES = 20
_TAIL_BYTES = 64 * 1024  # enough for 20 long lines; never read a huge log whole


def _memfd_works() -> bool:
    try:
        os.close(os.memfd_create("seamlessflow-probe", os.MFD_CLOEXEC))
    except (AttributeError, OSError):
        return False
    return True


MEMFD = _memfd_works()


class Stderr:
    """A memfd where the system has them, else a file named `stderr` in the attempt's
    private folder. What a command writes to a memfd is held in memory (as in a tmpfs
    /tmp) until it is copied to the step's log."""

    def __init__(self, private_dir: Path):
        self.path: Path | None = None
        if MEMFD:
            self.fd = os.memfd_create("seamlessflow-stderr", os.MFD_CLOEXEC)
        else:
            self.path = private_dir / "stderr"
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC,
                              0o666)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def copy_to(self, out: BinaryIO) -> None:
        offset = 0
        while chunk := os.pread(self.fd, 1 << 20, offset):
            out.write(chunk)
            offset += len(chunk)

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last `lines` lines, reading only the end."""
        size = self.size()
        start = max(0, size - _TAIL_BYTES)
        data = os.pread(self.fd, size - start, start)
        text = data.decode("utf-8", errors="replace").rstrip("\n")
        return "\n".join(text.splitlines()[-lines:])

    def keep(self, private_dir: Path) -> None:
        """Leave the content as `stderr` beside a kept workspace, as a file would be."""
        if self.path is None:
            with open(private_dir / "stderr", "wb") as out:
                self.copy_to(out)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
