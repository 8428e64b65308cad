"""Names of temporary files and folders, and removing those a killed process left behind.

Every temporary file or folder seamlessflow makes beside a destination is named
`.seamlessflow-tmp-HOST-PID-RANDOM`: HOST is 8 hex digits of this machine (its host
name and process namespace), PID the maker's process id. A process killed with
SIGKILL cannot remove its temporaries; the first write of a later process into the same
folder does (`sweep`): those made on this machine by a process that no longer exists,
and any older than a day (made elsewhere, on a shared file system, or under an older
naming). Deep checksums skip these names (identity/deep.py), so a leftover never
changes what a folder hashes to.

A step's workspace in the system temp folder (execution/workspace.py) is named the same
way, `.seamlessflow-tmp-HOST-PID-INSTANCE-RANDOM`, and swept the same way by the next
workspace made there: a run killed with SIGKILL leaves its workspaces behind too.
"""

from __future__ import annotations

import hashlib
import os
import time

from seamlessflow.storage.processes import process_exists

TEMP_PREFIX = ".seamlessflow-tmp-"
MAX_AGE_S = 24 * 3600  # a temporary file whose maker cannot be asked is stale after this
_MEMO_LIMIT = 10_000  # folders remembered as swept; a long-lived process starts over


def _host_tag() -> str:
    """This machine, as far as process ids mean anything: containers on one host name
    have their own process ids, so their namespace is part of it."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return hashlib.sha256(f"{os.uname().nodename}/{namespace}".encode()).hexdigest()[:8]


HOST_TAG = _host_tag()
_swept: set[str] = set()


def temp_prefix() -> str:
    """The start of the name of a temporary this process makes: what `sweep` reads back."""
    return f"{TEMP_PREFIX}{HOST_TAG}-{os.getpid()}-"


def temp_name(folder: str | os.PathLike) -> str:
    """A fresh temporary path in `folder` (not created here)."""
    return os.path.join(folder, temp_prefix() + os.urandom(6).hex())


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX)


def sweep(folder: str | os.PathLike) -> None:
    """Remove the stale temporaries in `folder`, once per folder and process: called
    before a temporary is made there, so only folders seamlessflow writes into are ever
    listed, and a run that writes nothing lists none."""
    key = os.fspath(folder)
    if key in _swept:
        return
    if len(_swept) >= _MEMO_LIMIT:
        _swept.clear()
    _swept.add(key)
    try:
        entries = os.scandir(key)
    except OSError:
        return  # not there yet (the caller creates it), or unreadable: nothing to sweep
    with entries:
        stale = [entry.path for entry in entries if is_temp_name(entry.name) and _stale(entry)]
    for path in stale:
        _remove(path)


def _stale(entry: os.DirEntry) -> bool:
    host, _, rest = entry.name[len(TEMP_PREFIX):].partition("-")
    pid, _, _ = rest.partition("-")
    if host == HOST_TAG and pid.isdigit():
        return int(pid) != os.getpid() and not process_exists(int(pid))
    try:
        return time.time() - entry.stat(follow_symlinks=False).st_mtime > MAX_AGE_S
    except OSError:
        return False


def _remove(path: str) -> None:
    """Best effort: a leftover that cannot be removed costs space, not correctness."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            import shutil

            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass
