"""Where a project file comes from: the step instance, its code, params, inputs (by the
project path they were read from, and the instance that wrote them), when it ran, why,
and whether the file on disk still matches what was written. A file inside a captured
directory is explained as the directory's. A path the workflow neither produces nor
reads is a UsageError."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from seamlessflow.errors import UsageError


class Explanation(NamedTuple):
    path: str  # relative to the project folder
    produced_by: str | None  # the instance that wrote it; None: not written (yet)
    transformation: str | None  # of that instance's run
    checksum: str | None  # what it wrote
    on_disk: str | None  # "matches", "missing" or "differs: ..."; None: not written
    text: str  # all of it, as `seamlessflow explain` prints it


def explain(seamlessfile: Path, path: str | Path, config: Mapping[str, Any] | None,
            cwd: Path) -> Explanation:
    """`path`: relative to `cwd`, or absolute."""
    from seamlessflow.graph.reserved import STATE_DIR
    from seamlessflow.scheduling.outputs import load_outputs_record

    root = seamlessfile.resolve().parent
    rel = _project_relative(root, Path(path), cwd)
    record = load_outputs_record(root / STATE_DIR)
    entry, inside = _recorded(record, rel)
    if entry is None:
        return Explanation(rel, None, None, None, None, _not_produced(seamlessfile, rel, config))
    text, checksum, on_disk = _describe(root, rel, entry, inside,
                                        lambda: _origins_now(seamlessfile, entry, config))
    return Explanation(rel, entry["instance"], entry["transformation"], checksum, on_disk, text)


def _recorded(record: dict[str, dict], rel: str) -> tuple[dict | None, str | None]:
    """The outputs record of `rel`, or of the captured directory it lies in (then also
    that directory's path)."""
    if rel in record:
        return record[rel], None
    parts = rel.split("/")
    for n in range(len(parts) - 1, 0, -1):
        folder = "/".join(parts[:n])
        entry = record.get(folder)
        if entry is not None and entry.get("is_dir"):
            return entry, folder
    return None, None


def _project_relative(root: Path, path: Path, cwd: Path) -> str:
    absolute = (cwd / path).resolve() if not path.is_absolute() else path.resolve()
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{path} is not inside the project folder {root}") from None


def _not_produced(seamlessfile: Path, rel: str, config: Mapping[str, Any] | None) -> str:
    from seamlessflow.session.loading import load_dag

    dag = load_dag(seamlessfile, config)
    for inst in dag.workflow.instances.values():
        paths = [c.project_path for c in inst.captures]
        if inst.stdout:
            paths.append(inst.stdout)
        if rel in paths:
            return (f"{rel} is produced by {inst.name} (step {inst.step}), which has not "
                    f"written it yet here: run `seamlessflow run {rel}`")
        for c in inst.captures:
            if c.is_dir and rel.startswith(c.project_path + "/"):
                return (f"{rel} would be inside {c.project_path}/, captured by {inst.name} "
                        f"(step {inst.step}), which has not written it yet here: run "
                        f"`seamlessflow run {c.project_path}`")
    users = sorted({inst.name for inst in dag.workflow.instances.values()
                    for item in inst.inputs if item.project_path == rel})
    if users:
        return f"{rel} is a source file, not produced by any step; it is an input of " + \
            ", ".join(users)
    raise UsageError(f"{rel} is neither produced nor used by any step of {seamlessfile.name}")


def _describe(root: Path, rel: str, entry: dict, inside: str | None,
              origins_now: Callable[[], dict[str, list]]) -> tuple[str, str, str]:
    """The text, the checksum written and the state on disk."""
    from seamlessflow.storage.location import open_default_database, open_default_store

    store, db = open_default_store(), open_default_database()
    tf_cs = entry["transformation"]
    lines = [rel]
    if inside is not None:  # a file of a captured directory: its own checksum, if known
        lines.append(f"  inside          {inside}/, captured as a directory")
        entry = {**entry, "is_dir": (root / rel).is_dir(),
                 "checksum": _checksum_inside(store, entry["checksum"], rel[len(inside) + 1:])}
    lines += [f"  produced by     {entry['instance']}", f"  transformation  {tf_cs}",
              f"  checksum        {entry['checksum']}"]
    record = db.get_record(tf_cs) or {}
    if record:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.get("finished_at", 0)))
        lines.append(f"  ran             {when} by the {record.get('runner')} runner "
                     f"in {record.get('duration_s', 0):.2f}s")
    raw_tf = store.get(tf_cs)
    if raw_tf is None:
        lines.append("  (the transformation is no longer in the buffer store)")
    else:
        from seamlessflow.identity.seamless_bash import describe_transformation

        language, code_cs, params, inputs = describe_transformation(json.loads(raw_tf))
        code = store.get(code_cs)
        lines.append(f"  code ({language}):")
        text = code.decode() if code is not None else "(not in the buffer store)"
        lines.extend("      " + line for line in text.splitlines())
        lines.append("  params:" + ("" if params else " none"))
        lines.extend(f"      {k} = {_param_text(store, v)}" for k, v in sorted(params.items()))
        lines.append("  inputs:" + ("" if inputs else " none"))
        recorded = _recorded_run(root, entry)
        origins = recorded["meaning"]["inputs"] if recorded else origins_now()
        lines.extend(_input_lines(origins, inputs))
    on_disk = _disk_state(root / rel, entry)
    lines.append("  on disk         " + on_disk)
    lines.extend(_why_it_ran(root, entry))
    return "\n".join(lines), entry["checksum"], on_disk


