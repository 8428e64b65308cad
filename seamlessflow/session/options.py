"""What a run is asked to do, as every front end says it: the CLI from its command line,
watch mode from the same, the Python API from its keyword arguments.

A NamedTuple (frozen and typed) rather than a frozen dataclass: a dataclass compiles
generated code when its module is imported, milliseconds that a settled no-op run would
pay for nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple


class RunOptions(NamedTuple):
    """One run (or one round of watch mode). Targets name steps, instances or project
    paths; an empty `targets` means every step."""

    targets: tuple[str, ...] = ()
    jobs: int = os.cpu_count() or 1  # instances (in cores: slots) at once
    dry_run: bool = False
    keep_going: bool = False  # after a failure, run what does not depend on it
    # None: nothing forced; (): what the targets name (everything when there are none);
    # otherwise every instance these steps, instances or paths name
    force: tuple[str, ...] | None = None
    force_all: bool = False  # every selected instance, upstream ones too
    until: tuple[str, ...] = ()  # only what these need, themselves included
    stage: str | None = None  # the stage of every step that names none
    local: bool = False  # everything in-process
    no_local_cache: bool = False  # with a cluster stage: keep nothing in the local cache
    no_download: bool = False  # write PATH.CHECKSUM sidecars instead of result bytes
    memory: int | None = None  # bytes the run's instances may use at once; None: no limit
    config: Mapping[str, Any] | None = None  # config overrides, as the config file nests them
    report: str | None = None  # where to write the JSON run report
    keep_workspace: bool = False  # keep a failed attempt's workspace, for debugging

    def selection(self) -> tuple:
        """What chooses the instances of the run (the settled record's key)."""
        return (tuple(self.targets), tuple(self.until), self.stage, bool(self.local))
