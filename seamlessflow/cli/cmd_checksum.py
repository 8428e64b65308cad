"""Print the checksum of each file, or the deep checksum of each directory, as
`CHECKSUM  PATH` lines (sha256sum's format). Writes nothing, not even the stat cache."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.each_path import run_each
    from seamlessflow.session.transfer import checksum

    return run_each(args.paths, lambda path: print(f"{checksum(path)}  {path}", flush=False))
