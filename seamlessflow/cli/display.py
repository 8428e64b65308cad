"""What `run` and `watch` show on the terminal: the session layer's Display for the CLI.

A live panel on a terminal, else a line per instance (docs/running.md); with `-p` or `-v`
each command as it starts; the run's other news (a service started, a round of a
workflow whose globs list what it makes) on stderr unless `-q`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from seamlessflow.scheduling.state import Reporter, Reporters

if TYPE_CHECKING:
    from seamlessflow.cli.progress import LineReporter
    from seamlessflow.graph.dag import Dag


class TerminalDisplay:
    def __init__(self, quiet: bool, dry_run: bool, print_commands: bool, jobs: int):
        self.quiet, self.dry_run = quiet, dry_run
        self.print_commands, self.jobs = print_commands, jobs
        self._lines: LineReporter | None = None  # the plain line log, when that is the display

    def reporter(self, dag: Dag | None, selected: list[str], summarize: bool) -> Reporter:
        from seamlessflow.cli.progress import LineReporter, LiveReporter

        listing = None  # the order of a dry run's lines (see LineReporter)
        if self.dry_run and dag is not None and not self.print_commands:
            from seamlessflow.graph.chains import chain_order  # -p: each command by its line

            listing = chain_order(dag, selected)
        if sys.stdout.isatty() and not self.quiet:
            main = LiveReporter(len(selected), dry_run=self.dry_run, listing=listing)
            self._lines = None
        else:
            main = self._lines = LineReporter(quiet=self.quiet, dry_run=self.dry_run,
                                              listing=listing)
        main.summarize = summarize
        if not self.print_commands or dag is None:
            return main
        from seamlessflow.cli.shell_commands import ShellCommandPrinter

        return Reporters([main, ShellCommandPrinter(dag, self.dry_run, self.jobs)])

    @contextmanager
    def held(self) -> Iterator[None]:
        """The lines unflushed while nothing executes (see LineReporter.flush_lines)."""
        lines = self._lines
        if lines is None:
            yield
            return
        lines.flush_lines = False
        try:
            yield
        finally:
            lines.flush_lines = True
            lines.out.flush()

    def announce(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)
