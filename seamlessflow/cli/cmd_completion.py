"""Print a shell's completion script: TAB then completes the subcommands, their options,
and the step and instance names of the Seamlessfile in the current folder. For bash, put
`source <(seamlessflow completion bash)` in ~/.bashrc (zsh and fish: docs/running.md).
"""

from __future__ import annotations

import argparse
import sys

from seamlessflow.cli.completion import SCRIPTS, SHELLS
from seamlessflow.errors import EXIT_OK

# Writes nothing but its output: see main.entry.
NOTHING_TO_TEAR_DOWN = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(SCRIPTS[args.shell])
    return EXIT_OK
