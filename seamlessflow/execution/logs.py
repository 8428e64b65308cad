"""A job's stderr log, sent back by runners whose jobs run on another machine."""

from __future__ import annotations

import os


def read_log_tail(path: str, limit: int) -> str | None:
    """The log's last `limit` bytes as text (a note says how much was left out), or None
    when the job left no log. Remote runners bound what they send back: a command that
    floods stderr must not flood the network with it."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(max(0, size - limit))
            data = f.read()
    except FileNotFoundError:
        return None
    text = data.decode("utf-8", "replace")
    if size > limit:
        text = f"[{size - limit} earlier bytes omitted]\n" + text
    return text
