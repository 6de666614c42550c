"""The reachable states of one spec, with its counterexamples highlighted.

A small graph (at most :data:`FULL_LIMIT` states) is drawn whole: one node per
state, one edge per transition. A node says its processes' control states and,
where several states share those, the fields (or map entries) that set them
apart, with their values whole: no two nodes read the same, so a reader can tell
the state where a violation shows from its neighbours by its text, not only by
its colour. A larger one is drawn as a quotient: states with
the same projection are one node, and an edge is drawn where some transition
leads from one class to another. By default the projection is the control state
of every process (see :mod:`.control`), the processes of a role counted rather
than named, and roles whose control state never changes left out; a spec may
choose its own with a ``projection`` attribute (a function from the state's named
fields to a label, or a list of field names). Transitions inside a class (steps
that change no control state) are left out unless a counterexample takes them,
and so are crashes and power losses: every class has them, the role machines
show them, and their fan would hide everything else. When even the quotient has more than
:data:`QUOTIENT_LIMIT` nodes nothing is drawn, and the reason is returned
instead: a hairball helps nobody, and the role machines still summarise it.

Counterexample paths are found by following each violation's replay key through
the recorded edges, so what is highlighted is exactly what the trace took.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lifecheck.diagrams import dot
from lifecheck.diagrams.control import ControlStates
from lifecheck.diagrams.explored import Edge, ExploredGraph, RoleInfo
from lifecheck.typed_values import same_typed
from lifecheck.values import FrozenMap

FULL_LIMIT = 30
QUOTIENT_LIMIT = 40
QUOTIENT_EDGE_LIMIT = 120
MAX_LABELS = 4
NODE_LINE = 44  # characters: a longer node line is wrapped (never cut: the values are the point)

ACTION, FAILED, CRASH, POWER_LOSS = "action", "failed call", "crash", "power loss"
STYLE = {
    ACTION: {"color": dot.ACTION, "fontcolor": dot.ACTION},
    FAILED: {"color": dot.FAILED_CALL, "fontcolor": dot.FAILED_CALL},
    CRASH: {"color": dot.CRASH, "fontcolor": dot.CRASH, "style": "dashed"},
    POWER_LOSS: {"color": dot.POWER_LOSS, "fontcolor": dot.POWER_LOSS, "style": "dashed"},
}

Projection = Callable[[dict[str, Any]], Hashable]


@dataclass(frozen=True)
class CounterexamplePath:
    """A counterexample as a walk through the graph: the replay key and where its loop starts."""

    property: str
    key: tuple[int, ...]
    loop_start: int | None = None  # steps[loop_start:] repeat (the last state closes the loop)


@dataclass
class Picture:
    """What to draw, already decided: nodes and edges with their labels and marks."""

    kind: str  # "full" or "quotient"
    nodes: list[tuple[str, list[str], set[str]]] = field(default_factory=list)  # id, lines, marks
    edges: list[tuple[str, str, str, list[str], bool]] = field(default_factory=list)
    states: int = 0
    note: str = ""


def _kind(e: Edge) -> str:
    if e.is_fault:
        return POWER_LOSS if e.process is None else CRASH
    return FAILED if e.failed_call else ACTION


def _edge_text(e: Edge) -> str:
    """The action and its parameter values, short: the nodes show who changed."""
    if e.is_fault:  # the edge's colour says crash or power loss, the nodes say whose
        return e.step.action if e.step.action in ("stop", "pause") else ""
    step = e.step
    text = step.action
    if step.params:
        text += "(" + ", ".join(v if isinstance(v, str) else repr(v) for _, v in step.params) + ")"
    return dot.shorten(text, 30) + (" !!" if e.failed_call else "")


def varying_roles(controls: ControlStates) -> list[RoleInfo]:
    """The roles whose control state changes somewhere in the graph (the others say nothing)."""
    graph = controls.graph
    out = [r for r in graph.roles
           if any(len({controls.of(p, sid) for sid in range(len(graph.states))}) > 1 for p in r.processes)]
    return out or graph.roles[:1]


def configuration_lines(controls: ControlStates, sid: int, *, counted: bool = True,
                        roles: Sequence[RoleInfo] | None = None) -> tuple[str, ...]:
    """A state's control states, one line per role (of ``roles``, by default all).

    The processes of a role are listed in order (``Broker: unpack, boot``) or, when
    ``counted``, counted: two states that differ only in which of two
    interchangeable processes is where then fall into one class, which keeps the
    quotient of a multi-process spec small.
    """
    lines = []
    for role in controls.graph.roles if roles is None else roles:
        labels = [controls.of(p, sid) for p in role.processes]
        if len(labels) == 1:
            lines.append(f"{role.processes[0]}: {labels[0]}")
        elif labels and not counted:
            lines.append(f"{role.process_class}: {', '.join(labels)}")
        elif labels:
            counts: dict[str, int] = {}
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
            parts = [f"{label} ×{n}" if n > 1 else label for label, n in sorted(counts.items())]
            lines.append(f"{role.process_class}: {', '.join(parts)}")
    return tuple(lines)


FAULTS_USED = "faults used"  # not a field name a model can declare: it has a space


def _entries(state: dict[str, Any], maps: set[str]) -> dict[str, Any]:
    """A state's fields, a field in ``maps`` as one entry per key (``fs.tree['/a']``)."""
    out: dict[str, Any] = {}
    for name, value in state.items():
        if name in maps:
            out.update((f"{name}[{k!r}]", v) for k, v in value.items())
            out.setdefault(name + "[", _MAP)  # keeps the map's place among the fields
        else:
            out[name] = value
    return out


