"""The linked instance graph: where each input of each instance comes from.

Produced by `seamlessflow.graph.link.link(workflow)`; consumed by scheduling,
`dag` export and watch mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from seamlessflow.graph.model import Workflow


class StepSource(NamedTuple):  # a NamedTuple for speed: see graph/model.py
    """The input is (part of) a capture of an upstream instance."""

    instance: str  # upstream instance name
    capture: str  # the upstream capture's workspace path: a key of its result mapping
    subpath: str = ""  # "" for the whole capture, else a path inside a captured directory


class ProjectSource(NamedTuple):
    """The input is read from the project folder, or from `PATH.CHECKSUM` when the file is absent.

    Which of the two is decided at run time (it needs I/O), not by the graph layer.
    """

    path: str


Source = StepSource | ProjectSource


@dataclass
class Dag:
    workflow: Workflow
    # instance name -> one source per item of `instance.inputs`, same order
    sources: dict[str, list[Source]]
    # instance name -> names of the instances it needs (distinct, in input order)
    upstream: dict[str, list[str]]
    # instance name -> names of the instances that need it
    downstream: dict[str, list[str]] = field(default_factory=dict)
    # every instance name, each after all of its upstream instances
    order: list[str] = field(default_factory=list)

    def produced_path(self, source: StepSource) -> str:
        """The project path where the upstream instance wrote the bytes `source` reads."""
        from seamlessflow.identity.transformation import STDOUT_KEY

        inst = self.workflow.instances[source.instance]
        if source.capture == STDOUT_KEY:
            base = inst.stdout or ""
        else:
            base = next(c.project_path for c in inst.captures
                        if c.workspace_path == source.capture.rstrip("/"))
        return f"{base}/{source.subpath}" if source.subpath else base
