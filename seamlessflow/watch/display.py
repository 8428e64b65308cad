"""What watch mode itself says: what changed, that nothing did, problems, that it waits.

Each run in between prints through the run's own reporters, exactly as `run` does. One
short line per event, so a terminal left open for hours stays readable.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from seamlessflow.errors import SeamlessflowError
from seamlessflow.watch.fingerprint import INPUT, Key

_SHOWN = 5  # names listed in one line before "and N more"
_RELOADING = "reloading the workflow"


class Display:
    def __init__(self, root: str, quiet: bool, out: TextIO = sys.stdout,
                 err: TextIO = sys.stderr):
        self.root, self.quiet, self.out, self.err = root, quiet, out, err

    def changed(self, keys: list[Key]) -> None:
        replan = any(kind != INPUT for kind, _ in keys)
        line = "changed: " + _names([name for _, name in keys])
        self._say(line + ("; " + _RELOADING if replan else ""))

    def reloading(self) -> None:
        self._say(_RELOADING)

    def unchanged(self, paths: list[str]) -> None:
        """Events without a change of content (touch, a save without edit): no run."""
        names = [os.path.relpath(p, self.root) if p else "(events were lost)" for p in paths]
        self._say("no change in content: " + _names(names))

    def problem(self, exc: SeamlessflowError) -> None:
        print(exc.render(), file=self.err, flush=True)
        self._say("waiting for a change (Ctrl-C to stop)")

    def watching(self, paths: int, folders: int) -> None:
        self._say(f"watching {paths} path{'s' if paths != 1 else ''} in {folders} "
                  f"folder{'s' if folders != 1 else ''} (Ctrl-C to stop)")

    def stopped(self, during_run: bool) -> None:
        text = "stopped watching"
        if during_run:
            text += "; the running steps were cancelled and nothing was recorded for them"
        print(text, file=self.out, flush=True)

    def _say(self, line: str) -> None:
        if not self.quiet:
            print(line, file=self.out, flush=True)


def _names(names: list[str]) -> str:
    text = ", ".join(names[:_SHOWN])
    if len(names) > _SHOWN:
        text += f" and {len(names) - _SHOWN} more"
    return text
