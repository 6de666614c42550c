"""A counterexample as a sequence of messages between lanes: the data both renderers draw.

One lane per process, one per component the trace touches (its fields start with
the component's name: ``fs.tree[...]``), one per model-level field it touches
(``acked``, ``topic``), and ``env`` when the environment takes a step. A step is
an arrow from the lane that acted to each other lane it changed, labelled with
the step and what changed there; a step that changed only its own process is a
box on that lane. A message through a channel (see :mod:`.messages`) is an arrow
from its sender's lane to its receiver's, drawn at the step that takes it; the
step that sent it lists it in the sender's box (``→ peer2: 'a'``, ``×2`` when
the channel duplicated it, whose second copy's arrow says ``(the duplicate)``),
and a message the channel lost is an arrow that ends in a cross. The channel's
own lane is left out unless something else of it changed. A crash is a red box
on the crashed lane, a power loss a band across every lane, a failed call an
arrow marked ``!!``. For a lasso the steps
that repeat forever are framed as a loop, and the last row says what the violated
property saw. Built from a :class:`~lifecheck.result.Violation` alone, so it is
tested on traces written by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lifecheck.diagrams.messages import (
    DROPPED,
    LOST,
    SENT,
    TAKEN,
    Message,
    channels,
    is_channel_field,
    mark_duplicates,
    message_events,
)
from lifecheck.render.story import tell
from lifecheck.result import Change, Trace, TraceStep, Violation

PROCESS = "process"
COMPONENT = "component"
FIELD = "field"
ENV = "env"

# Styles of a row.
ACTION = "action"
FAILED = "failed"
CRASH = "crash"
POWER_LOSS = "power loss"
RAISED = "raised"
VERDICT = "verdict"
STUTTER = "stutter"
MESSAGE = "message"
LOST_MESSAGE = "lost message"

MAX_VALUE = 32
LINE_WIDTH = 56
MAX_CHANGES = 3
BOX_WIDTH = 40
VERDICT_WIDTH = 40  # a Mermaid note over two lanes does not grow to fit a longer line


@dataclass(frozen=True)
class Lane:
    name: str
    kind: str  # PROCESS, COMPONENT, FIELD or ENV


@dataclass(frozen=True)
class Arrow:
    """From one lane to another: the first line of the first arrow of a step names the step."""

    source: str
    target: str
    lines: tuple[str, ...]
    style: str = ACTION


@dataclass(frozen=True)
class Box:
    """A box over one lane, or across ``lanes`` (first to last, in lane order)."""

    lanes: tuple[str, ...]
    lines: tuple[str, ...]
    style: str = ACTION


@dataclass(frozen=True)
class Row:
    """What one step draws: its arrows and boxes, in order."""

    step: int | None
    items: tuple[Arrow | Box, ...]


@dataclass
class SequenceDiagram:
    title: str
    lanes: list[Lane]
    rows: list[Row] = field(default_factory=list)
    loop_from: int | None = None  # index into rows where the forever-repeating part starts
    loop_text: str = ""

    def lane_names(self) -> list[str]:
        return [lane.name for lane in self.lanes]


def sequence_diagram(v: Violation, processes: Sequence[str], components: Sequence[str],
                     title: str = "") -> SequenceDiagram:
    """The sequence diagram of one violation's counterexample (which must have a trace)."""
    if v.trace is None:
        raise ValueError(f"{v.property} has no counterexample trace to draw")
    return path_diagram(v.trace, processes, components, title or f"{v.property}: counterexample",
                        verdict=tell(v)[-1])


