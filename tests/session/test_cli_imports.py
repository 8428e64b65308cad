"""cli/ translates command lines and shows results; what a run means lives in the session
layer. So no module of cli/ imports the scheduler, a store or a runner itself."""

from __future__ import annotations

import ast
from pathlib import Path

import seamlessflow

CLI = Path(seamlessflow.__file__).parent / "cli"
FORBIDDEN = (
    "seamlessflow.scheduling.scheduler",
    "seamlessflow.runners",
    "seamlessflow.storage.local_store",
    "seamlessflow.storage.http_store",
    "seamlessflow.storage.sqlite_db",
    "seamlessflow.storage.http_database",
    "seamlessflow.storage.layers",
    "seamlessflow.storage.location",
)


def imported_modules(source: str) -> set[str]:
    """Every module an import statement anywhere in `source` names (in functions too);
    `from a import b` names a.b as well, b may be a module."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def test_no_cli_module_imports_the_scheduler_stores_or_runners():
    offenders = {
        path.name: sorted(m for m in imported_modules(path.read_text()) if _forbidden(m))
        for path in sorted(CLI.glob("*.py"))
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_check_sees_imports_inside_functions():
    source = ("def run():\n    from seamlessflow.storage import location\n"
              "    import seamlessflow.runners.process\n")
    assert [m for m in sorted(imported_modules(source)) if _forbidden(m)] == [
        "seamlessflow.runners.process", "seamlessflow.storage.location"]
