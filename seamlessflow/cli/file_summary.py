"""`run --summary` (as Snakemake's): for each output file, the instance that makes it,
its status and its checksum, as a dry run finds them. Writes nothing.

The status says what a run would do about the file: `up-to-date` (cached, and the
project holds those bytes), `missing` or `modified` (cached, and a run would write it
again from the cache), `will-run` (no cached result), `pending` (its inputs are not
known yet). The checksum is the cached result's; `-` when there is none yet.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import TYPE_CHECKING

from seamlessflow.scheduling.state import CACHED

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag
    from seamlessflow.session.options import RunOptions


def file_summary(dag: Dag, options: RunOptions) -> str:
    from seamlessflow.cli.display import TerminalDisplay
    from seamlessflow.session.run import RunSession

    planning = options._replace(dry_run=True)
    display = TerminalDisplay(quiet=True, dry_run=True, print_commands=False, jobs=options.jobs)
    with contextlib.redirect_stdout(io.StringIO()):  # the dry run's own lines: the table says it all
        summary = RunSession(dag, planning, display).execute_without_loop()
    assert summary is not None  # a dry run executes nothing
    root = Path(dag.workflow.root)
    rows = [("path", "instance", "status", "checksum")]
    for state in summary.states:
        inst = dag.workflow.instances[state.name]
        paths = [c.project_path + ("/" if c.is_dir else "") for c in inst.captures]
        if inst.stdout is not None:
            paths.append(inst.stdout)
        for shown in paths:
            path = shown.rstrip("/")
            checksum = (state.captures or {}).get(path)
            status = state.status
            if status == CACHED:
                status = _file_status(root / path, checksum)
            rows.append((shown, state.name, status, checksum or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}\n"
                   for a, b, c, d in rows)


def _file_status(path: Path, checksum: str | None) -> str:
    from seamlessflow.identity.deep import path_checksum

    try:
        return "up-to-date" if path_checksum(path) == checksum else "modified"
    except FileNotFoundError:
        return "missing"
