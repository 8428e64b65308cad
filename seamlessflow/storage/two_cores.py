"""Hashing thousands of files never seen before on two cores instead of one.

A dry run or first run of a big workflow reads every input once; with a file per
instance, opening, reading and hashing them was the largest part of planning. Threads
cannot share that work (hashing a small buffer holds the GIL, and the system calls are
short), so half of it goes to a forked copy of this process, which sends back what it
found. Only where forking is cheap and safe: Linux, and a process with no other thread
(a forked thread-holding process may inherit a lock held by a thread that is gone).
Only the hashing is shared: a child that also built the instances' identities touched
the whole plan, and the copies of the pages it touched (copy-on-write) made it slower
than the parent doing everything alone.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
import threading
from collections.abc import Callable

FORK_MIN = 400  # fewer files than this are hashed here: the fork would cost more
# what the child sends back must be marshal-able: {key: entry}
HashMany = Callable[[list[str]], dict[str, list]]


def hash_on_two_cores(keys: list[str], hash_many: HashMany) -> dict[str, list]:
    """`hash_many(keys)` over all `keys`, half of them in a forked child. A key the
    child could not hash (or everything, if the child failed) is simply left out: the
    caller hashes what is missing the ordinary way, which reports the error."""
    if len(keys) < FORK_MIN or not fork_is_safe():
        return hash_many(keys)
    half = len(keys) // 2
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return hash_many(keys)
    if pid == 0:  # the child: hash the second half, send it, leave without cleanup
        status = 1
        try:
            os.close(read_end)
            with open(write_end, "wb") as pipe:
                pipe.write(marshal.dumps(hash_many(keys[half:])))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        found = hash_many(keys[:half])
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.close(read_end)
        os.waitpid(pid, 0)
        raise
    with open(read_end, "rb") as pipe:
        sent = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status == 0:
        try:
            found.update(marshal.loads(sent))
        except (EOFError, ValueError, TypeError):
            pass  # a truncated message: the caller hashes the rest itself
    return found


def fork_is_safe() -> bool:
    return sys.platform == "linux" and threading.active_count() == 1
