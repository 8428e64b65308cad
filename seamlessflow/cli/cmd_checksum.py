"""Print the checksum of each file, or the deep checksum of each directory, as
`CHECKSUM  PATH` lines (sha256sum's format). Writes nothing, not even the stat cache."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.each_path import run_each
    from seamlessflow.identity.deep import path_checksum
    from seamlessflow.storage.atomic import os_error

    def show(path: str) -> None:
        try:
            checksum = path_checksum(Path(path))
        except OSError as exc:
            raise os_error(exc, path, "read") from None
        print(f"{checksum}  {path}", flush=False)

    return run_each(args.paths, show)
