"""Directories in a buffer store: every file as a buffer, plus the deep index itself.

Storing the index buffer is what makes a deep checksum resolvable on its own: any
machine that can reach the store can rebuild the directory from the checksum alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import checksum_file, plain_serialize
from seamlessflow.identity.deep import Hasher, deep_index, validate_index
from seamlessflow.storage.atomic import DIR_MODE, os_error, temp_dir_in
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.leftovers import temp_name


def put_tree(
    store: BufferStore, directory: Path, hasher: Hasher = checksum_file
) -> tuple[str, dict[str, str]]:
    """Returns (deep checksum, index). With the default hasher each file is read once
    (hashed while it is copied in); with another (e.g. a stat cache) only the files
    the store lacks are read at all."""
    directory = Path(directory)
    if hasher is checksum_file:
        index = deep_index(directory, hasher=store.put_file)
    else:
        index = deep_index(directory, hasher=hasher)
        paths = list(index)
        present = store.has([index[p] for p in paths])
        for rel, ok in zip(paths, present, strict=True):
            if not ok:
                store.put_file(directory / rel, checksum=index[rel])
    return store.put(plain_serialize(index)), index


def load_index(store: BufferStore, deep_checksum: str) -> dict[str, str]:
    """The validated index behind a deep checksum, or StoreError if unavailable."""
    buf = store.get(deep_checksum)
    if buf is None:
        raise StoreError(f"the directory index {deep_checksum} is not in the buffer store")
    try:
        index = orjson.loads(buf)
    except orjson.JSONDecodeError:
        raise StoreError(f"buffer {deep_checksum} is not a directory index") from None
    validate_index(index)
    return index


def complete_in_store(store: BufferStore, checksum: str, is_dir: bool) -> bool:
    """Whether the store holds the buffer; for a directory, its index and every file
    the index names."""
    if not store.has([checksum])[0]:
        return False
    if not is_dir:
        return True
    try:
        index = load_index(store, checksum)
    except StoreError:
        return False
    return all(store.has(list(index.values())))


def write_tree(store: BufferStore, deep_checksum: str, dest: Path) -> None:
    """Build the whole directory beside `dest`, then swap it in: a reader sees the
    old tree or the new one, and a missing buffer leaves `dest` untouched."""
    import shutil  # only here: a run that writes no directory does not import it

    dest = Path(dest)
    index = load_index(store, deep_checksum)
    try:
        building = temp_dir_in(dest.parent)
    except OSError as exc:
        raise os_error(exc, dest, "write directory") from None
    try:
        os.chmod(building, DIR_MODE)
        missing = [cs for rel, cs in sorted(index.items()) if not _write_one(store, cs, building / rel)]
        if missing:
            shown = ", ".join(sorted(set(missing))[:5])
            more = f" (and {len(set(missing)) - 5} more)" if len(set(missing)) > 5 else ""
            raise StoreError(
                f"cannot rebuild {dest}: {len(set(missing))} buffer(s) missing from the "
                f"store: {shown}{more}")
        _fix_dir_modes(building)
        swap_into_place(building, dest)
    except OSError as exc:
        raise os_error(exc, dest, "write directory") from None
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)


def _write_one(store: BufferStore, checksum: str, path: Path) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    return store.write_to(checksum, path)


def _fix_dir_modes(root: Path) -> None:
    for dirpath, dirnames, _ in os.walk(root):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), DIR_MODE)


def swap_into_place(new: Path, dest: Path) -> None:
    """Put `new` (a file or folder) where `dest` is, whatever `dest` is.
    Two renames (old aside, new in) then removal of the old: Linux offers no portable
    atomic exchange of directories, and this keeps the gap to one rename."""
    if dest.is_symlink() or dest.exists():
        old = Path(temp_name(dest.parent))
        os.rename(dest, old)
        try:
            os.rename(new, dest)
        except OSError:
            os.rename(old, dest)
            raise
        if old.is_dir() and not old.is_symlink():
            import shutil

            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
    else:
        os.rename(new, dest)
