"""Write files and directories from their `PATH.CHECKSUM` sidecars, taking the bytes
from the buffer store (a directory is rebuilt file by file from its `DIR.INDEX`).

A local file that differs from its sidecar is replaced, but never lost: if the store
does not already hold its bytes, they are stored first and a warning names their
checksum, so `seamlessflow resolve` (or, for a folder, `download` itself) can bring them
back. Without a `DIR.INDEX`, a sidecar whose checksum the store holds as a folder index
writes that folder; `PATH/` says that the sidecar names a folder, which an empty one needs
(its checksum is also that of a file holding `{}`).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="files or directories (PATH or PATH.CHECKSUM)")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.each_path import run_each
    from seamlessflow.session.transfer import download, open_store

    store = open_store()

    def show(text: str) -> None:
        written = download(store, text, warn)
        if written is not None and args.verbose:
            print(f"wrote {written}", file=sys.stderr)

    return run_each(args.paths, show)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