_MAP = object()
_ABSENT = object()


def entry_lines(states: Sequence[dict[str, Any]], i: int) -> list[str]:
    """``name=value`` for each field or map entry whose value differs among ``states``, in states[i].

    Values are whole (``repr``, so that ``1`` and ``True`` or ``'1'`` read apart);
    an entry a map lacks in this state reads ``(absent)``.
    """
    maps = {name for name in states[0]
            if all(isinstance(s.get(name), FrozenMap) for s in states)}  # a map in every state
    entries = [_entries(s, maps) for s in states]
    names: dict[str, None] = {}
    for e in entries:
        names.update(dict.fromkeys(e))
    lines = []
    for name in names:
        if name.endswith("["):
            continue
        values = [e.get(name, _ABSENT) for e in entries]
        if all(same_typed(values[0], v) for v in values[1:]):
            continue
        mine = values[i]
        lines.append(f"{name} (absent)" if mine is _ABSENT else f"{name}={mine!r}")
    return lines


def state_picture(controls: ControlStates, paths: Sequence[CounterexamplePath], *,
                  projection: Projection | None = None, whole: bool = True) -> Picture:
    """Decide what to draw for one spec's graph (a Picture with no nodes says why in ``note``).

    ``whole=False`` asks for the quotient even of a small graph: the drawing to
    fall back on when the whole one is too wide to read.
    """
    graph = controls.graph
    n = len(graph.states)
    on_path: set[tuple[int, int]] = set()
    path_states: set[int] = set()
    ends: set[int] = set()
    for p in paths:
        walk = graph.follow(p.key)
        path_states.update(walk)
        if walk:
            ends.add(walk[-1])
        for i in range(1, len(walk)):
            on_path.add((walk[i - 1], p.key[i]))
    if whole and n <= FULL_LIMIT and projection is None:
        return _full(controls, on_path, path_states, ends)
    return _quotient(controls, on_path, path_states, ends, projection)


def _full(controls: ControlStates, on_path: set[tuple[int, int]], path_states: set[int],
          ends: set[int]) -> Picture:
    graph = controls.graph
    pic = Picture("full", states=len(graph.states))
    roles = varying_roles(controls)
    initial = set(graph.initial.values())
    alike: dict[tuple[str, ...], list[int]] = {}
    for sid in range(len(graph.states)):
        alike.setdefault(configuration_lines(controls, sid, counted=False, roles=roles), []).append(sid)
    for config, sids in alike.items():
        shared = [_with_faults(graph, sid) for sid in sids]
        for i, sid in enumerate(sids):
            lines = [*config, *(entry_lines(shared, i) if len(sids) > 1 else [])]
            pic.nodes.append((f"s{sid}", lines, _marks(sid, initial, path_states, ends)))
    pic.nodes.sort(key=lambda node: int(node[0][1:]))
    for e in graph.edges:
        text = _edge_text(e)
        pic.edges.append((f"s{e.source}", f"s{e.target}", _kind(e), [text] if text else [],
                          (e.source, e.index) in on_path))
    return pic


