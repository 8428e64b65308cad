"""The timeline (Gantt chart) of a run for the HTML report: a bar per executed instance
from when it started to when it ended, on rows that stand for the slots it ran in.

The run report records start and end times, not slots, so the rows are rebuilt: each
instance takes the first row free when it starts (as many rows as instances ran at once).
"""

from __future__ import annotations

import math
from html import escape

from seamlessflow.graph.svg import COLOURS, UNKNOWN

ROW_H, BAR_H, LEFT, WIDTH = 18.0, 14.0, 60.0, 960.0


def rows(entries: list[dict]) -> list[list[dict]]:
    """The executed entries (with `started_at` and `ended_at`) packed on rows, by start."""
    timed = sorted((e for e in entries if e.get("started_at") is not None
                    and e.get("ended_at") is not None), key=lambda e: e["started_at"])
    packed: list[list[dict]] = []
    for entry in timed:
        free = next((row for row in packed if row[-1]["ended_at"] <= entry["started_at"]), None)
        if free is None:
            packed.append([entry])
        else:
            free.append(entry)
    return packed


def to_svg(entries: list[dict]) -> str:
    """An SVG with one `<rect class="bar">` per executed instance (`data-name`,
    `data-status`); empty when nothing executed."""
    packed = rows(entries)
    if not packed:
        return ""
    start = min(row[0]["started_at"] for row in packed)
    span = max(e["ended_at"] for row in packed for e in row) - start or 1e-3
    scale = (WIDTH - LEFT - 10) / span
    height = len(packed) * ROW_H + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH:.0f}" '
           f'height="{height:.0f}" font-family="sans-serif" font-size="11">']
    for tick in _ticks(span):
        x = LEFT + tick * scale
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 16:.0f}" '
                   f'stroke="#e0e0e0"/><text x="{x:.1f}" y="{height - 4:.0f}" '
                   f'text-anchor="middle" fill="#555">{tick:g}s</text>')
    for i, row in enumerate(packed):
        y = i * ROW_H
        out.append(f'<text x="4" y="{y + BAR_H - 3:.1f}" fill="#555">slot {i + 1}</text>')
        for e in row:
            x = LEFT + (e["started_at"] - start) * scale
            w = max((e["ended_at"] - e["started_at"]) * scale, 1.0)
            fill, stroke = COLOURS.get(e["status"], UNKNOWN)
            took = e["ended_at"] - e["started_at"]
            out.append(f'<rect class="bar" data-name="{escape(e["name"])}" '
                       f'data-status="{escape(e["status"])}" x="{x:.1f}" y="{y + 2:.1f}" '
                       f'width="{w:.1f}" height="{BAR_H:.0f}" fill="{fill}" stroke="{stroke}">'
                       f'<title>{escape(e["name"])}: {e["status"]}, {took:.3f}s</title></rect>')
            if w > 7 * len(e["name"]):
                out.append(f'<text x="{x + 3:.1f}" y="{y + BAR_H - 1:.1f}" '
                           f'pointer-events="none">{escape(e["name"])}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _ticks(span: float) -> list[float]:
    """Four to ten round times (steps of 1, 2 or 5 times a power of ten) from 0 to `span`
    seconds."""
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [round(i * step, 6) for i in range(int(span / step + 1e-9) + 1)]
