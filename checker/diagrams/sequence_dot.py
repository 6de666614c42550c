"""A sequence diagram as DOT with every node placed by hand, for SVG through graphviz.

dot's own layout moves nodes sideways to make room for labels, which bends the
lanes of a sequence diagram; so this module computes the positions itself
(lanes as columns wide enough for the widest text that touches them, one slot
per arrow or box, top to bottom) and graphviz only draws (``neato -n2``). Text
widths are estimated from character counts with a generous factor, so labels
may leave some slack but do not run into the next lane.
"""

from __future__ import annotations

from lifecheck.diagrams import dot
from lifecheck.diagrams.sequence import (
    ACTION,
    COMPONENT,
    CRASH,
    ENV,
    FAILED,
    FIELD,
    LOST_MESSAGE,
    MESSAGE,
    POWER_LOSS,
    RAISED,
    STUTTER,
    VERDICT,
    Arrow,
    SequenceDiagram,
)

FONT_SIZE = 12
HEAD_FONT_SIZE = 13
CHAR = 0.62  # estimated width of a character, in ems (DejaVu Sans, the diagrams' font)
LINE = FONT_SIZE * 1.3
MARGIN = 16.0
SLOT_GAP = 8.0
MIN_GAP = 90.0

HEAD_FILL = {ENV: "#ffffff", COMPONENT: "#eceff1", FIELD: "#fff8e1"}
BOX = {
    ACTION: ("#37474f", "#eef3f8"),
    FAILED: (dot.FAILED_CALL, "#fff3e0"),
    CRASH: (dot.CRASH, dot.BAD_FILL),
    POWER_LOSS: (dot.POWER_LOSS, "#f3e5f5"),
    RAISED: (dot.FAILED_CALL, "#fff3e0"),
    VERDICT: (dot.CRASH, "#ffffff"),
    STUTTER: ("#37474f", "#ffffff"),
    "state": ("#90a4ae", "#fafafa"),
}
ARROW = {
    ACTION: {"color": dot.ACTION},
    FAILED: {"color": dot.FAILED_CALL, "arrowhead": "tee"},
    CRASH: {"color": dot.CRASH, "style": "dashed"},
    MESSAGE: {"color": dot.ACTION, "penwidth": "1.4"},
    LOST_MESSAGE: {"color": dot.CRASH, "style": "dashed", "arrowhead": "none"},  # ends in a ✗ node
}


def _width(lines: tuple[str, ...] | list[str], size: float = FONT_SIZE) -> float:
    return max((len(x) for x in lines), default=0) * size * CHAR


def _height(lines: tuple[str, ...] | list[str]) -> float:
    return len(lines) * LINE


class _Layout:
    """Lane positions and the vertical slot of every arrow and box."""

    def __init__(self, diagram: SequenceDiagram) -> None:
        self.names = diagram.lane_names()
        self.index = {name: i for i, name in enumerate(self.names)}
        n = len(self.names)
        self.head_w = [_width([name], HEAD_FONT_SIZE) + 24 for name in self.names]
        self.gaps = [max(MIN_GAP, (self.head_w[i] + self.head_w[i + 1]) / 2 + 24) for i in range(n - 1)]
        self.left = self.head_w[0] / 2 + MARGIN
        self.right = self.head_w[-1] / 2 + MARGIN
        widest = 0.0  # an arrow's text may cross lifelines (it has a white background), not the edge
        for row in diagram.rows:
            for item in row.items:
                if isinstance(item, Arrow):
                    widest = max(widest, _width(item.lines) + 16)
                elif len(item.lanes) == 1:
                    self._fit_box(self.index[item.lanes[0]], _width(item.lines) + 28)
                else:
                    widest = max(widest, _width(item.lines) + 28)
        self.x = [self.left]
        for gap in self.gaps:
            self.x.append(self.x[-1] + gap)
        self.width = max(self.x[-1] + self.right, widest + 2 * MARGIN)

    def text_x(self, xa: float, xb: float, width: float) -> float:
        """Where to centre an arrow's text: over the arrow, but inside the diagram."""
        half = width / 2 + 4
        return min(max((xa + xb) / 2, half), self.width - half)

    def _fit_box(self, i: int, width: float) -> None:
        """A box on lane i must not cross the neighbouring lifelines."""
        half = width / 2 + 10
        if i > 0:
            self.gaps[i - 1] = max(self.gaps[i - 1], half + 10)
        else:
            self.left = max(self.left, half + MARGIN)
        if i < len(self.gaps):
            self.gaps[i] = max(self.gaps[i], half + 10)
        else:
            self.right = max(self.right, half + MARGIN)


