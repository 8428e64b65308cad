"""What a run started from Python shows: nothing, unless a progress callback is given.

Warnings are kept for the RunSummary; the run's other news (a service started, a
round of a workflow whose globs list what it makes) goes to the callback's owner
only through `messages`, kept as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from seamlessflow.api.results import InstanceResult

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag
    from seamlessflow.scheduling.state import InstanceState, RunSummary

Progress = Callable[[InstanceResult], None]


class CallbackDisplay:
    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.warnings: list[str] = []
        self.messages: list[str] = []

    def reporter(self, dag: Dag | None, selected: list[str], summarize: bool) -> CallbackDisplay:
        return self

    @contextmanager
    def held(self) -> Iterator[None]:
        yield

    def announce(self, message: str) -> None:
        self.messages.append(message)

    def on_event(self, state: InstanceState) -> None:
        if self.progress is not None:
            self.progress(InstanceResult.of(state))

    def on_warning(self, message: str) -> None:
        self.warnings.append(message)

    def on_finish(self, summary: RunSummary) -> None:
        pass
