"""The graph as a picture: an SVG of boxes and arrows (`dag --format svg|html`, the HTML
report), laid out by graph/layout.py and coloured by each node's status in the last run.

A node is an instance, or for a big workflow a step (one box with its instance count): at
most EXPAND_MAX instances are drawn one by one, more are drawn by step.
"""

from __future__ import annotations

from html import escape

from seamlessflow.graph.dag import Dag
from seamlessflow.graph.export import Graph, instance_graph, pairs, step_graph

EXPAND_MAX = 60  # instances drawn one box each; above this, one box per step

# status -> (fill, stroke); the same colours in the DAG, the timeline and the legends
COLOURS: dict[str, tuple[str, str]] = {
    "ran": ("#c8e6c9", "#2e7d32"),
    "cached": ("#dbe9f6", "#1565c0"),
    "failed": ("#ffcdd2", "#c62828"),
    "skipped": ("#ffe7b3", "#b26a00"),
    "will-run": ("#ffffff", "#6a1b9a"),
    "pending": ("#ffffff", "#6a1b9a"),
}
UNKNOWN = ("#f5f5f5", "#616161")  # not in the last run
# a step's box shows the first of these its instances have
PRIORITY = ("failed", "skipped", "will-run", "pending", "ran", "cached")

CHAR_W, LINE_H, PAD = 7.0, 16.0, 8.0
LABEL_MAX = 48  # characters of a name shown in its box; the tooltip has all of it


def picture_graph(dag: Dag, names: list[str] | None, steps: bool) -> Graph:
    """The step graph when asked for, or when there are too many instances to draw."""
    count = len(dag.order if names is None else names)
    return (step_graph if steps or count > EXPAND_MAX else instance_graph)(dag, names)


def node_status(node: dict, statuses: dict[str, str]) -> tuple[str | None, str]:
    """The status a node is coloured by (None: unknown) and the text its box shows."""
    members = node.get("instances")
    if members is None:
        status = statuses.get(node["name"])
        return status, status or ""
    counts: dict[str, int] = {}
    for name in members:
        if name in statuses:
            counts[statuses[name]] = counts.get(statuses[name], 0) + 1
    text = " · ".join(f"{counts[s]} {s}" for s in PRIORITY if s in counts)
    return next((s for s in PRIORITY if s in counts), None), text


def to_svg(graph: Graph, statuses: dict[str, str] | None = None) -> str:
    """An SVG document: one `<g class="node">` per node (with `data-name`, `data-status`),
    one `<g class="edge">` per pair of connected nodes (`data-from`, `data-to`)."""
    from seamlessflow.graph.layout import layered

    statuses = statuses or {}
    shown = {}
    for node in graph.nodes:
        status, status_text = node_status(node, statuses)
        title = node["name"]
        if node.get("instances") is not None:
            title += f" ×{len(node['instances'])}"
        lines = [_cut(title)] + ([status_text] if status_text else [])
        shown[node["name"]] = (status, lines)
    sizes = {name: (max(len(line) for line in lines) * CHAR_W + 2 * PAD,
                    len(lines) * LINE_H + PAD)
             for name, (_, lines) in shown.items()}
    links = [(a, b) for a, b in pairs(graph) if a != b]  # a sweep feeding itself: no arrow
    layout = layered([n["name"] for n in graph.nodes], sizes, links)
    width, height = layout.width + 2 * PAD, layout.height + 2 * PAD
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="dag" width="{width:.0f}" '
           f'height="{height:.0f}" viewBox="{-PAD:.0f} {-PAD:.0f} {width:.0f} {height:.0f}" '
           'font-family="sans-serif" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" '
           'markerHeight="8" orient="auto"><path d="M0,0L8,4L0,8z" fill="#777"/></marker></defs>']
    carried: dict[tuple[str, str], list[str]] = {}
    for e in graph.edges:
        carried.setdefault((e.source, e.target), []).append(e.path)
    for a, b in links:
        out.append(f'<g class="edge" data-from="{escape(a)}" data-to="{escape(b)}">'
                   f'<title>{escape(", ".join(carried[(a, b)]))}</title>'
                   f'<path d="{_curve(layout.paths[(a, b)])}" fill="none" stroke="#777" '
                   'marker-end="url(#arrow)"/></g>')
    for node in graph.nodes:
        name = node["name"]
        status, lines = shown[name]
        box = layout.boxes[name]
        fill, stroke = COLOURS.get(status or "", UNKNOWN)
        dashed = ' stroke-dasharray="4 3"' if status in ("will-run", "pending") else ""
        count = node.get("instances")
        extra = f' data-instances="{len(count)}"' if count is not None else ""
        out.append(f'<g class="node" data-name="{escape(name)}" data-step="{escape(node["step"])}" '
                   f'data-status="{status or ""}"{extra}><title>{escape(name)}</title>'
                   f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
                   f'rx="4" fill="{fill}" stroke="{stroke}"{dashed}/>')
        for i, line in enumerate(lines):
            y = box.y + PAD / 2 + LINE_H * (i + 0.75)
            weight = ' font-weight="bold"' if i == 0 else ' fill="#444"'
            out.append(f'<text x="{box.x + PAD:.1f}" y="{y:.1f}"{weight}>{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def legend() -> str:
    """The colours, as HTML: one swatch per status."""
    items = [(s, COLOURS[s]) for s in PRIORITY] + [("not run", UNKNOWN)]
    return " ".join(f'<span class="swatch" style="background:{fill};border-color:{stroke}">'
                    f'{escape(s)}</span>' for s, (fill, stroke) in items)


def to_html(graph: Graph, statuses: dict[str, str] | None = None, title: str = "") -> str:
    """A page holding the picture and its legend, needing nothing from the network."""
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<style>{SWATCH_CSS} body{{font-family:sans-serif}}</style></head><body>\n'
            f'<p>{legend()}</p>\n{to_svg(graph, statuses)}</body></html>\n')


SWATCH_CSS = (".swatch{display:inline-block;padding:1px 6px;margin-right:4px;border:1px solid;"
              "border-radius:3px;font-size:12px}")


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[:LABEL_MAX - 1] + "…"


def _curve(points: list[tuple[float, float]]) -> str:
    """A smooth path through `points`: each stretch a cubic leaving and arriving level."""
    (x, y), rest = points[0], points[1:]
    d = [f"M{x:.1f},{y:.1f}"]
    for nx, ny in rest:
        mid = (nx - x) / 2
        d.append(f"C{x + mid:.1f},{y:.1f} {nx - mid:.1f},{ny:.1f} {nx:.1f},{ny:.1f}")
        x, y = nx, ny
    return "".join(d)
