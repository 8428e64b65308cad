"""Hand-built workflows, so the graph layer is tested without the language layer."""

from __future__ import annotations

import pytest

from seamlessflow.errors import SourcePos
from seamlessflow.graph.model import CaptureItem, InputItem, Instance, Workflow


class WorkflowBuilder:
    """Each instance sits on its own line of a fake Seamlessfile; its items follow it,
    each on the next line, so every position is distinct and predictable."""

    def __init__(self) -> None:
        self.instances: dict[str, Instance] = {}
        self.line = 0

    def _pos(self) -> SourcePos:
        self.line += 1
        return SourcePos("Seamlessfile", self.line, 5)

    def add(self, name: str, inputs: tuple[str, ...] = (), captures: tuple[str, ...] = (),
            stdout: str | None = None, step: str | None = None,
            bindings: dict | None = None) -> Instance:
        pos = self._pos()
        input_items = []
        for text in inputs:  # "PROJECT_PATH[ -> WORKSPACE_PATH]"
            project, _, workspace = text.partition(" -> ")
            input_items.append(InputItem(project.rstrip("/"), (workspace or project).rstrip("/"),
                                         project.endswith("/"), self._pos()))
        capture_items = []
        for text in captures:  # "WORKSPACE_PATH[ -> PROJECT_PATH]"
            workspace, _, project = text.partition(" -> ")
            project = project or workspace
            capture_items.append(CaptureItem(workspace.rstrip("/"), project.rstrip("/"),
                                             project.endswith("/"), self._pos()))
        inst = Instance(
            name=name, step=step or name.partition("[")[0], bindings=bindings or {},
            language="bash", code="true", inputs=input_items, params={},
            captures=capture_items, pos=pos, stdout=stdout,
            stdout_pos=self._pos() if stdout else None,
        )
        self.instances[name] = inst
        return inst

    def build(self, root: str = "/project") -> Workflow:
        return Workflow(root=root, seamlessfile=f"{root}/Seamlessfile", instances=self.instances)


@pytest.fixture
def wf() -> WorkflowBuilder:
    return WorkflowBuilder()
