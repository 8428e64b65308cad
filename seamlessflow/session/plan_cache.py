"""The expanded, linked workflow kept between runs, so that a run of an unchanged
Seamlessfile does not parse, expand or link it again.

A plan is valid while every file that shaped it (the Seamlessfile, its includes, its
config file) has the same checksum, every `glob()` gives the same values, and the same
seamlessflow code built it. It is kept under the user's cache folder (`plans/`), not in
the project: a project folder may come from someone else, and although the plan is read
with `marshal` (builtins only, no code), a plan is not something to take on trust.

Everything here only ever costs speed: an unreadable, stale or damaged plan is rebuilt,
and a plan that cannot be written is simply not kept.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag

FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent.parent
# What reading a damaged or foreign file (valid marshal, wrong shape) raises.
DAMAGED = (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError)
# The code that turns a Seamlessfile into a DAG: a plan built by other code is rebuilt.
_BUILDERS = ("grammar", "language", "graph")


def load(seamlessfile: Path, overrides: dict[str, Any] | None) -> Dag | None:
    """The cached plan for this Seamlessfile and these --config overrides, if still valid."""
    try:
        raw = cache_file(seamlessfile, overrides, ".plan").read_bytes()
    except OSError:
        return None
    try:
        return _valid_plan(raw, Path(seamlessfile).absolute().parent)
    except DAMAGED:
        return None  # not a plan of this version: it is rebuilt and overwritten


def _valid_plan(raw: bytes, root: Path) -> Dag | None:
    fmt, builder, sources, globs, data = marshal.loads(raw)
    if fmt != FORMAT or builder != code_signature(_BUILDERS) \
            or not sources_unchanged(sources, globs, root):
        return None
    from seamlessflow.graph.serialize import dag_from_data

    return dag_from_data(data)


def sources_unchanged(sources: list, globs: list, root: Path) -> bool:
    """Whether the files a workflow was read from (`Workflow.source_files`) have the
    same checksums and its globs (`Workflow.globs`) the same values."""
    for path, checksum in sources:
        if not isinstance(path, str) or _file_checksum(path) != checksum:
            return False  # (open() takes an int for a file descriptor: never that)
    if globs:
        from seamlessflow.language.evaluate import glob_values

        if any(glob_values(root, pattern) != values for pattern, values in globs):
            return False
    return True


def save(seamlessfile: Path, overrides: dict[str, Any] | None, dag: Dag) -> None:
    """Keep the plan, with the checksums of the bytes it was parsed from and the values
    its globs gave, as the language layer recorded them while reading (a file edited
    since then makes the plan stale, never wrongly valid)."""
    from seamlessflow.graph.serialize import dag_to_data
    from seamlessflow.storage.atomic import atomic_write_bytes

    wf = dag.workflow
    sources = list(wf.source_files.items())
    globs = list(wf.globs.items())
    try:
        payload = marshal.dumps((FORMAT, code_signature(_BUILDERS), sources, globs,
                                 dag_to_data(dag)))
        file = cache_file(seamlessfile, overrides, ".plan")
        file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(file, payload)
    except (OSError, ValueError):
        pass


def cache_file(seamlessfile: Path, overrides: dict[str, Any] | None, suffix: str) -> Path:
    """What the user's cache keeps about this Seamlessfile with these overrides."""
    from seamlessflow.storage.location import cache_dir

    key = repr((os.path.abspath(seamlessfile), sorted((overrides or {}).items())))
    return cache_dir() / "plans" / (hashlib.sha256(key.encode()).hexdigest() + suffix)


def _file_checksum(path: str) -> str | None:
    from seamlessflow.identity.checksum import checksum_file

    try:
        return checksum_file(path)
    except OSError:
        return None


@lru_cache(maxsize=4)
def code_signature(folders: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """Name, size and mtime of every module in these folders of the package (for a plan:
    those that build plans): an upgrade or an edit of seamlessflow itself (an editable
    install) makes what they built stale. Taken once per process (a miss asked for it
    again to save the plan; `watch` asks every round): the code of this process is the
    code it started with."""
    found = []
    for folder in folders:
        try:
            entries = os.scandir(_PACKAGE / folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                if entry.name.endswith((".py", ".lark")):
                    st = entry.stat()
                    found.append((f"{folder}/{entry.name}", st.st_size, st.st_mtime_ns))
    found.sort()
    return found
