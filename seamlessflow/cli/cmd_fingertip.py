"""Write the buffer of a checksum, recomputing it first when the store lacks it.

Like `resolve`, but a buffer that is gone (a `scratch: true` result, a pruned store)
is brought back by re-running the transformations that produced it, from what the
result database and the store still know.
"""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checksum", metavar="CHECKSUM", help="64 hex characters")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.cmd_resolve import emit, parse_checksum
    from seamlessflow.errors import EXIT_OK, StoreError
    from seamlessflow.session.stores import describe_store, open_database, open_store, recompute

    checksum = parse_checksum(args.checksum)
    store = open_store()
    if not recompute(checksum, store, open_database()):
        raise StoreError(f"buffer {checksum} is not in the buffer store {describe_store(store)}, and no "
                         "recorded transformation that produced it could be run again")
    emit(store, checksum, args.output)
    return EXIT_OK
