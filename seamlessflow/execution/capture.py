"""Turning what a successful command left in its workspace into checksums.

Every capture's bytes go into the buffer store here, in the process that ran the command
(so big outputs are hashed where they were written, on all cores of a worker pool).
Nothing is recorded in a result database: the scheduler records a result only after a
successful outcome, so a half-captured attempt can never become a cache hit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from seamlessflow.errors import ExecutionError
from seamlessflow.execution.workspace import inside
from seamlessflow.identity.checksum import plain_serialize
from seamlessflow.identity.transformation import STDOUT_KEY
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.trees import put_tree


class CaptureError(ExecutionError):
    """A declared capture is missing or has the wrong kind: the attempt fails."""

    def __init__(self, message: str, capture: str | None = None):
        super().__init__(message)
        self.capture = capture  # the workspace path it is about, if one


LISTED_MAX = 8  # names of a workspace shown with a missing capture
_WALKED_MAX = 1000  # entries looked at to choose them


def capture_results(
    transformation: dict[str, Any], workspace: Path, stdout_path: Path | None, store: BufferStore
) -> tuple[dict[str, str], str]:
    """Store every capture (and stdout when captured); return the result mapping and its
    checksum, the mapping's plain serialization being stored as a buffer too."""
    result: dict[str, str] = {}
    link = same_file_system(store, workspace)
    for capture in transformation["captures"]:
        result[capture] = _store_capture(capture, workspace, store, link)
    if transformation.get("stdout"):
        if stdout_path is None:
            raise CaptureError("stdout was declared as captured but was not recorded")
        result[STDOUT_KEY] = store.put_file(stdout_path, hardlink=link)
    return result, store.put(plain_serialize(result))


def same_file_system(store: BufferStore, workspace: Path) -> bool:
    """Whether captured files can be hard-linked into the store instead of copied. The
    workspace is private and removed after the attempt, so its files can become buffers:
    no copy, and no new inode, which on some file systems is the dearest part of a
    short step."""
    root = getattr(store, "root", None)
    if root is None:
        return False
    try:
        return os.stat(root).st_dev == os.stat(workspace).st_dev
    except OSError:
        return False


def _store_capture(capture: str, workspace: Path, store: BufferStore, link: bool) -> str:
    path = inside(workspace, capture)
    want_dir = capture.endswith("/")
    try:
        st: os.stat_result | None = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    if st is None or stat.S_ISLNK(st.st_mode) or "/" in capture.rstrip("/"):
        # a link, or a path through folders that may be links: resolve it
        if not path.exists():
            raise missing_capture(workspace, capture)
        if not path.resolve().is_relative_to(workspace.resolve()):
            raise CaptureError(
                f"capture '{capture}' is a link that points outside the workspace", capture)
        st = os.stat(path)
    if want_dir:
        if not stat.S_ISDIR(st.st_mode):
            raise CaptureError(f"capture '{capture}' should be a directory, but is a file",
                               capture)
        deep_checksum, _index = put_tree(store, path)
        return deep_checksum
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise CaptureError(f"capture '{capture}' should be a file, but is {kind}", capture)
    return store.put_file(path, hardlink=link)


def missing_capture(workspace: Path, capture: str, hidden: str | None = None) -> CaptureError:
    """The error of a capture the command did not produce, with what it left instead
    (`hidden`: a top folder of the workspace not to list, the one results are moved to)."""
    kind = "directory" if capture.endswith("/") else "file"
    return CaptureError(f"capture '{capture}' was not produced (no such {kind} in the "
                        "workspace); " + _what_was_there(workspace, capture.rstrip("/"), hidden),
                        capture)


def _what_was_there(workspace: Path, capture: str, hidden: str | None = None) -> str:
    """The workspace's files and folders (`sub/`), those most like `capture` first: the
    file a command wrote under another name, or in another folder, is then easy to spot."""
    from seamlessflow.language.suggest import nearest_first

    names: list[str] = []
    for folder, dirs, files in os.walk(workspace):
        if folder == str(workspace) and hidden in dirs:
            dirs.remove(hidden)
        rel = os.path.relpath(folder, workspace)
        prefix = "" if rel == "." else rel + "/"
        names.extend(prefix + d + "/" for d in dirs)
        names.extend(prefix + f for f in files)
        if len(names) >= _WALKED_MAX:
            break
    if not names:
        return "the workspace was empty"
    shown = nearest_first(capture, names)
    more = f", and {len(shown) - LISTED_MAX} more" if len(shown) > LISTED_MAX else ""
    return "the workspace held: " + ", ".join(shown[:LISTED_MAX]) + more
