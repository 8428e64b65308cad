"""Files and the buffer store from Python: checksum, upload, download, explain.

As the commands of the same names, path by path; the first path that fails raises its
SeamlessflowError (the paths before it are done).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seamlessflow.session.explain import Explanation

PathLike = str | os.PathLike


def checksum(path: PathLike) -> str:
    """The checksum of a file, or the deep checksum of a directory; writes nothing."""
    from seamlessflow.session.transfer import checksum

    return checksum(os.fspath(path))


def upload(paths: PathLike | Iterable[PathLike], hardlink: bool = False) -> dict[str, str]:
    """Put files and directories into the buffer store and write their `PATH.CHECKSUM`
    sidecars (and `DIR.INDEX`); path -> checksum. `hardlink`: link files into a local
    store instead of copying them (they become read-only)."""
    from seamlessflow.session.transfer import open_store, upload

    store = open_store()
    return {text: upload(store, text, hardlink) for text in _texts(paths)}


def download(paths: PathLike | Iterable[PathLike],
             on_warning: Callable[[str], None] | None = None) -> list[Path]:
    """Write files and directories from their sidecars (PATH, PATH.CHECKSUM, or PATH/ for
    a folder without DIR.INDEX); the paths written (not those that already matched). A
    local copy that differs is replaced, its bytes kept in the store first: `on_warning`
    is told their checksum (default: a Python warning)."""
    from seamlessflow.session.transfer import download, open_store

    store = open_store()
    warn = on_warning or _warn
    written = [download(store, text, warn) for text in _texts(paths)]
    return [path for path in written if path is not None]


def explain(path: PathLike, seamlessfile: PathLike = "Seamlessfile",
            config: Mapping[str, Any] | None = None) -> Explanation:
    """Where the project file `path` (relative to the current folder) comes from, as
    `seamlessflow explain` says it: `.produced_by`, `.transformation`, `.checksum`,
    `.on_disk` ("matches", "missing", "differs: ...") and the whole `.text`."""
    from seamlessflow.api.workflow import API_NAMING
    from seamlessflow.session.explain import explain
    from seamlessflow.session.startup import find_seamlessfile

    return explain(find_seamlessfile(os.fspath(seamlessfile), API_NAMING), os.fspath(path), config,
                   Path.cwd())


def _texts(paths: PathLike | Iterable[PathLike]) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _warn(message: str) -> None:
    warnings.warn(message, stacklevel=3)
