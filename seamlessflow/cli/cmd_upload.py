"""Put files and directories into the buffer store and write `PATH.CHECKSUM` sidecars
beside them (and `DIR.INDEX` for a directory). Running it again changes nothing."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    p.add_argument("--hardlink", action="store_true",
                   help="link files into the local store instead of copying them "
                        "(they become read-only; see docs/storage.md)")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.each_path import run_each
    from seamlessflow.session.transfer import open_store, upload

    store = open_store()

    def show(text: str) -> None:
        checksum = upload(store, text, hardlink=args.hardlink)
        if not args.quiet:
            print(f"{checksum}  {text}")

    return run_each(args.paths, show)
