"""Bursts of file system events into one moment to act.

An editor's save is several events, `git checkout` hundreds: act once, when the
events have stopped for `quiet_s`. The loop does not take events while a run is going
on, so everything that happened during a run is pending when it ends, and makes
exactly one follow-up run.
"""

from __future__ import annotations


class Debouncer:
    def __init__(self, quiet_s: float):
        self.quiet_s = quiet_s
        self._pending: set[str] = set()
        self._last: float | None = None

    def add(self, at: float, path: str) -> None:
        """An event that matters, seen at monotonic time `at`."""
        self._pending.add(path)
        self._last = at if self._last is None else max(self._last, at)

    def remaining(self, now: float) -> float | None:
        """Seconds until the burst counts as over (0: now); None when nothing is pending."""
        if self._last is None:
            return None
        return max(0.0, self._last + self.quiet_s - now)

    def take(self) -> list[str]:
        """The paths of the finished burst, sorted; nothing is pending afterwards."""
        paths = sorted(self._pending)
        self._pending.clear()
        self._last = None
        return paths
