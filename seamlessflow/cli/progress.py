"""What a run prints: one plain line per finished instance, or a live display on a terminal.

Both end with the same one-line summary and the same failure details, so logs and
terminals tell the same story.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from seamlessflow.scheduling.changes import code_diffs
from seamlessflow.scheduling.state import (
    CACHED,
    FAILED,
    PENDING,
    RAN,
    SKIPPED,
    STARTED,
    WILL_RUN,
    InstanceState,
    RunSummary,
)

_LABELS = {RAN: "ran", CACHED: "cached", FAILED: "FAILED", SKIPPED: "skipped",
           WILL_RUN: "will-run", PENDING: "pending"}


def instance_line(state: InstanceState, dry_run: bool) -> str | None:
    """The plain line for a finished (or, in a dry run, planned) instance; None for others."""
    label = _LABELS.get(state.status)
    if label is None:
        return None
    # CLI.md: labels in 8 columns (`ran     count[n=3]`); will-run, as long, keeps a space
    line = f"{label:<8}{' ' if len(label) >= 8 else ''}{state.name}"
    if state.status == RAN and state.duration_s is not None:
        line += f"  {state.duration_s:.2f}s"
    elif state.status == FAILED:
        line += f"  {state.error}"
    elif state.status == SKIPPED or dry_run:
        line += f"  ({state.reason})"
    if state.status == WILL_RUN and state.changes:
        for diff in code_diffs(state.changes):
            line += "".join(f"\n    {text}" for text in diff.splitlines())
    return line


def format_duration(seconds: float) -> str:
    """`0.4s`, `42s`, `3m05s`, `2h07m`: as short as the size of the time allows."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


# A step with more skipped instances than this gets one line for them all.
SKIPS_LISTED_MAX = 3


def skip_lines(skipped: list[InstanceState], dry_run: bool) -> list[str]:
    """A line per skipped instance, or one per step that has many: a failure early in a
    sweep would otherwise bury the run's output under hundreds of `skipped` lines."""
    by_step: dict[str, list[InstanceState]] = {}
    for state in skipped:
        by_step.setdefault(state.step, []).append(state)
    lines = []
    for step, states in by_step.items():
        if len(states) <= SKIPS_LISTED_MAX:
            lines.extend(line for s in states if (line := instance_line(s, dry_run)))
            continue
        reasons: dict[str, int] = {}
        for state in states:
            reasons[state.reason] = reasons.get(state.reason, 0) + 1
        why = "; ".join(f"{n}: {reason}" for reason, n in reasons.items())
        lines.append(f"{_LABELS[SKIPPED]:<8}{step}  {len(states)} instances ({why})")
    return lines


def _skipped(summary: RunSummary) -> list[InstanceState]:
    return [s for s in summary.states if s.status == SKIPPED]


def summary_line(summary: RunSummary) -> str:
    c = summary.counts
    n = len(summary.states)
    if summary.dry_run:
        will = sum(1 for s in summary.states if s.status == WILL_RUN)
        pending = sum(1 for s in summary.states if s.status == PENDING)
        text = f"{n} instance{'s' if n != 1 else ''}, dry run: {c[CACHED]} cached, {will} will run"
        if pending:  # not known to run: their inputs come from instances that will
            text += f", {pending} wait on upstream results (may be cached)"
        return text
    text = (f"{n} instance{'s' if n != 1 else ''}: {c[RAN]} ran, {c[CACHED]} cached, "
            f"{c[FAILED]} failed")
    if c[SKIPPED]:
        text += f", {c[SKIPPED]} skipped"
    return text + f" in {summary.duration_s:.2f}s"


def failure_details(summary: RunSummary) -> str:
    parts = []
    for s in summary.states:
        if s.status != FAILED:
            continue
        parts.append(f"--- {s.name} failed: {s.error}")
        if s.stderr_tail:
            parts.append(s.stderr_tail.rstrip("\n"))
        if s.log_path:
            parts.append(f"(full log: {s.log_path})")
        if s.workspace:
            parts.append(f"(workspace kept: {s.workspace})")
        if s.rerun:
            parts.append(f"(to rerun it there by hand: {s.rerun})")
    return "\n".join(parts)


