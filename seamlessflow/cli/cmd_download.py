"""Write files and directories from their `PATH.CHECKSUM` sidecars, taking the bytes
from the buffer store (a directory is rebuilt file by file from its `DIR.INDEX`).

A local file that differs from its sidecar is replaced, but never lost: if the store
does not already hold its bytes, they are stored first and a warning names their
checksum, so `seamlessflow resolve` (or, for a folder, `download` itself) can bring them
back. `PATH/` says that the sidecar names a folder, for a folder that has no `DIR.INDEX`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="files or directories (PATH or PATH.CHECKSUM)")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.each_path import run_each
    from seamlessflow.storage.location import open_default_store

    store = open_default_store()
    return run_each(args.paths, lambda text: _download(store, text, args.verbose))


def _download(store, text: str, verbose: bool) -> None:
    from seamlessflow.errors import StoreError
    from seamlessflow.identity.checksum import plain_serialize
    from seamlessflow.identity.deep import deep_checksum
    from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX, index_path, read_index, read_sidecar
    from seamlessflow.storage.trees import write_tree

    path = Path(text[: -len(CHECKSUM_SUFFIX)] if text.endswith(CHECKSUM_SUFFIX) else text)
    path = Path(str(path).rstrip("/") or "/")
    checksum = read_sidecar(path)
    is_dir = text.endswith("/") or index_path(path).exists() or path.is_dir()
    if is_dir and index_path(path).exists():
        index = read_index(path)
        if deep_checksum(index) != checksum:
            raise StoreError(f"{index_path(path)} does not match {path}{CHECKSUM_SUFFIX}: "
                             "one of them is stale; upload the directory again")
        store.put(plain_serialize(index))  # the index file makes the store's copy optional
    elif is_dir:
        _require_a_directory(store, path, checksum)
    if keep_local(store, path, checksum):
        return
    if is_dir:
        write_tree(store, checksum, path)
    elif not store.write_to(checksum, path):
        raise StoreError(f"cannot download {path}: its checksum {checksum} (from "
                         f"{path}{CHECKSUM_SUFFIX}) is not in the buffer store")
    if verbose:
        print(f"wrote {path}", file=sys.stderr)


def _require_a_directory(store, path: Path, checksum: str) -> None:
    """A folder is wanted at `path` (one stands there, or `PATH/` was asked for) and no
    `DIR.INDEX` says what the sidecar names: only a directory index in the store makes
    it a folder's checksum. Anything else is refused before anything is touched: a
    file's bytes cannot replace a folder."""
    from seamlessflow.errors import StoreError
    from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX
    from seamlessflow.storage.trees import load_index

    try:
        load_index(store, checksum)
    except StoreError:
        if not store.has([checksum])[0]:
            raise StoreError(f"cannot download {path}: its checksum {checksum} (from "
                             f"{path}{CHECKSUM_SUFFIX}) is not in the buffer store") from None
        if path.is_dir():
            raise StoreError(f"cannot download {path}: {path}{CHECKSUM_SUFFIX} names a file, "
                             f"but {path} is a directory, which was left as it is; move it "
                             "away, then download again") from None
        raise StoreError(f"cannot download {path}/: {path}{CHECKSUM_SUFFIX} names a file, not "
                         f"a directory; download {path} without the '/'") from None


def keep_local(store, path: Path, checksum: str) -> bool:
    """True when the local copy already matches. Otherwise make sure the bytes about
    to be replaced are in the store, warning when they were not all there already."""
    from seamlessflow.identity.checksum import checksum_file
    from seamlessflow.identity.deep import deep_checksum, deep_index
    from seamlessflow.storage.atomic import os_error
    from seamlessflow.storage.sidecars import recovery_hint
    from seamlessflow.storage.trees import put_tree

    if not (path.exists() or path.is_symlink()):
        return False
    try:
        if path.is_dir():
            index = deep_index(path)
            current, needed = deep_checksum(index), [deep_checksum(index), *index.values()]
        else:
            current = checksum_file(path)
            needed = [current]
        if current == checksum:
            return True
        if all(store.has(needed)):
            return False
        saved = put_tree(store, path)[0] if path.is_dir() else store.put_file(path, current)
    except OSError as exc:
        raise os_error(exc, path, "read") from None
    print(f"warning: {path} differed from its sidecar and is replaced; its previous content "
          f"is kept in the buffer store as {saved} ({recovery_hint(saved, path.is_dir())})",
          file=sys.stderr)
    return False
