"""A job's stderr log: the file an instance's log is kept in, and its tail, sent back by
runners whose jobs run on another machine."""

from __future__ import annotations

import os

_LONGEST_NAME = 200  # bytes of a log's file name before it is shortened (a file system allows 255)


def log_file_name(instance: str) -> str:
    """The file name of an instance's log, one per instance name: letters, digits and
    `-._~[]=,` stay, every other byte is percent-encoded (`%` too), so `s[x=a b]` and
    `s[x=a_b]` keep separate logs. A name too long for the file system is cut and ends in
    a hash of the whole name."""
    from urllib.parse import quote

    name = quote(instance, safe="[]=,")
    if len(name) > _LONGEST_NAME:
        from hashlib import sha256

        name = name[:_LONGEST_NAME - 17] + "-" + sha256(instance.encode()).hexdigest()[:16]
    return name + ".log"


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