def path_diagram(trace: Trace, processes: Sequence[str], components: Sequence[str], title: str,
                 verdict: str = "") -> SequenceDiagram:
    """The sequence diagram of any path (``lifecheck explore`` draws the one walked so far);
    ``verdict``, when given, is the closing line across every lane."""
    route = _Router(processes, components)
    nets = channels(trace.initial, components)
    states = trace.states
    found, kept_changes = [], []  # per step: its message events, its changes but the channels'
    for i, s in enumerate(trace.steps):
        before = states[i]
        readable = before is not None and s.state is not None  # a hand-written trace may have no states
        found.append(message_events(before, s, nets) if readable and before is not None else [])
        kept_changes.append([c for c in s.changes if not (readable and is_channel_field(c.field, nets))])
    steps = list(zip(trace.steps, kept_changes, mark_duplicates(found), strict=True))
    lanes_of = set(processes) | set(components)
    touched = {route.lane(c.field)[0] for _, kept, _ in steps for c in kept}
    for _, _, events in steps:
        for m in events:
            touched.update(_endpoint(name, m, lanes_of) for name in (m.sender, m.receiver))
    lanes = []
    if any(s.process is None and not _is_fault(s) for s in trace.steps):
        lanes.append(Lane("env", ENV))
    lanes += [Lane(p, PROCESS) for p in processes]
    lanes += [Lane(c, COMPONENT) for c in components if c in touched]
    fields = []
    for _, kept, _ in steps:
        for c in kept:
            lane, kind = route.lane(c.field)
            if kind == FIELD and lane not in fields:
                fields.append(lane)
    lanes += [Lane(f, FIELD) for f in fields]
    if not lanes:
        lanes.append(Lane("env", ENV))  # a model of environment steps alone
    diagram = SequenceDiagram(title, lanes)
    order = {lane.name: i for i, lane in enumerate(lanes)}
    names = set(order)
    for s, kept, events in steps:
        if trace.loop_start is not None and not trace.stutter and s.index == trace.loop_start + 1:
            diagram.loop_from = len(diagram.rows)
            diagram.loop_text = f"steps {s.index}-{len(trace.steps)} repeat forever"
        diagram.rows.append(_row(s, kept, [(m, _endpoint(m.sender, m, names), _endpoint(m.receiver, m, names))
                                           for m in events], route, order))
    everyone = (lanes[0].name, lanes[-1].name) if len(lanes) > 1 else (lanes[0].name,)
    if trace.stutter:
        diagram.rows.append(Row(None, (Box(everyone, ("then no fair step is enabled: it stays here "
                                                      "forever",), STUTTER),)))
    if verdict:
        diagram.rows.append(Row(None, (Box(everyone, tuple(_wrap(verdict, VERDICT_WIDTH)), VERDICT),)))
    return diagram


def _endpoint(name: str, m: Message, lanes: set[str]) -> str:
    """The lane of a channel's endpoint: its own, or the channel's for one that is no lane
    (an agent inside a process, named freely)."""
    return name if name in lanes else m.channel


class _Router:
    """Which lane a changed field belongs to, and how it reads inside that lane."""

    def __init__(self, processes: Sequence[str], components: Sequence[str]) -> None:
        # Longest names first, so that a process "fs1" is never taken for component "fs".
        self.owners = sorted([(p, PROCESS) for p in processes] + [(c, COMPONENT) for c in components],
                             key=lambda o: -len(o[0]))

    def lane(self, field_name: str) -> tuple[str, str]:
        for name, kind in self.owners:
            if field_name.startswith(name + "."):
                return name, kind
        return re.split(r"[.\[]", field_name, maxsplit=1)[0], FIELD

    def local(self, field_name: str) -> str:
        """The field's name as read inside its lane: ``fs.tree['/a']`` -> ``tree['/a']``."""
        lane, kind = self.lane(field_name)
        return field_name if kind == FIELD else field_name[len(lane) + 1:]


def _is_fault(s: TraceStep) -> bool:
    return bool(s.fault) and s.action == s.fault


def _row(s: TraceStep, kept: list[Change], events: list[tuple[Message, str, str]], route: _Router,
         order: dict[str, int]) -> Row:
    actor = s.process or "env"
    by_lane: dict[str, list[Change]] = {}
    for c in kept:
        by_lane.setdefault(route.lane(c.field)[0], []).append(c)
    own = by_lane.pop(actor, [])
    others = sorted(by_lane.items(), key=lambda kv: order.get(kv[0], len(order)))
    head = f"{s.index} {s.label}"
    if s.failure:
        lines = (*_wrap(head, BOX_WIDTH), *_wrap(f"raises {s.failure}", BOX_WIDTH))
        return Row(s.index, (Box((actor,), lines, RAISED),))
    if _is_fault(s):
        return _fault_row(s, route, actor, own, others, order, events)
    style = FAILED if s.fault else ACTION
    if s.fault:
        head += " !!" if s.fault in s.label else f" !! {s.fault} fails"
    sent = [_sent_line(m, receiver, actor) for m, _, receiver in events if m.event == SENT]
    mine = [*_changes(own, route), *sent]
    arrows: list[tuple[str, str, list[str], str]] = [
        (sender, receiver, [_taken_text(m)] if m.event == TAKEN else [f"{m.text} lost"],
         MESSAGE if m.event == TAKEN else LOST_MESSAGE)
        for m, sender, receiver in events if m.event in (TAKEN, LOST)]
    mine += [f"drops {m.text} from {m.sender} to {m.receiver}" for m, _, _ in events if m.event == DROPPED]
    arrows += [(actor, lane, _changes(changes, route, wrap=False), style) for lane, changes in others]
    if not arrows:
        return Row(s.index, (Box((actor,), (*_wrap(head, BOX_WIDTH), *(mine or ["(no change)"])), style),))
    items: list[Arrow | Box] = []
    for i, (source, target, lines, kind) in enumerate(arrows):
        items.append(Arrow(source, target, (head, *lines) if i == 0 else tuple(lines), kind))
    if mine:
        items.append(Box((actor,), tuple(mine), "state"))
    return Row(s.index, tuple(items))