def _param_text(store, value: object) -> str:
    """A Python step's param as JSON (its transformation holds it); a shell step's as
    the text its command sees (its transformation holds the checksum of that text)."""
    if not isinstance(value, list):
        return json.dumps(value)
    buffer = store.get(value[2])
    return json.loads(buffer) if buffer is not None else "(not in the buffer store)"


def _recorded_run(root: Path, entry: dict) -> dict | None:
    """The run history's entry of the instance that wrote `entry`, if it is of the same
    transformation (scheduling/history.py)."""
    from seamlessflow.graph.reserved import STATE_DIR
    from seamlessflow.scheduling.history import RunHistory

    recorded = RunHistory(root / STATE_DIR).entry(entry["instance"])
    if recorded is None or recorded.get("transformation") != entry["transformation"]:
        return None
    return recorded


def _origins_now(seamlessfile: Path, entry: dict, config: Mapping[str, Any] | None
                 ) -> dict[str, list]:
    """Where the workflow as it is now reads the producing instance's inputs from, for a
    run the history does not know: workspace name -> [project path, None, producer]."""
    from seamlessflow.graph.dag import ProjectSource
    from seamlessflow.session.loading import load_dag

    dag = load_dag(seamlessfile, config)
    inst = dag.workflow.instances.get(entry["instance"])
    if inst is None:
        return {}
    return {item.workspace_path: [source.path, None, None] if isinstance(source, ProjectSource)
            else [dag.produced_path(source), None, source.instance]
            for item, source in zip(inst.inputs, dag.sources[inst.name], strict=True)}


def _input_lines(origins: dict[str, list], inputs: dict[str, str]) -> list[str]:
    """An input per line by the project path it was read from, with the instance that
    wrote it and its name in the workspace when they tell something."""
    lines = []
    for name, cs in sorted(inputs.items(), key=lambda kv: origins.get(kv[0], kv)[0]):
        origin = origins.get(name)
        if origin is None:  # the workflow reads it no more: its workspace name is all
            lines.append(f"      {name}  {cs}")
            continue
        path, _, producer = origin
        line = f"      {path}  {cs}"
        if producer:
            line += f"  from {producer}"
        if name != path:
            line += f"  (as {name})"
        lines.append(line)
    return lines


def _checksum_inside(store, dir_checksum: str, sub: str) -> str:
    """The checksum of a file inside a captured directory, from the directory's index."""
    raw = store.get(dir_checksum)
    index = json.loads(raw) if raw is not None else {}
    if sub in index:
        return index[sub]
    prefix = sub + "/"
    inner = {k[len(prefix):]: v for k, v in index.items() if k.startswith(prefix)}
    if inner:
        from seamlessflow.identity.deep import deep_checksum

        return deep_checksum(inner)
    return "(not in the directory as it was captured)"


def _why_it_ran(root: Path, entry: dict) -> list[str]:
    """What had changed when the producing instance last ran, as a dry run said it."""
    from seamlessflow.scheduling.changes import code_diffs, describe

    recorded = _recorded_run(root, entry)
    if recorded is None or not recorded.get("changes"):
        return []
    changes = recorded["changes"]
    lines = ["  why it ran      " + describe(changes)]
    lines.extend("      " + text for diff in code_diffs(changes) for text in diff.splitlines())
    return lines


def _disk_state(path: Path, entry: dict) -> str:
    from seamlessflow.identity.checksum import checksum_file
    from seamlessflow.identity.deep import deep_checksum, deep_index

    if entry.get("is_dir"):
        if not path.is_dir():
            return "missing"
        current = deep_checksum(deep_index(path))
    else:
        if not path.is_file():
            return "missing"
        current = checksum_file(path)
    if current == entry["checksum"]:
        return "matches"
    return f"differs: the file is now {current} (edited since seamlessflow wrote it)"
