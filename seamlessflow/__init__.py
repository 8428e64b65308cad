"""seamlessflow: a declarative workflow tool with content-addressed caching.

The top level is the Python API (docs/api.md), imported on first use so that the CLI,
which imports this package too, pays nothing for it:

    import seamlessflow as sf
    wf = sf.load("Seamlessfile", config={"top": 9})
    result = wf.run(["count"], jobs=4)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

# name -> the module that defines it
_API = {
    "load": "seamlessflow.api.workflow",
    "Workflow": "seamlessflow.api.workflow",
    "RunSummary": "seamlessflow.api.results",
    "InstanceResult": "seamlessflow.api.results",
    "checksum": "seamlessflow.api.files",
    "upload": "seamlessflow.api.files",
    "download": "seamlessflow.api.files",
    "explain": "seamlessflow.api.files",
    "Explanation": "seamlessflow.session.explain",
    "SeamlessflowError": "seamlessflow.errors",
    "WorkflowError": "seamlessflow.errors",
    "UsageError": "seamlessflow.errors",
    "StoreError": "seamlessflow.errors",
    "ExecutionError": "seamlessflow.errors",
}
__all__ = [
    "Explanation", "ExecutionError", "InstanceResult", "RunSummary", "SeamlessflowError",
    "StoreError", "UsageError", "Workflow", "WorkflowError", "checksum", "download",
    "explain", "load", "upload",
]

if TYPE_CHECKING:
    from seamlessflow.api.files import checksum, download, explain, upload
    from seamlessflow.api.results import InstanceResult, RunSummary
    from seamlessflow.api.workflow import Workflow, load
    from seamlessflow.errors import (
        ExecutionError,
        SeamlessflowError,
        StoreError,
        UsageError,
        WorkflowError,
    )
    from seamlessflow.session.explain import Explanation


def __getattr__(name: str):  # noqa: ANN202 - the type is the attribute's
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'seamlessflow' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return [*__all__, "__version__"]
