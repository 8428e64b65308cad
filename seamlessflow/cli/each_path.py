"""Run one action per command-line path and keep going past failures, like sha256sum.

A user naming ten files wants nine results and one clear error, not a stop at the
first problem; the exit status still says something failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from seamlessflow.errors import EXIT_OK, SeamlessflowError


def run_each(paths: Iterable[str], action: Callable[[str], None]) -> int:
    status = EXIT_OK
    for path in paths:
        try:
            action(path)
        except SeamlessflowError as exc:
            print(exc.render(), file=sys.stderr)
            status = max(status, exc.exit_code)
    return status