def _taken_text(m: Message) -> str:
    return f"{m.text} (the duplicate)" if m.duplicate else m.text


def _sent_line(m: Message, receiver: str, actor: str) -> str:
    """``→ peer2: 'a'`` for the actor's own message, ``peer1 → peer2: END`` for another's."""
    to = m.receiver if receiver == m.receiver else f"{m.receiver} (in {receiver})"
    by = "" if m.sender == actor else f"{m.sender} "
    return f"{by}→ {to}: {m.text}" + (" ×2 (duplicated)" if m.copies > 1 else "")


def _fault_row(s: TraceStep, route: _Router, actor: str, own: list[Change],
               others: list[tuple[str, list[Change]]], order: dict[str, int],
               events: Sequence[tuple[Message, str, str]] = ()) -> Row:
    if s.process is None:  # a power loss: everything at once
        lanes = [name for name in order if name != "env"]
        # A power loss's label lists what it kept and lost: wrapped, or it sets the width.
        text = _wrap(f"{s.index} !! {s.label.replace('_', ' ')}", LINE_WIDTH)
        kept = [*own, *(c for _, changes in others for c in changes)]
        grouped = _group(kept, route)
        for lane, changes in sorted(grouped.items(), key=lambda kv: order[kv[0]]):
            # A change broken before its arrow continues on the next line, unprefixed.
            text += [line if line.startswith("    ") else f"{lane}: {line}"
                     for line in _changes(changes, route)]
        text += _dropped(events)
        return Row(s.index, (Box((lanes[0], lanes[-1]), tuple(text), POWER_LOSS),))
    # The verb says what a stop or a pause did to the status; the rest is what it forgot.
    forgets = [f"{route.local(c.field)}={_value(c.before)}" for c in own
               if c.field != actor + ".status" or s.action == "crash"]
    lines = [{"stop": f"✗ {s.index} {actor} stops for good",
              "pause": f"‖ {s.index} {actor} pauses"}.get(s.action, f"✗ {s.index} {actor} crashes")]
    if forgets:
        lines += _wrap("forgets " + ", ".join(forgets[:MAX_CHANGES])
                       + (f" and {len(forgets) - MAX_CHANGES} more" if len(forgets) > MAX_CHANGES else ""),
                       BOX_WIDTH)
    lines += _dropped(events)
    items: list[Arrow | Box] = [Box((actor,), tuple(lines), CRASH)]
    for lane, changes in others:
        items.append(Arrow(actor, lane, tuple(_changes(changes, route, wrap=False)), CRASH))
    return Row(s.index, tuple(items))


def _dropped(events: Sequence[tuple[Message, str, str]]) -> list[str]:
    """What a fault took out of the channels: one line per stream, messages whole."""
    streams: dict[tuple[str, str], list[str]] = {}
    for m, _, _ in events:
        if m.event == DROPPED:
            streams.setdefault((m.sender, m.receiver), []).append(m.text)
    return [line for (a, b), texts in streams.items()
            for line in _wrap(f"in flight {a} → {b} lost: {', '.join(texts)}", BOX_WIDTH)]


def _group(changes: Sequence[Change], route: _Router) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {}
    for c in changes:
        out.setdefault(route.lane(c.field)[0], []).append(c)
    return out


def _changes(changes: Sequence[Change], route: _Router, wrap: bool = True) -> list[str]:
    """One short line per change; in a box, a line that is still too long breaks before its arrow.

    ``key: before → after`` when it fits in :data:`LINE_WIDTH`, else ``key → after``, else
    the key cut in the middle: the step table beside the diagram has every value in full.
    """
    lines: list[str] = []
    for c in changes[:MAX_CHANGES]:
        key, before, after = route.local(c.field), _value(c.before), _value(c.after)
        if len(key) + len(before) + len(after) + 5 <= LINE_WIDTH:
            first, rest = f"{key}: {before}", f"→ {after}"
        else:
            first, rest = _middle(key, max(LINE_WIDTH - len(after) - 3, 14)), f"→ {after}"
        if not wrap or len(first) + 1 + len(rest) <= BOX_WIDTH:
            lines.append(f"{first} {rest}")
        else:
            lines += [first, "    " + rest]
    if len(changes) > MAX_CHANGES:
        lines.append(f"and {len(changes) - MAX_CHANGES} more")
    return lines


def _middle(text: str, width: int) -> str:
    """Cut from the middle: a map key's start and end (``queues[('a', 'b')]``) say the most."""
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: keep - keep // 2] + "…" + text[len(text) - keep // 2:]


def _value(value: Any) -> str:
    return _cut(repr(value), MAX_VALUE)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, width: int) -> list[str]:
    """Words into lines of at most ``width`` characters (a longer word stays whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines or [""]
