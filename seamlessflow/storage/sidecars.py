"""`PATH.CHECKSUM` and `DIR.INDEX` files beside the data they stand for (Seamless's).

A sidecar lets a file be absent locally while its identity stays known; the `.INDEX`
of a directory lets it be rebuilt file by file from the store.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from seamlessflow.errors import StoreError
from seamlessflow.identity.checksum import is_checksum, plain_serialize
from seamlessflow.identity.deep import validate_index
from seamlessflow.storage.atomic import atomic_write_bytes, os_error

CHECKSUM_SUFFIX = ".CHECKSUM"
INDEX_SUFFIX = ".INDEX"


def _with_suffix(path: Path | str, suffix: str) -> Path:
    """`dir/` and `dir` name the same directory: strip trailing slashes first, and
    take a path already ending in the suffix literally."""
    text = str(path)
    if text.endswith(suffix):
        return Path(text)
    stripped = text.rstrip("/") or "/"
    return Path(stripped + suffix)


def sidecar_path(path: Path | str) -> Path:
    return _with_suffix(path, CHECKSUM_SUFFIX)


def index_path(directory: Path | str) -> Path:
    return _with_suffix(directory, INDEX_SUFFIX)


def read_sidecar(path: Path | str) -> str:
    """The checksum in `path`'s sidecar (or in `path` itself if it is a sidecar)."""
    side = sidecar_path(path)
    try:
        text = side.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise os_error(exc, side, "read sidecar") from None
    checksum = text.strip().lower()
    if not is_checksum(checksum):
        shown = checksum if len(checksum) <= 80 else checksum[:77] + "..."
        raise StoreError(f"{side}: not a checksum (64 hex characters): {shown!r}")
    return checksum


def write_sidecar(path: Path | str, checksum: str) -> None:
    if not is_checksum(checksum):
        raise StoreError(f"refusing to write a sidecar for {path}: not a checksum: {checksum!r}")
    atomic_write_bytes(sidecar_path(path), checksum.encode() + b"\n")


def write_index(directory: Path | str, index: dict[str, str]) -> None:
    atomic_write_bytes(index_path(directory), plain_serialize(index))


def read_index(directory: Path | str) -> dict[str, str]:
    side = index_path(directory)
    try:
        index = orjson.loads(side.read_bytes())
    except OSError as exc:
        raise os_error(exc, side, "read index") from None
    except orjson.JSONDecodeError as exc:
        raise StoreError(f"{side}: not a JSON index: {exc}") from None
    try:
        validate_index(index)
    except StoreError as exc:
        raise StoreError(f"{side}: {exc}") from None
    return index


def recovery_hint(checksum: str, is_dir: bool) -> str:
    """How a user gets saved bytes back: `resolve` writes one buffer, which for a folder
    is only its index; a folder is rebuilt by `download` from a sidecar."""
    if is_dir:
        return (f"echo {checksum} > OTHER{CHECKSUM_SUFFIX}; seamlessflow download OTHER/ "
                "brings the folder back")
    return f"seamlessflow resolve {checksum} -o FILE brings it back"
