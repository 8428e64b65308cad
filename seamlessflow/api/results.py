"""What a run gives back to Python: a summary of it, and each instance's result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from seamlessflow.scheduling.state import InstanceState
    from seamlessflow.scheduling.state import RunSummary as Summary


class InstanceResult(NamedTuple):
    """One instance as the run left it (or, in a progress callback, as it is now)."""

    name: str  # "count[n=3]"
    step: str
    bindings: dict[str, Any]  # sweep variable -> value
    stage: str
    # "ran", "cached", "failed", "skipped"; a plan: "will-run", "pending", "cached";
    # in a progress callback also "started"
    status: str
    reason: str  # why it ran, or was cached, skipped, ...
    transformation: str | None  # the checksum of what it computes (None: not known yet)
    result: str | None  # the checksum of its result
    outputs: dict[str, str]  # project path -> checksum, of what it wrote
    duration_s: float | None
    error: str | None
    stderr_tail: str
    log: str | None  # the log file of a failed attempt

    @classmethod
    def of(cls, state: InstanceState) -> InstanceResult:
        return cls(state.name, state.step, dict(state.bindings), state.stage, state.status,
                   state.reason, state.transformation, state.result,
                   dict(state.captures or {}), state.duration_s, state.error,
                   state.stderr_tail, state.log_path)


class RunSummary:
    """The run (or plan) of a Workflow: `ok`, the counts, and every instance by name.
    `summary["count[n=3]"]` is that instance's InstanceResult; iterating gives them all,
    in the order of the run's report."""

    def __init__(self, summary: Summary, warnings: list[str]):
        self._summary = summary
        self.instances: dict[str, InstanceResult] = {
            s.name: InstanceResult.of(s) for s in summary.states}
        self.warnings = warnings  # what the CLI prints as `warning: ...`

    @property
    def ok(self) -> bool:
        """No instance failed or was skipped, and the run was not interrupted."""
        return self._summary.ok

    @property
    def dry_run(self) -> bool:
        return self._summary.dry_run

    @property
    def counts(self) -> dict[str, int]:
        """ran, cached, failed, skipped, planned -> how many."""
        return dict(self._summary.counts)

    @property
    def duration_s(self) -> float:
        return self._summary.duration_s

    def report(self) -> dict:
        """The JSON run report (docs/report.md), as `seamlessflow run --report` writes it."""
        from seamlessflow.session.report import build_report

        return build_report(self._summary)

    def __getitem__(self, name: str) -> InstanceResult:
        try:
            return self.instances[name]
        except KeyError:
            raise KeyError(f"{name!r} is not an instance of this run") from None

    def __iter__(self) -> Iterator[InstanceResult]:
        return iter(self.instances.values())

    def __len__(self) -> int:
        return len(self.instances)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {k}" for k, n in self._summary.counts.items() if n)
        return f"<RunSummary ok={self.ok}: {counts or 'nothing'}>"
