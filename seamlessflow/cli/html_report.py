"""The HTML report of a run (`seamlessflow report`, `run --html FILE`): one self-contained
page built from the run report of the last run (session/last_run.py) and the current plan.

It shows the graph coloured by status (graph/svg.py), the timeline of what executed
(cli/timeline.py), each failure with its stderr, Seamlessfile position, command and kept
workspace, a table of instances (sortable and filterable by its small inline script) and
every output file linked to the instance that made it, whose inputs link to theirs.
Nothing is loaded from the network: the style and the script are inlined.
"""

from __future__ import annotations

import json
import time
from html import escape
from importlib.resources import files
from pathlib import Path

from seamlessflow.graph.dag import Dag, StepSource
from seamlessflow.graph.link import shown_path
from seamlessflow.graph.model import Instance
from seamlessflow.graph.reserved import STATE_DIR

STATUSES = ("ran", "cached", "failed", "skipped", "will-run", "pending", "not run")


def build_html(dag: Dag, names: list[str], record: dict | None, everything: bool) -> str:
    """The page for the instances `names` of the plan; `everything`: no target was given,
    so instances of the last run that the plan no longer has are listed too."""
    from seamlessflow.cli import timeline
    from seamlessflow.graph import svg
    from seamlessflow.session import last_run

    root = Path(dag.workflow.root)
    entries = {e["name"]: e for e in (record or {}).get("instances", [])}
    shown = list(names)
    if everything:
        shown += [n for n in entries if n not in dag.workflow.instances]
    ids = {name: f"i{i}" for i, name in enumerate(shown)}
    project_sums = _project_checksums(root)
    title = dag.workflow.project or root.name
    graph = svg.picture_graph(dag, names, steps=False)
    executed = timeline.to_svg([entries[n] for n in shown if n in entries])
    failed = [n for n in shown if entries.get(n, {}).get("status") == "failed"]
    parts = [
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<title>{escape(title)}: seamlessflow report</title>'
        f'<style>{svg.SWATCH_CSS}\n{_asset("report.css")}</style></head><body>',
        f'<h1>{escape(title)}</h1>',
        f'<p class="summary">{_summary(record, entries, shown)}</p>',
        '<nav><a href="#graph">graph</a> · <a href="#timeline">timeline</a> · '
        '<a href="#failures">failures</a> · <a href="#instances">instances</a> · '
        '<a href="#files">files</a> · <a href="#steps">steps</a></nav>',
        f'<section id="graph"><h2>Graph</h2><p>{svg.legend()}</p>'
        f'{svg.to_svg(graph, last_run.statuses(record))}</section>',
        '<section id="timeline"><h2>Timeline</h2>'
        + (executed or "<p>Nothing executed in the last run.</p>") + "</section>",
        '<section id="failures"><h2>Failures</h2>'
        + ("".join(_failure(dag, entries[n], ids[n]) for n in failed)
           or "<p>Nothing failed.</p>") + "</section>",
        _table(dag, shown, entries, ids, project_sums),
        _files(shown, entries, ids),
        _steps(dag, names),
        f'<script>{_asset("report.js")}</script></body></html>\n',
    ]
    return "\n".join(parts)


def write_html(text: str, path: Path) -> None:
    """Atomically, as the JSON report is (session/report.py)."""
    from seamlessflow.storage.atomic import os_error, output_file

    try:
        with output_file(path) as f:
            f.write(text.encode())
    except OSError as exc:
        raise os_error(exc, path, "write the HTML report to") from None


def _asset(name: str) -> str:
    return files("seamlessflow.cli").joinpath("assets", name).read_text(encoding="utf-8")


def _summary(record: dict | None, entries: dict[str, dict], shown: list[str]) -> str:
    if record is None:
        return "No run is recorded in this project yet: the graph shows the plan."
    counts: dict[str, int] = {}
    for name in shown:
        status = entries.get(name, {}).get("status", "not run")
        counts[status] = counts.get(status, 0) + 1
    starts = [e["started_at"] for e in entries.values() if e.get("started_at")]
    when = time.strftime(" on %Y-%m-%d at %H:%M:%S UTC", time.gmtime(min(starts))) \
        if starts else ""
    kind = "dry run" if record.get("dry_run") else "run"
    return f"The last {kind}{when}: " + ", ".join(
        f'<span class="st-{s.replace(" ", "-")}">{counts[s]} {s}</span>'
        for s in STATUSES if s in counts) + "."


def _failure(dag: Dag, entry: dict, row_id: str) -> str:
    inst = dag.workflow.instances.get(entry["name"])
    lines = [f'<div class="failure" id="f{row_id[1:]}"><h3><a href="#{row_id}">'
             f'{escape(entry["name"])}</a></h3>',
             f'<p class="error">{escape(entry.get("error") or entry.get("reason") or "")}</p>']
    if inst is not None:
        pos = (inst.code_pos or inst.pos).in_project(dag.workflow.root)
        lines.append(f'<p>At <code>{escape(pos)}</code>, {escape(inst.language)}:</p>'
                     f'<pre class="command">{escape(inst.code)}</pre>')
    if entry.get("stderr_tail"):
        lines.append(f'<p>The end of its stderr:</p><pre class="stderr">'
                     f'{escape(entry["stderr_tail"])}</pre>')
    if entry.get("log"):
        lines.append(f'<p>All of it: <code>{escape(entry["log"])}</code></p>')
    workspace = entry.get("workspace")
    lines.append(f'<p>Workspace kept at <code>{escape(workspace)}</code></p>' if workspace
                 else "<p>Workspace not kept (run with <code>--keep-workspace</code> to keep "
                      "it).</p>")
    if entry.get("rerun"):
        lines.append(f'<p>To run it again there by hand:</p><pre class="rerun">'
                     f'{escape(entry["rerun"])}</pre>')
    return "".join(lines) + "</div>"


