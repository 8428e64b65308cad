"""Put files and directories into the buffer store and write `PATH.CHECKSUM` sidecars
beside them (and `DIR.INDEX` for a directory). Running it again changes nothing."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    p.add_argument("--hardlink", action="store_true",
                   help="link files into the local store instead of copying them "
                        "(they become read-only; see docs/storage.md)")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.each_path import run_each
    from seamlessflow.errors import StoreError
    from seamlessflow.storage.atomic import os_error
    from seamlessflow.storage.location import open_default_store
    from seamlessflow.storage.sidecars import (
        CHECKSUM_SUFFIX,
        INDEX_SUFFIX,
        write_index,
        write_sidecar,
    )
    from seamlessflow.storage.trees import put_tree

    store = open_default_store()
    put_file = functools.partial(store.put_file, hardlink=args.hardlink)

    def upload(text: str) -> None:
        path = Path(text)
        if text.endswith((CHECKSUM_SUFFIX, INDEX_SUFFIX)):
            raise StoreError(f"{text} is a sidecar; upload the file it stands for")
        try:
            if path.is_dir():
                checksum, index = put_tree(store, path, hasher=put_file)
                write_index(path, index)
            else:
                checksum = put_file(path)
        except OSError as exc:
            raise os_error(exc, text, "upload") from None
        write_sidecar(path, checksum)
        if not args.quiet:
            print(f"{checksum}  {text}")

    return run_each(args.paths, upload)
