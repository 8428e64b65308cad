"""A layered (Sugiyama) layout of a graph, left to right, for the pictures `dag --format svg`
and the HTML report draw: grandalf places the boxes and routes the edges around them, so
that no Graphviz needs to be installed.

Each weakly connected part is laid out on its own and the parts are stacked top to bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]

GAP = 40.0  # between layers, and between stacked parts
SPACE = 14.0  # between boxes of one layer


@dataclass
class Box:
    x: float  # left
    y: float  # top
    w: float
    h: float


@dataclass
class Layout:
    boxes: dict[str, Box]  # by node name
    paths: dict[tuple[str, str], list[Point]]  # by (source, target): from box to box
    width: float
    height: float


class _View:
    """What grandalf asks of a vertex: its size; it sets the centre `xy`. The layout runs
    top to bottom, so a box's width is given as its height, and turned afterwards."""

    def __init__(self, w: float, h: float):
        self.w, self.h = h, w
        self.xy: Point = (0.0, 0.0)


class _EdgeView:
    def __init__(self) -> None:
        self.points: list[Point] = []

    def setpath(self, points: list[Point]) -> None:
        self.points = points


def layered(names: list[str], sizes: dict[str, tuple[float, float]],
            pairs: list[tuple[str, str]]) -> Layout:
    """Boxes of `sizes[name]` (width, height) for `names`, and a path per pair in `pairs`
    (distinct (upstream, downstream) names), flowing left to right."""
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    vertices = {name: Vertex(name) for name in names}
    for name, v in vertices.items():
        v.view = _View(*sizes[name])
    edges = []
    for a, b in pairs:
        e = Edge(vertices[a], vertices[b])
        e.view = _EdgeView()
        edges.append(e)
    graph = Graph(list(vertices.values()), edges)
    boxes: dict[str, Box] = {}
    paths: dict[tuple[str, str], list[Point]] = {}
    top = width = 0.0
    for part in graph.C:
        sug = SugiyamaLayout(part)
        sug.xspace, sug.yspace = SPACE, GAP
        sug.init_all()
        sug.draw()
        # turned: grandalf's y (the layer) is our x, its x our y
        placed = {v.data: (v.view.xy[1], v.view.xy[0], v.view.h, v.view.w) for v in part.sV}
        left = min(cx - w / 2 for cx, _, w, _ in placed.values())
        upper = min(cy - h / 2 for _, cy, _, h in placed.values())
        for name, (cx, cy, w, h) in placed.items():
            box = Box(cx - w / 2 - left, cy - h / 2 - upper + top, w, h)
            boxes[name] = box
            width = max(width, box.x + w)
        for e in part.sE:
            a, b = e.v[0].data, e.v[1].data
            points = [(py - left, px - upper + top) for px, py in e.view.points]
            paths[(a, b)] = _between(boxes[a], boxes[b], points)
        top = max(b.y + b.h for b in (boxes[n] for n in placed)) + GAP
    return Layout(boxes, paths, width, max(top - GAP, 0.0))


def _between(source: Box, target: Box, points: list[Point]) -> list[Point]:
    """The path from the right side of `source` to the left side of `target`, through the
    bends grandalf routed between the layers."""
    middle = points[1:-1]
    return [(source.x + source.w, source.y + source.h / 2), *middle,
            (target.x, target.y + target.h / 2)]
