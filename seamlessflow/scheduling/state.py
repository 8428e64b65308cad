"""What the scheduler knows about each instance, and how it tells the outside world.

The scheduler talks to the outside only through `Reporter.on_event`: the progress
display, the plain line log and the JSON run report are each a Reporter, and the
scheduler knows none of them (doit's reporter protocol).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from seamlessflow.graph.model import Value

# statuses of a real run, then those only a dry run gives
RAN, CACHED, FAILED, SKIPPED = "ran", "cached", "failed", "skipped"
WILL_RUN, PENDING = "will-run", "pending"
PLANNED, STARTED = "planned", "started"  # transient


# The records below are plain classes, not dataclasses: a dataclass is built by
# compiling generated code when its module is imported, a millisecond each, and every
# run (a settled one too) imports these.


class InstanceState:
    """Names the instance rather than holding it: a settled run is replayed from its
    record (session/settled.py) without the workflow's instances."""

    __slots__ = ("name", "step", "bindings", "stage", "runner", "status", "reason",
                 "transformation", "result", "captures", "duration_s", "attempts", "error",
                 "stderr_tail", "log_path", "changes", "workspace", "rerun", "started_at",
                 "ended_at")

    def __init__(self, name: str, step: str, bindings: dict[str, Value], stage: str,
                 status: str = PLANNED, reason: str = "", transformation: str | None = None,
                 result: str | None = None, captures: dict[str, str] | None = None):
        self.name = name
        self.step = step
        self.bindings = bindings
        self.stage = stage
        self.runner: str | None = None  # the runner that executes it (None until it runs)
        self.status = status
        self.reason = reason
        self.transformation = transformation
        self.result = result
        self.captures = captures  # project path -> checksum
        self.duration_s: float | None = None
        self.attempts = 0
        self.error: str | None = None
        self.stderr_tail = ""
        self.log_path: str | None = None
        self.changes: list[dict] | None = None  # why it must run (scheduling/changes.py)
        self.workspace: str | None = None  # a failed attempt's workspace, kept (--keep-workspace)
        self.rerun: str | None = None  # the shell line that reruns it there by hand
        # when its command started and when its last attempt ended (time.time()), for the
        # timeline of the HTML report; None if it did not execute
        self.started_at: float | None = None
        self.ended_at: float | None = None

    def __repr__(self) -> str:
        return f"InstanceState({self.name!r}, {self.status!r})"


class RunSummary:
    def __init__(self, states: list[InstanceState], duration_s: float, dry_run: bool,
                 interrupted: bool = False, counts: dict[str, int] | None = None):
        self.states = states
        self.duration_s = duration_s
        self.dry_run = dry_run
        self.interrupted = interrupted
        self.counts = counts or {}

    @classmethod
    def of(cls, states: list[InstanceState], duration_s: float, dry_run: bool,
           interrupted: bool = False) -> RunSummary:
        counts = {k: 0 for k in (RAN, CACHED, FAILED, SKIPPED, "planned")}
        for s in states:
            key = "planned" if s.status in (WILL_RUN, PENDING) else s.status
            counts[key] = counts.get(key, 0) + 1
        return cls(states, duration_s, dry_run, interrupted, counts)

    def __repr__(self) -> str:
        # Short on purpose: when asyncio.run restores the SIGINT handler it formats the
        # finished main task, result included, into a message it throws away; a full
        # repr of every state cost a quarter of a second at 5,000 instances.
        return f"RunSummary({self.counts}, {self.duration_s:.2f} s)"

    @property
    def ok(self) -> bool:
        return not self.interrupted and not any(
            s.status in (FAILED, SKIPPED) for s in self.states
        )


class Reporter(Protocol):
    def on_event(self, state: InstanceState) -> None:
        """Called whenever an instance changes status (started, ran, cached, failed, ...)."""

    def on_warning(self, message: str) -> None: ...

    def on_finish(self, summary: RunSummary) -> None: ...


class Reporters:
    """Fans every event out to several reporters."""

    def __init__(self, reporters: list[Reporter]):
        self.reporters = reporters

    def on_event(self, state: InstanceState) -> None:
        for r in self.reporters:
            r.on_event(state)

    def on_warning(self, message: str) -> None:
        for r in self.reporters:
            r.on_warning(message)

    def on_finish(self, summary: RunSummary) -> None:
        for r in self.reporters:
            r.on_finish(summary)