def _quotient(controls: ControlStates, on_path: set[tuple[int, int]], path_states: set[int],
              ends: set[int], projection: Projection | None) -> Picture:
    graph = controls.graph
    if projection is None:
        roles = varying_roles(controls)

        def classify(sid: int) -> Hashable:
            return configuration_lines(controls, sid, roles=roles)
    else:
        def classify(sid: int) -> Hashable:
            return projection(graph.states[sid])
    classes: dict[Hashable, str] = {}
    of: list[str] = []
    for sid in range(len(graph.states)):
        key = classify(sid)
        if key not in classes:
            classes[key] = f"c{len(classes)}"
        of.append(classes[key])
    pic = Picture("quotient", states=len(graph.states))
    if len(classes) > QUOTIENT_LIMIT:
        pic.note = (f"{len(graph.states):,} states in {len(classes)} classes of control states: "
                    f"more than {QUOTIENT_LIMIT}, not drawn")
        return pic
    initial = {of[s] for s in graph.initial.values()}
    bad = {of[s] for s in ends}
    hot = {of[s] for s in path_states}
    for key, cid in classes.items():
        lines = list(key) if isinstance(key, tuple) else [str(key)]
        marks = {m for m, on in (("initial", cid in initial), ("path", cid in hot), ("end", cid in bad))
                 if on}
        pic.nodes.append((cid, [str(x) for x in lines], marks))
    grouped: dict[tuple[str, str, str], tuple[list[str], bool]] = {}
    for e in graph.edges:
        a, b = of[e.source], of[e.target]
        hot_edge = (e.source, e.index) in on_path
        if (a == b or e.is_fault) and not hot_edge:
            continue  # steps within a class, and the fan of crashes every class has: see the note
        labels, was_hot = grouped.setdefault((a, b, _kind(e)), ([], False))
        text = _edge_text(e)
        if text and text not in labels:
            labels.append(text)
        grouped[(a, b, _kind(e))] = (labels, was_hot or hot_edge)
    if len(grouped) > QUOTIENT_EDGE_LIMIT:
        pic.nodes = []
        pic.note = (f"{len(graph.states):,} states in {len(classes)} classes with {len(grouped)} edges "
                    f"between them: more than {QUOTIENT_EDGE_LIMIT}, not drawn")
        return pic
    for (a, b, kind), (labels, hot_edge) in grouped.items():
        shown = labels[:MAX_LABELS] + ([f"and {len(labels) - MAX_LABELS} more"]
                                       if len(labels) > MAX_LABELS else [])
        pic.edges.append((a, b, kind, shown, hot_edge))
    return pic


def _with_faults(graph: ExploredGraph, sid: int) -> dict[str, Any]:
    """A state's fields and, as one more map, the faults spent to reach it."""
    state = graph.states[sid]
    if not graph.faults_used:
        return state
    return {**state, FAULTS_USED: FrozenMap(graph.faults_used[sid])}


def _marks(sid: int, initial: set[int], path_states: set[int], ends: set[int]) -> set[str]:
    return {m for m, on in (("initial", sid in initial), ("path", sid in path_states),
                            ("end", sid in ends)) if on}


def picture_dot(pic: Picture, title: str) -> str:
    """DOT for a picture: the counterexample path thick and blue, its last state red."""
    g = dot.digraph("states", rankdir="TB", nodesep="0.15", ranksep="0.4", label=dot.escape(title),
                    labelloc="t")
    g.attr("node", shape="box", style="rounded,filled", fillcolor=dot.NODE_FILL, fontsize="12",
           margin="0.1,0.04")
    g.attr("edge", fontsize="11")
    for node_id, lines, marks in pic.nodes:
        attrs: dict[str, str] = {}
        if "initial" in marks:
            attrs["fillcolor"] = dot.INITIAL_FILL
        if "path" in marks:
            attrs.update(color=dot.HIGHLIGHT, penwidth="2.4")
        if "end" in marks:
            attrs.update(fillcolor=dot.BAD_FILL, color=dot.CRASH, penwidth="2.4")
        g.node(node_id, dot.lines(*(part for x in lines for part in wrap_whole(x, NODE_LINE))), **attrs)
    for a, b, kind, labels, hot in pic.edges:
        attrs = dict(STYLE[kind])
        if kind in (CRASH, POWER_LOSS) and not hot:
            attrs["constraint"] = "false"
        if hot:
            attrs.update(color=dot.HIGHLIGHT, penwidth="2.6", fontcolor=dot.HIGHLIGHT)
        # A space before each line keeps the text off a thick edge drawn straight down.
        g.edge(a, b, label=dot.lines(*(f" {x}" for x in labels)) if labels else "", **attrs)
    return dot.source(g)


def wrap_whole(text: str, width: int) -> list[str]:
    """A line broken after ``, `` or before ``=`` where it passes ``width``; nothing is cut.

    A long value (a file's contents, a queue) stays whole over several lines, each
    but the first indented, so that the node stays narrow enough to read.
    """
    lines: list[str] = []
    rest = text
    while len(rest) > width:
        cut = max(rest.rfind(", ", 0, width) + 2, rest.rfind("=", 0, width))
        if cut <= 2:
            cut = width  # no place to break: break anywhere, still keeping every character
        lines.append(rest[:cut].rstrip())
        rest = "  " + rest[cut:].lstrip()
    return [*lines, rest]
