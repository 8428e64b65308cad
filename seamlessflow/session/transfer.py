"""Files to and from the buffer store, by their sidecars: checksum, upload, download.

One path at a time, for `seamlessflow checksum`, `upload` and `download` and the Python
API alike; each raises the SeamlessflowError its path deserves, and the caller decides
whether to go on with the next path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from seamlessflow.errors import StoreError


def checksum(path: str | Path) -> str:
    """The checksum of a file, or the deep checksum of a directory. Writes nothing."""
    from seamlessflow.identity.deep import path_checksum
    from seamlessflow.storage.atomic import os_error

    try:
        return path_checksum(Path(path))
    except OSError as exc:
        raise os_error(exc, path, "read") from None


def open_store():
    """The buffer store this machine's configuration names (local folder or hashserver)."""
    from seamlessflow.session.stores import open_store

    return open_store()


def upload(store, text: str, hardlink: bool = False) -> str:
    """Put the file or directory `text` into `store`, write its `PATH.CHECKSUM` sidecar
    (and `DIR.INDEX` for a directory); its checksum."""
    from seamlessflow.storage.atomic import os_error
    from seamlessflow.storage.sidecars import (
        CHECKSUM_SUFFIX,
        INDEX_SUFFIX,
        write_index,
        write_sidecar,
    )
    from seamlessflow.storage.trees import put_tree

    path = Path(text)
    if str(text).endswith((CHECKSUM_SUFFIX, INDEX_SUFFIX)):
        raise StoreError(f"{text} is a sidecar; upload the file it stands for")

    def put_file(path: Path, checksum: str | None = None) -> str:
        return store.put_file(path, checksum, hardlink=hardlink)

    try:
        if path.is_dir():
            checksum, index = put_tree(store, path, hasher=put_file)
            write_index(path, index)
        else:
            checksum = put_file(path)
    except OSError as exc:
        raise os_error(exc, text, "upload") from None
    write_sidecar(path, checksum)
    return checksum


def download(store, text: str, warn: Callable[[str], None]) -> Path | None:
    """Write the file or directory `text` (PATH, PATH.CHECKSUM or PATH/ for a folder
    without a DIR.INDEX) from its sidecar; the path written, None when the local copy
    already matched. A local copy that differs is replaced, but its bytes are stored
    first when the store lacks them, and `warn` names their checksum."""
    from seamlessflow.identity.checksum import plain_serialize
    from seamlessflow.identity.deep import deep_checksum
    from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX, index_path, read_index, read_sidecar
    from seamlessflow.storage.trees import write_tree

    text = str(text)
    path = Path(text[: -len(CHECKSUM_SUFFIX)] if text.endswith(CHECKSUM_SUFFIX) else text)
    path = Path(str(path).rstrip("/") or "/")
    checksum = read_sidecar(path)
    is_dir = text.endswith("/") or index_path(path).exists() or path.is_dir() \
        or _names_a_folder(store, checksum)
    if is_dir and index_path(path).exists():
        index = read_index(path)
        if deep_checksum(index) != checksum:
            raise StoreError(f"{index_path(path)} does not match {path}{CHECKSUM_SUFFIX}: "
                             "one of them is stale; upload the directory again")
        store.put(plain_serialize(index))  # the index file makes the store's copy optional
    elif is_dir:
        _require_a_directory(store, path, checksum)
    # a file holding a folder's index (as `download d` once wrote it) is not that folder
    if keep_local(store, path, checksum, warn) and (path.is_dir() or not is_dir):
        return None
    if is_dir:
        write_tree(store, checksum, path)
    elif not store.write_to(checksum, path):
        raise StoreError(f"cannot download {path}: its checksum {checksum} (from "
                         f"{path}{CHECKSUM_SUFFIX}) is not in the buffer store")
    return path


def _names_a_folder(store, checksum: str) -> bool:
    """Whether `checksum` is the deep checksum of a folder with files: its buffer is a
    folder index as `upload` stores it (plain JSON, 2-space indent). Other buffers are
    read no further than their first bytes, so a large file is not loaded to find out.
    An empty folder's index is the bytes of the JSON file `{}`, the same checksum: that
    stays a file, and the folder takes `PATH/`."""
    from seamlessflow.storage.trees import load_index

    stream = store.open(checksum)
    if stream is None:
        return False
    with stream:
        head = stream.read(4)
    if head != b'{\n  ':
        return False
    try:
        load_index(store, checksum)
    except StoreError:
        return False
    return True


def _require_a_directory(store, path: Path, checksum: str) -> None:
    """A folder is wanted at `path` (one stands there, or `PATH/` was asked for) and no
    `DIR.INDEX` says what the sidecar names: only a directory index in the store makes
    it a folder's checksum. Anything else is refused before anything is touched: a
    file's bytes cannot replace a folder."""
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


def keep_local(store, path: Path, checksum: str, warn: Callable[[str], None]) -> bool:
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
    warn(f"{path} differed from its sidecar and is replaced; its previous content is kept "
         f"in the buffer store as {saved} ({recovery_hint(saved, path.is_dir())})")
    return False
