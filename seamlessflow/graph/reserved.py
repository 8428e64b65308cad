"""Names a capture may not take: the tool's own files, and the key of standard output.

A step's output replaces whatever stands at its project path, so a capture onto the
Seamlessfile, into `.seamlessflow/` or onto a sidecar would overwrite what seamlessflow
itself reads (the workflow, its records, the stand-in of an input). And a result maps
each capture's workspace path to its checksum beside standard output's key, so a
capture named like that key would take stdout's place. All are refused when the
workflow is linked, at the capture's position.
"""

from __future__ import annotations

import os

from seamlessflow.config.project_files import FILES as CONFIG_FILES
from seamlessflow.errors import Diagnostic, SourcePos
from seamlessflow.graph.model import Workflow
from seamlessflow.identity.transformation import STDOUT_KEY
from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX, INDEX_SUFFIX

STATE_DIR = ".seamlessflow"  # the project's own state: stat cache, outputs record, logs
SIDECAR_SUFFIXES = (CHECKSUM_SUFFIX, INDEX_SUFFIX)


class ReservedPaths:
    """The reserved names of one workflow: its source files (the Seamlessfile, its
    includes, its config files) besides the names every project reserves."""

    def __init__(self, workflow: Workflow):
        root = workflow.root
        files = {os.path.relpath(path, root) for path in workflow.source_files}
        self.files = sorted({*CONFIG_FILES, *(f for f in files if not f.startswith(".."))})

    def problem(self, instance: str, project_path: str, is_dir: bool, pos: SourcePos
                ) -> Diagnostic | None:
        """Why `instance` may not write `project_path` (a capture, or its stdout), if
        it may not."""
        shown = project_path + "/" if is_dir else project_path
        if project_path == STATE_DIR or project_path.startswith(STATE_DIR + "/"):
            return Diagnostic(pos, f"{instance} captures {shown}, but {STATE_DIR}/ is where "
                                   "seamlessflow keeps its own records",
                              f"choose a project path outside {STATE_DIR}/")
        for file in self.files:
            if file == project_path or file.startswith(project_path + "/"):
                return Diagnostic(pos, f"{instance} captures {shown}, which would overwrite "
                                       f"the workflow's own file {file}",
                                  "choose another project path")
        if project_path.endswith(SIDECAR_SUFFIXES):
            return Diagnostic(pos, f"{instance} captures {shown}: a name ending in "
                                   f"{' or '.join(SIDECAR_SUFFIXES)} is a sidecar, which "
                                   "stands for the file or folder beside it",
                              "choose a name without that ending")
        return None


def stdout_key_diagnostic(instance: str, pos: SourcePos) -> Diagnostic:
    """For a capture whose workspace path is standard output's key in the result."""
    return Diagnostic(pos, f"{instance} captures a file named {STDOUT_KEY}, the name its "
                           "result gives the command's standard output",
                      "name the file otherwise (OTHER -> PATH); to capture standard output, "
                      "write `stdout: PATH`")
