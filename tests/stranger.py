"""Running a service as another account that shares nothing with the client but the
network: its own uid (65534, "nobody"), working folder, HOME, config and cache folders,
and no read access to the client's project or cache. So whatever it needs must come
through the hashserver, as on another machine.

The test process must be root (to switch uid and to mount). When the Python
installation lies under a folder other accounts cannot enter (e.g. /root/.pyenv), the
stranger runs in a private mount namespace in which only that installation is made
visible; nothing else of that folder is.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

UID = GID = 65534


def own_folder(path: Path) -> Path:
    """A folder (made if needed) that belongs to the stranger and that only it can read."""
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, UID, GID)
    os.chmod(path, 0o700)
    return path


def own_file(path: Path, content: str) -> Path:
    path.write_text(content)
    os.chown(path, UID, GID)
    os.chmod(path, 0o600)
    return path


def hide(folder: Path) -> None:
    """Make `folder` the client's alone, as a project folder on another machine is."""
    os.chown(folder, 0, 0)
    os.chmod(folder, 0o700)


def _closed_ancestor(path: Path) -> Path | None:
    """The topmost ancestor of `path` that other accounts cannot enter, if any."""
    for folder in reversed(path.parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def as_stranger(argv: list[str]) -> list[str]:
    """`argv`, run as the stranger."""
    switch = ["setpriv", f"--reuid={UID}", f"--regid={GID}", "--clear-groups", "--", *argv]
    python = Path(sys.base_prefix).resolve()
    closed = _closed_ancestor(python / "bin")
    if closed is None:
        return switch
    # a tmpfs over the closed folder, with only the Python installation mounted back in
    script = (
        "set -e; stash=$(mktemp -d); "
        f"mount --bind {shlex.quote(str(python))} \"$stash\"; "
        f"mount -t tmpfs -o mode=755 stranger {shlex.quote(str(closed))}; "
        f"mkdir -p {shlex.quote(str(python))}; "
        f"mount --move \"$stash\" {shlex.quote(str(python))}; rmdir \"$stash\"; "
        'exec "$@"'
    )
    return ["unshare", "--mount", "--propagation", "private", "--",
            "sh", "-c", script, "stranger", *switch]


def cannot_read(path: Path) -> bool:
    """Whether the stranger is refused reading `path` (checks the set-up itself)."""
    done = subprocess.run(as_stranger(["cat", str(path)]), capture_output=True, text=True)
    return done.returncode != 0 and "Permission denied" in done.stderr


def process_uid(pid: int) -> int:
    """The real uid of a running process."""
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    return int(line.split()[1])
