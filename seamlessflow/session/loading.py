"""Loading a workflow for the front ends (check, dag, run, watch, explain).

Parses, expands and links the Seamlessfile, and checks that the inputs no
step produces are present: the one piece of validation that needs the file system,
so it lives here and not in the (I/O-free) graph layer. No heavy imports: every
command that plans comes through here (a settled run does not: session/startup.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from seamlessflow.errors import Diagnostic, SourcePos
from seamlessflow.graph.dag import Dag, ProjectSource
from seamlessflow.graph.link import CaptureIndex, link, shown_path
from seamlessflow.graph.model import InputItem
from seamlessflow.scheduling.inputs import PROBED
from seamlessflow.scheduling.listing import DIR, FILE, ProjectListing
from seamlessflow.session.startup import without_cyclic_gc
from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX


def load_dag(seamlessfile: Path, overrides: Mapping[str, Any] | None,
             keep_plan: bool = True) -> Dag:
    """Parse, expand and link with these config overrides, unless the plan cache holds
    this workflow unchanged; every error in the workflow comes out as a WorkflowError.
    `keep_plan=False` (a dry run) leaves no trace, not even in the plan cache."""
    from seamlessflow.session import plan_cache

    overrides = dict(overrides) if overrides else None
    with without_cyclic_gc():
        dag = plan_cache.load(seamlessfile, overrides)
        if dag is None:
            from seamlessflow.language.load import load_workflow

            dag = link(load_workflow(seamlessfile, overrides))
            if keep_plan:
                plan_cache.save(seamlessfile, overrides, dag)
    return dag


def project_listing(dag: Dag, names: list[str] | None = None) -> ProjectListing:
    """A listing of the project folder fit for the project inputs of `names` (all
    instances when None)."""
    paths = [source.path for name in (dag.order if names is None else names)
             for source in dag.sources[name] if isinstance(source, ProjectSource)]
    return ProjectListing(os.path.abspath(dag.workflow.root), paths)


def missing_inputs(dag: Dag, names: list[str] | None = None,
                   listing: ProjectListing | None = None) -> list[Diagnostic]:
    """A diagnostic for each input line of the Seamlessfile through which project inputs of
    `names` (all instances when None) are neither in the project folder with the declared
    kind nor promised by a sidecar: one typo in a swept step is one error, naming how
    many instances it leaves without their input and one of them."""
    root = Path(dag.workflow.root)
    listing = listing or project_listing(dag, names)
    present: dict[tuple[str, bool], bool] = {}
    found: dict[SourcePos, _Missing] = {}
    for name in dag.order if names is None else names:
        inst = dag.workflow.instances[name]
        for item, source in zip(inst.inputs, dag.sources[name], strict=True):
            if not isinstance(source, ProjectSource):
                continue
            key = (source.path, item.is_dir)
            if key not in present:
                present[key] = _available(listing, source.path, item.is_dir)
            if present[key]:
                continue
            missing = found.get(item.pos)
            if missing is None:
                found[item.pos] = _Missing(name, item, source.path)
            elif missing.last != name:  # an item swept with `for` is one input line
                missing.last = name
                missing.instances += 1
    if not found:
        return []
    suggester = _Suggester(root, dag)
    problems = []
    for pos, missing in found.items():
        shown = shown_path(missing.path, missing.item.is_dir)
        who = missing.example if missing.instances == 1 else \
            f"{missing.instances} instances miss this input, e.g. {missing.example}"
        problems.append(Diagnostic(
            pos,
            f"{who}: input {shown} not found: no step captures it, and neither it nor "
            f"{missing.path}{CHECKSUM_SUFFIX} is in the project folder",
            _reversed_arrow(root, missing.item) or
            suggester.hint(missing.path, missing.item.is_dir),
        ))
    return problems


class _Missing:
    """The missing inputs of one input line: its first instance, and how many there are."""

    def __init__(self, example: str, item: InputItem, path: str):
        self.example, self.item, self.path = example, item, path
        self.last = example
        self.instances = 1


def _reversed_arrow(root: Path, item: InputItem) -> str | None:
    """For `raw.fa -> data/S1.fa` written for `data/S1.fa -> raw.fa`: the workspace side
    exists in the project, the project side does not."""
    if item.workspace_path == item.project_path or \
            not (root / item.workspace_path).exists():
        return None
    return (f"{item.workspace_path} exists in the project and {item.project_path} does not: "
            "in inputs, `->` points from the project path to the name in the workspace "
            f"(`{item.workspace_path} -> {item.project_path}`); swap the two sides")


def _available(listing: ProjectListing, path: str, is_dir: bool) -> bool:
    kind, (_, sidecar) = listing.probe(path, *PROBED)  # as the checksum will ask
    if kind == (DIR if is_dir else FILE):
        return True
    return sidecar and listing.kind(path + CHECKSUM_SUFFIX) == FILE


class _Suggester:
    """"Did you mean" among the files near a missing path and the paths steps capture."""

    def __init__(self, root: Path, dag: Dag):
        self.root = root
        self.dag = dag
        self.listings: dict[str, list[str]] = {}

    @cached_property
    def captured(self) -> list[str]:
        """Only once an input is missing: indexing every capture costs a no-op run."""
        return [shown_path(p.project_path, p.is_dir)
                for p in CaptureIndex(self.dag.workflow).paths.values()]

    def hint(self, path: str, is_dir: bool) -> str | None:
        local = self.root / path
        if is_dir and local.is_file():
            return f"{path} is a file: drop the trailing '/'"
        if not is_dir and local.is_dir():
            return f"{path} is a directory: write {path}/"
        wanted = shown_path(path, is_dir)
        candidates = self._nearby(path) + self.captured
        import difflib  # only when an input is missing

        close = difflib.get_close_matches(wanted, candidates, n=3, cutoff=0.6)
        if not close:
            return None
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"

    def _nearby(self, path: str) -> list[str]:
        """The entries of the deepest existing folder on the way to `path`."""
        folder = path.rpartition("/")[0]
        while folder and not (self.root / folder).is_dir():
            folder = folder.rpartition("/")[0]
        if folder not in self.listings:
            self.listings[folder] = self._list(folder)
        return self.listings[folder]

    def _list(self, folder: str) -> list[str]:
        prefix = folder + "/" if folder else ""
        try:
            entries = list(os.scandir(self.root / folder))
        except OSError:
            return []
        names = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.name.endswith(CHECKSUM_SUFFIX):  # a sidecar stands for its file
                names.append(prefix + entry.name[: -len(CHECKSUM_SUFFIX)])
            else:
                names.append(prefix + entry.name + ("/" if entry.is_dir() else ""))
        return names
