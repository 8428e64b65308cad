"""The watch loop: one run, then a run after each change, until Ctrl-C.

Single-threaded on purpose: the observers' thread only queues events, and this loop
takes them between runs. A run therefore never races a re-plan, and whatever happens
during a run waits in the queue and makes exactly one follow-up run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from seamlessflow.errors import EXIT_OK, EXIT_TERMINATED, SeamlessflowError, UsageError
from seamlessflow.session import glob_rounds
from seamlessflow.session.run import RunSession, Terminated, execute_in_loop
from seamlessflow.watch import fingerprint
from seamlessflow.watch.debounce import Debouncer
from seamlessflow.watch.display import Display
from seamlessflow.watch.observe import Observers
from seamlessflow.watch.plan import Plan, broken_plan, load_plan
from seamlessflow.watch.watchset import Folder, WatchSet

QUIET_S = 0.3  # a burst is over when no event came for this long
_IDLE_POLL_S = 0.25  # how soon Ctrl-C is noticed while idle


class WatchLoop:
    def __init__(self, seamlessfile: Path, args: argparse.Namespace):
        self.seamlessfile = seamlessfile
        self.args = args
        self.plan: Plan = broken_plan(seamlessfile, None)
        self.display = Display(self.plan.root, quiet=args.quiet)
        self.debouncer = Debouncer(QUIET_S)
        self.fingerprint: fingerprint.Fingerprint = {}
        self.watchset: WatchSet | None = None
        self.folders: set[Folder] = set()
        self.observers: Observers | None = None
        self.running = False

    def run(self) -> int:
        """Exits only through Ctrl-C (0), or a usage error in the first round."""
        self.observers = Observers()
        try:
            self._round(replan=True, first=True)
            while True:
                self._next()
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM while steps ran
            self.display.stopped(self.running)
            return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_OK
        finally:
            self.observers.close()

    def _next(self) -> None:
        """Take one event, or act on a burst that is over."""
        wait = self.debouncer.remaining(time.monotonic())
        event = self.observers.next_event(_IDLE_POLL_S if wait is None else wait)
        if event is None:
            if self.debouncer.remaining(time.monotonic()) == 0:
                self._after_burst(self.debouncer.take())
        elif self.watchset is not None and self.watchset.concerns(event):
            self.debouncer.add(event.at, event.path)

    def _after_burst(self, paths: list[str]) -> None:
        self._observe()  # a folder may have been deleted and made again
        new = fingerprint.take(self.plan)
        changed = fingerprint.differences(self.fingerprint, new)
        broken = self.plan.dag is None
        if changed:
            self.display.changed(changed)
        elif broken:  # a save without edit retries: an include may have appeared meanwhile
            self.display.reloading()
        else:
            self.display.unchanged(paths)
            return
        replan = broken or any(kind != fingerprint.INPUT for kind, _ in changed)
        self._round(replan, taken=None if replan else new)

    def _round(self, replan: bool, first: bool = False,
               taken: fingerprint.Fingerprint | None = None) -> None:
        """(Re)load the plan if asked, then run; a problem is shown, and the loop waits
        for the next change. `taken` is a fingerprint of the current plan just taken."""
        try:
            self._plan_and_run(replan, taken)
        except SeamlessflowError as exc:
            if first and isinstance(exc, UsageError):
                raise  # a bad command line: no edit of the workflow fixes it
            self.running = False
            self.display.problem(exc)
            return
        self.display.watching(len(self.watchset), len(self.folders))

    def _plan_and_run(self, replan: bool, taken: fingerprint.Fingerprint | None) -> None:
        if replan:
            taken = None  # the new plan may read other inputs
            self._replan()
        self._settle(taken)
        args = self.args
        found = glob_rounds.globs_over_captures(self.plan.dag)
        if found:  # as `run` does: what such globs list first, then the workflow again
            first = glob_rounds.first_round(self.plan.dag, found, args)
            if not self._run(first):
                return
            args = glob_rounds.second_round(self.plan.dag, args, first)
            self._replan()
            self._settle(None)
        self._run(args)

    def _replan(self) -> None:
        try:
            self.plan = load_plan(self.seamlessfile, self.args)
        except SeamlessflowError:
            self.plan = broken_plan(self.seamlessfile, self.plan)
            self._settle(None)
            raise

    def _settle(self, taken: fingerprint.Fingerprint | None) -> None:
        """Observe the plan's folders, then take its fingerprint (unless just `taken`, so
        that fresh edits are not hashed twice): a change after this moment is an event."""
        self._observe()
        self.fingerprint = taken if taken is not None else fingerprint.take(self.plan)

    def _observe(self) -> None:
        from seamlessflow.storage.location import cache_dir

        self.watchset = WatchSet(self.plan, str(cache_dir()))
        self.folders = self.watchset.folders()
        self.observers.observe(self.folders)

    def _run(self, args: argparse.Namespace) -> bool:
        """Whether the run succeeded."""
        session = RunSession(self.plan.dag, args)  # checks the inputs are there
        self.running = True  # left set by Ctrl-C, for the last words
        summary = execute_in_loop(session)
        self.running = False
        if self.args.report:
            from seamlessflow.session.report import write_report

            write_report(summary, Path(self.args.report))
        return summary.ok
