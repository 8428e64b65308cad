"""Run the workflow, then rerun what each change affects, as soon as it is over.

Takes the arguments and options of `run`. Watches the Seamlessfile, its includes and
config file, and the local inputs of the selected steps (not the outputs); a broken
Seamlessfile shows its errors and waits for the next edit. Ctrl-C stops.
"""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    from seamlessflow.cli import cmd_run

    cmd_run.add_run_options(p)


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.cmd_run import run_options, terminal_display
    from seamlessflow.session.startup import find_seamlessfile
    from seamlessflow.watch.loop import WatchLoop

    return WatchLoop(find_seamlessfile(args.seamlessfile), run_options(args),
                     terminal_display(args), args.quiet).run()