class LineReporter:
    """For logs and pipes: a line per finished instance, as CLI.md shows."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr, quiet: bool = False,
                 dry_run: bool = False, listing: list[str] | None = None):
        """`listing`: the order in which a dry run lists its instances (graph/chains.py),
        once all are planned; None to write each line as its instance is decided."""
        self.out, self.err, self.quiet, self.dry_run = out, err, quiet, dry_run
        # Each line is flushed, for whoever follows the log while steps run; a run that
        # executes nothing is over in a moment and writes its lines at once (a write per
        # line was 4 % of a dry run of 5,000): see run_session._lines_at_once.
        self.flush_lines = True
        self.listing = listing
        self.planned: dict[str, str] = {}  # name -> line, while a listing waits
        self.summarize = True  # False: the summary line only if the run failed
        # Skipped instances are told at the end, a step's together (skip_lines).

    def on_event(self, state: InstanceState) -> None:
        if self.quiet and state.status != FAILED:
            return
        if state.status == SKIPPED:
            return
        line = instance_line(state, self.dry_run)
        if line is None:
            return
        if self.listing is not None:
            self.planned[state.name] = line
            return
        self.out.write(line + "\n")  # not print: a dry run writes thousands
        if self.flush_lines:
            self.out.flush()

    def planned_lines(self) -> list[str]:
        """The lines a listing held back, in its order (those of instances it does not
        name, if any, last)."""
        lines = [self.planned.pop(name) for name in self.listing or () if name in self.planned]
        return lines + list(self.planned.values())

    def tell_skips(self, summary: RunSummary) -> None:
        if not self.quiet:
            for line in skip_lines(_skipped(summary), self.dry_run):
                self.out.write(line + "\n")

    def on_warning(self, message: str) -> None:
        self.out.flush()  # the lines printed before a warning stay before it
        print(f"warning: {message}", file=self.err, flush=True)

    def on_finish(self, summary: RunSummary) -> None:
        if self.listing is not None:
            self.out.write("".join(line + "\n" for line in self.planned_lines()))
        self.tell_skips(summary)
        details = failure_details(summary)
        if details:
            self.out.flush()
            print(details, file=self.err, flush=True)
        if self.summarize or not summary.ok:
            print(summary_line(summary), file=self.out, flush=True)


class LiveReporter(LineReporter):
    """On a terminal: finished instances scroll by, a live panel shows counts, what runs
    and an estimate of the time left."""

    def __init__(self, total: int, dry_run: bool = False, listing: list[str] | None = None):
        super().__init__(dry_run=dry_run, listing=listing)
        from rich.console import Console
        from rich.live import Live

        self.console = Console(stderr=False)
        self.total = total
        self.running: dict[str, float] = {}
        self.counts = {RAN: 0, CACHED: 0, FAILED: 0, SKIPPED: 0}
        self.executed, self.executed_s = 0, 0.0  # instances that executed, their time
        self.lanes = 0  # the most instances seen running at once
        self.live = Live(self._render(), console=self.console, refresh_per_second=8,
                         transient=True, get_renderable=self._render)
        self.live.start()

    def _render(self):
        from rich.text import Text

        c = self.counts
        done = c[RAN] + c[CACHED] + c[FAILED] + c[SKIPPED]
        head = (f"{done}/{self.total} done · {len(self.running)} running · {c[RAN]} ran · "
                f"{c[CACHED]} cached · {c[FAILED]} failed")
        if c[SKIPPED]:
            head += f" · {c[SKIPPED]} skipped"
        now = time.monotonic()
        left = self._time_left(now, self.total - done)
        if left is not None:
            head += f" · ETA {format_duration(left) if left >= 1 else '<1s'}"
        text = Text(head, style="bold")
        # a panel taller than the window could not be wiped when the run ends
        shown = max(1, min(10, self.console.height - 3))
        for name, started in list(self.running.items())[:shown]:
            text.append(f"\n  running {name}  {format_duration(now - started)}")
        if len(self.running) > shown:
            text.append(f"\n  … and {len(self.running) - shown} more")
        return text

    def _time_left(self, now: float, unfinished: int) -> float | None:
        """Seconds until the `unfinished` instances are done, if each that has not started
        takes as long as those that executed took on average, and those running take
        that long in all, as many at once as were seen at once; None before any executed."""
        if not self.executed or not unfinished:
            return None
        mean = self.executed_s / self.executed
        waiting = unfinished - len(self.running)
        work = waiting * mean + sum(max(mean - (now - t), 0.0) for t in self.running.values())
        return work / max(1, min(self.lanes, unfinished))

    def on_event(self, state: InstanceState) -> None:
        if state.status == STARTED:
            self.running[state.name] = time.monotonic()
            self.lanes = max(self.lanes, len(self.running))
            return
        self.running.pop(state.name, None)
        if state.status in self.counts:
            self.counts[state.status] += 1
        if state.status in (RAN, FAILED) and state.duration_s is not None:
            self.executed += 1
            self.executed_s += state.duration_s
        if state.status == SKIPPED:
            return
        line = instance_line(state, self.dry_run)
        if line is None or (state.status == CACHED and not self.dry_run):
            return
        if self.listing is not None:
            self.planned[state.name] = line
            return
        self._print(line, {FAILED: "red", RAN: "green"}.get(state.status, ""))

    def tell_skips(self, summary: RunSummary) -> None:
        for line in skip_lines(_skipped(summary), self.dry_run):
            self._print(line)

    def on_warning(self, message: str) -> None:
        self._print(f"warning: {message}", "yellow")

    def _print(self, line: str, style: str = "") -> None:
        """`line` as written: as a Text, rich reads no markup (`[s=S6]` of an instance
        name would vanish as a tag) and no `:emoji:` codes in it. The panel drawn under
        it counts what it tells: rich draws the panel it last refreshed, so it is
        refreshed first, in the same write to the terminal. That write is made holding
        the lock of rich's refresh thread: a redraw in between would move the cursor by
        the height of the panel in our write, not yet on the screen, and so wipe printed
        lines or leave a stale panel line among them."""
        from rich.text import Text

        with self.live._lock, self.console:  # the lock rich refreshes under
            if self.live.is_started:
                self.live.refresh()
            self.console.print(Text(line, style=style), highlight=False)

    def on_finish(self, summary: RunSummary) -> None:
        self.live.stop()
        for line in self.planned_lines():
            self._print(line)
        self.listing = None
        super().on_finish(summary)
