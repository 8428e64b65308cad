"""The watch loop: one run, then a run after each change, until Ctrl-C.

Single-threaded on purpose: the observers' thread only queues events, and this loop
takes them between runs. A run therefore never races a re-plan, and whatever happens
during a run waits in the queue and makes exactly one follow-up run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from seamlessflow.errors import EXIT_OK, EXIT_TERMINATED, SeamlessflowError, UsageError
from seamlessflow.session.run import Terminated
from seamlessflow.watch import fingerprint
from seamlessflow.watch.debounce import Debouncer
from seamlessflow.watch.display import Display
from seamlessflow.watch.observe import Observers
from seamlessflow.watch.plan import Plan, broken_plan, load_plan
from seamlessflow.watch.watchset import Folder, WatchSet

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag
    from seamlessflow.session.options import RunOptions
    from seamlessflow.session.run import Display as RunDisplay

QUIET_S = 0.3  # a burst is over when no event came for this long
_IDLE_POLL_S = 0.25  # how soon Ctrl-C is noticed while idle


class WatchLoop:
    def __init__(self, seamlessfile: Path, options: RunOptions, run_display: RunDisplay,
                 quiet: bool):
        """`run_display`: what each run shows (as `run` shows it); `quiet`: watch mode's
        own lines too are left out."""
        self.seamlessfile = seamlessfile
        self.options = options
        self.run_display = run_display
        self.plan: Plan = broken_plan(seamlessfile, None)
        self.display = Display(self.plan.root, quiet=quiet)
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
        from seamlessflow.session.run_workflow import run_workflow

        self.running = True  # left set by Ctrl-C, for the last words
        run_workflow(self.seamlessfile, self.options, self.run_display, dag=self.plan.dag,
                     reload=self._reload)
        self.running = False

    def _reload(self) -> Dag:
        """The workflow read again between two rounds (session/glob_rounds.py), and
        watched as read."""
        self._replan()
        self._settle(None)
        return self.plan.dag

    def _replan(self) -> None:
        try:
            self.plan = load_plan(self.seamlessfile, self.options)
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