def _table(dag: Dag, shown: list[str], entries: dict[str, dict], ids: dict[str, str],
           project_sums: dict[str, str]) -> str:
    head = ("instance", "step", "status", "reason", "stage", "runner", "duration (s)",
            "params", "inputs", "outputs")
    options = "".join(f'<option value="{s}">{s}</option>' for s in STATUSES)
    rows = []
    for name in shown:
        entry = entries.get(name, {})
        inst = dag.workflow.instances.get(name)
        status = entry.get("status", "not run")
        step = entry.get("step") or (inst.step if inst else "")
        duration = entry.get("duration_s")
        cells = [
            f'<a href="#steps-{escape(step)}">{escape(name)}</a>' if inst else escape(name),
            escape(step),
            f'<span class="st-{status.replace(" ", "-")}">{status}</span>',
            escape(entry.get("reason", "")),
            escape(entry.get("stage") or (inst.stage or "" if inst else "")),
            escape(entry.get("runner") or ""),
            "" if duration is None else f"{duration:.3f}",
            _params(inst),
            _inputs(dag, inst, entries, ids, project_sums) if inst else "",
            _checksums(entry.get("captures") or {}),
        ]
        sort = "" if duration is None else f' data-sort-6="{duration}"'
        rows.append(f'<tr id="{ids[name]}" data-name="{escape(name)}" '
                    f'data-step="{escape(step)}" data-status="{status}"{sort}>'
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return ('<section id="instances"><h2>Instances</h2><p class="filters">'
            '<label>step or instance <input id="filter-text" type="search"></label> '
            '<label>status <select id="filter-status"><option value="">any</option>'
            f'{options}</select></label> <span id="shown"></span></p>'
            '<table id="instance-table"><thead><tr>'
            + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "\n".join(rows) + "</tbody></table></section>")


def _params(inst: Instance | None) -> str:
    if inst is None:
        return ""
    return "<br>".join(f"{escape(k)} = {escape(json.dumps(v, default=str))}"
                       for k, v in inst.params.items())


def _inputs(dag: Dag, inst: Instance, entries: dict[str, dict], ids: dict[str, str],
            project_sums: dict[str, str]) -> str:
    """Each input: its project path and checksum, and the instance that made it."""
    items = []
    for item, source in zip(inst.inputs, dag.sources[inst.name], strict=True):
        path = shown_path(item.project_path, item.is_dir)
        if isinstance(source, StepSource):
            made = (entries.get(source.instance, {}).get("captures") or {})
            checksum = made.get(dag.produced_path(source)) if not source.subpath else None
            producer = source.instance
            by = (f' from <a href="#{ids[producer]}">{escape(producer)}</a>'
                  if producer in ids else f" from {escape(producer)}")
        else:
            checksum = project_sums.get(item.project_path)
            by = " from the project"
        items.append(f"{escape(path)}{by}{_short(checksum)}")
    return "<br>".join(items)


def _checksums(captures: dict[str, str]) -> str:
    return "<br>".join(f"{escape(path)}{_short(cs)}" for path, cs in captures.items())


def _short(checksum: str | None) -> str:
    if not checksum:
        return ""
    return f' <code class="cs" title="{checksum}">{checksum[:12]}</code>'


def _files(shown: list[str], entries: dict[str, dict], ids: dict[str, str]) -> str:
    """Every file the shown instances wrote, linked to the instance that wrote it."""
    rows = [f'<tr><td>{escape(path)}</td><td>{_short(cs)}</td>'
            f'<td><a class="producer" href="#{ids[name]}">{escape(name)}</a></td></tr>'
            for name in shown
            for path, cs in sorted((entries.get(name, {}).get("captures") or {}).items())]
    if not rows:
        return '<section id="files"><h2>Files</h2><p>No output recorded.</p></section>'
    return ('<section id="files"><h2>Files</h2><table id="file-table"><thead><tr><th>file</th>'
            '<th>checksum</th><th>made by</th></tr></thead><tbody>'
            + "\n".join(rows) + "</tbody></table></section>")


def _steps(dag: Dag, names: list[str]) -> str:
    """The code of each step, once (instances of a step share it but for their params)."""
    first: dict[str, Instance] = {}
    for name in names:
        inst = dag.workflow.instances[name]
        first.setdefault(inst.step, inst)
    blocks = [f'<div id="steps-{escape(step)}"><h3>{escape(step)}</h3><p>'
              f'<code>{escape(inst.pos.in_project(dag.workflow.root))}</code>, '
              f'{escape(inst.language)}</p><pre>{escape(inst.code)}</pre></div>'
              for step, inst in first.items()]
    return '<section id="steps"><h2>Steps</h2>' + "".join(blocks) + "</section>"


def _project_checksums(root: Path) -> dict[str, str]:
    """Project path -> the checksum seamlessflow last took of that file (its stat cache),
    without reading any file: what the last run read, unless it changed since."""
    from seamlessflow.storage.statcache import StatCache

    prefix = str(root) + "/"
    return {key[len(prefix):]: entry[4]
            for key, entry in StatCache.load(root / STATE_DIR).entries.items()
            if key.startswith(prefix) and isinstance(entry, list) and len(entry) > 4}
