"""Whether a process named in a file we left behind still runs: temporary files and
token files carry the pid of the process that made them, and are stale once it is gone."""

from __future__ import annotations

import errno
import os


def process_exists(pid: int, *, ours_only: bool = False) -> bool:
    """True while `pid` runs on this machine. A process of another account counts unless
    `ours_only`: for a file only we can have written, such a pid was reused."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError as exc:  # EPERM: it exists, under another account
        return not ours_only and exc.errno == errno.EPERM
    return True
