"""Messages read off a counterexample: who sent what to whom, and when it was taken.

A channel (``lifecheck.components.channel.Channel``) keeps its messages in flight
as ``<channel>.queues``, a map from (sender, receiver) to the messages oldest
first, and its open streams as ``<channel>.streams``. A sequence diagram that
drew those fields would show every message as an arrow into a ``net`` lane; a
reader wants an arrow from the sender to the receiver. So a step's change to the
queues is read back as message events: what joined the end of a stream was sent,
what left its front in a step of its own was taken by the receiver, what left
several at once or in a crash was dropped. A lost message never reaches the
queues, so the channel says it in the step's label (see
:mod:`lifecheck.message_labels`) and the diagram reads it back from there. Only the shape of the state
is used: the diagrams never import a component.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lifecheck.message_labels import DUPLICATED
from lifecheck.message_labels import LOST as LOST_LABEL
from lifecheck.result import TraceStep

SENT = "sent"
TAKEN = "taken"
LOST = "lost"
DROPPED = "dropped"

@dataclass(frozen=True)
class Message:
    """One thing that happened to a message in one step."""

    channel: str
    sender: str
    receiver: str
    text: str  # the message as a reader sees it: its repr, or END
    event: str  # SENT, TAKEN, LOST or DROPPED
    copies: int = 1  # 2 for a message the channel duplicated
    duplicate: bool = False  # TAKEN: the second copy of a duplicated message


def channels(state: Mapping[str, Any], components: Sequence[str]) -> list[str]:
    """The components of a state shaped like a channel: maps ``queues`` and ``streams``."""
    return [c for c in components if all(isinstance(state.get(f"{c}.{part}"), Mapping)
                                         for part in ("queues", "streams"))]


def is_channel_field(field_name: str, names: Sequence[str]) -> bool:
    """Whether a changed field belongs to a channel's queues or streams (its messages say it)."""
    return any(field_name.startswith((f"{c}.queues", f"{c}.streams")) for c in names)


def message_events(before: Mapping[str, Any], step: TraceStep, names: Sequence[str]) -> list[Message]:
    """The message events of one step, from the states around it and its label."""
    after = step.state
    if after is None:
        return []
    out: list[Message] = []
    fault_step = bool(step.fault) and step.action == step.fault
    for c in names:
        old, new = before.get(f"{c}.queues"), after.get(f"{c}.queues")
        if not isinstance(old, Mapping) or not isinstance(new, Mapping):
            continue
        doubled = {(m["receiver"], m["message"]) for m in DUPLICATED.finditer(step.label)
                   if m["channel"] == c}
        for pair in sorted(set(old) | set(new), key=repr):
            a, b = tuple(old.get(pair, ())), tuple(new.get(pair, ()))
            if a == b:
                continue
            gone, joined = _split(a, b)
            sender, receiver = pair
            kind = TAKEN if len(gone) == 1 and not fault_step else DROPPED
            out += [Message(c, sender, receiver, _text(m), kind) for m in gone]
            i = 0
            while i < len(joined):
                m = joined[i]
                twice = (receiver, repr(m)) in doubled and joined[i:i + 2] == (m, m)
                out.append(Message(c, sender, receiver, _text(m), SENT, 2 if twice else 1))
                i += 2 if twice else 1
    for m in LOST_LABEL.finditer(step.label):
        if m["channel"] in names:
            out.append(Message(m["channel"], step.process or "env", m["receiver"], m["message"], LOST))
    return out


def mark_duplicates(steps: Sequence[list[Message]]) -> list[list[Message]]:
    """The events of a trace's steps, with the taking of each duplicated message's second copy
    marked, so that a diagram can say which arrow is the duplicate.

    Follows each stream as the events tell it: a send adds its copies at the end, a
    take or a drop removes the oldest.
    """
    flags: dict[tuple[str, str, str], list[bool]] = {}  # stream -> is-a-duplicate, oldest first
    out = []
    for events in steps:
        marked = []
        for m in events:
            stream = flags.setdefault((m.channel, m.sender, m.receiver), [])
            if m.event == SENT:
                stream += [False, True] if m.copies > 1 else [False]
            elif m.event in (TAKEN, DROPPED) and stream and stream.pop(0) and m.event == TAKEN:
                m = replace(m, duplicate=True)
            marked.append(m)
        out.append(marked)
    return out


def _split(a: tuple, b: tuple) -> tuple[tuple, tuple]:
    """What left the front of a stream and what joined its end, going from ``a`` to ``b``."""
    for k in range(len(a) + 1):
        rest = a[k:]
        if b[:len(rest)] == rest:
            return a[:k], b[len(rest):]
    return a, b


def _text(message: Any) -> str:
    return repr(message)