def sequence_dot(diagram: SequenceDiagram) -> str:
    """DOT for the diagram; render with ``render_svg(..., engine="neato", positioned=True)``."""
    layout = _Layout(diagram)
    g = dot.digraph("sequence", engine="neato", outputorder="edgesfirst", splines="line",
                    label=dot.escape(diagram.title), labelloc="t", fontsize="15")
    g.attr("node", fontsize=str(FONT_SIZE))
    g.attr("edge", fontsize=str(FONT_SIZE))
    y = 0.0  # distance from the top, in points; flipped at the end (graphviz's y grows upwards)
    placed: list[tuple[str, float, float, dict[str, str]]] = []  # (id, x, y down, attrs)
    edges: list[tuple[str, str, dict[str, str]]] = []
    head_h = LINE + 16
    for i, lane in enumerate(diagram.lanes):
        fill = HEAD_FILL.get(lane.kind, dot.NODE_FILL)
        style = "rounded,filled,dashed" if lane.kind == ENV else "rounded,filled"
        placed.append((f"head{i}", layout.x[i], head_h / 2, {
            "label": dot.escape(lane.name), "shape": "box", "style": style, "fillcolor": fill,
            "fontsize": str(HEAD_FONT_SIZE), "width": f"{layout.head_w[i] / 72:.2f}",
            "height": f"{head_h / 72:.2f}", "fixedsize": "true"}))
    y = head_h + 14
    loop_top = loop_bottom = None
    last_step = max((i for i, row in enumerate(diagram.rows) if row.step is not None), default=-1)
    n = 0
    for r, row in enumerate(diagram.rows):
        if r == diagram.loop_from:
            loop_top = y
            y += LINE + 6
        for item in row.items:
            n += 1
            if isinstance(item, Arrow):
                xa, xb = layout.x[layout.index[item.source]], layout.x[layout.index[item.target]]
                text_h = _height(item.lines)
                placed.append((f"t{n}", layout.text_x(xa, xb, _width(item.lines)), y + text_h / 2, {
                    "label": dot.lines(*item.lines), "shape": "box", "style": "filled",
                    "color": "white", "fillcolor": "white",
                    "fontcolor": ARROW.get(item.style, ARROW[ACTION])["color"],
                    "width": "0.1", "height": "0.1", "margin": "0"}))
                y += text_h + 4
                placed.append((f"a{n}", xa, y, {"shape": "point", "width": "0.04", "style": "invis"}))
                if item.style == LOST_MESSAGE:  # the arrow ends in a cross short of the receiver
                    xb = xa + (xb - xa) * 0.8
                    placed.append((f"x{n}", xb, y, {
                        "label": "✗", "shape": "plaintext", "fontcolor": dot.CRASH, "fontsize": "16",
                        "width": "0.1", "height": "0.1", "margin": "0"}))
                placed.append((f"b{n}", xb, y, {"shape": "point", "width": "0.04", "style": "invis"}))
                edges.append((f"a{n}", f"b{n}", dict(ARROW.get(item.style, ARROW[ACTION]))))
                y += SLOT_GAP + 4
            else:
                lanes = [layout.index[name] for name in item.lanes]
                xa, xb = layout.x[lanes[0]], layout.x[lanes[-1]]
                h = _height(item.lines) + 12
                w = max(_width(item.lines) + 28, xb - xa + 40) if len(lanes) > 1 else _width(item.lines) + 28
                color, fill = BOX.get(item.style, BOX[ACTION])
                shape_style = "rounded,filled" if item.style != "state" else "filled"
                x = layout.text_x(xa, xb, w) if len(lanes) > 1 else xa
                placed.append((f"n{n}", x, y + h / 2, {
                    "label": dot.lines(*item.lines), "shape": "box", "style": shape_style,
                    "color": color, "fontcolor": color if item.style != "state" else "#37474f",
                    "fillcolor": fill, "width": f"{w / 72:.2f}", "height": f"{h / 72:.2f}",
                    "fixedsize": "true", "penwidth": "1.6" if item.style in (CRASH, VERDICT) else "1"}))
                y += h + SLOT_GAP
        if loop_top is not None and r == last_step:
            loop_bottom = y
            y += 6
    bottom = y + 6
    for i in range(len(diagram.lanes)):
        placed.append((f"foot{i}", layout.x[i], bottom,
                       {"shape": "point", "width": "0.01", "style": "invis"}))
        edges.insert(0, (f"head{i}", f"foot{i}",
                         {"style": "dashed", "color": "#b0bec5", "arrowhead": "none"}))
    if loop_top is not None and loop_bottom is not None:
        w, h = layout.width - 2 * 6, loop_bottom - loop_top
        placed.insert(0, ("loop", layout.width / 2, loop_top + h / 2, {
            "label": "", "shape": "box", "style": "dashed", "color": dot.HIGHLIGHT,
            "width": f"{w / 72:.2f}", "height": f"{h / 72:.2f}", "fixedsize": "true"}))
        text = f"loop: {diagram.loop_text}"
        placed.append(("looplabel", 12 + _width([text]) / 2, loop_top + LINE / 2 + 3, {
            "label": dot.escape(text), "shape": "plaintext", "fontcolor": dot.HIGHLIGHT,
            "width": "0.1", "height": "0.1", "margin": "0"}))
    height = bottom + 4
    for node_id, x, y_down, attrs in placed:
        g.node(node_id, pos=f"{x:.1f},{height - y_down:.1f}!", **attrs)
    for a, b, attrs in edges:
        g.edge(a, b, **attrs)
    return dot.source(g)
