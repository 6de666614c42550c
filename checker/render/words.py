"""How one value, one change and what a property read are written, in every text output.

A change reads as the edit it was: a field from one value to another, a map entry
added or removed, a set that gained or lost members. Values in a step may be cut to
keep the step on one line; what a property read never is, since it is the evidence
for the violation.
"""

from __future__ import annotations

from typing import Any

from lifecheck.result import ABSENT, MEMBERS, Change, TraceStep


def value(v: Any, limit: int | None = None) -> str:
    """``repr(v)``, cut to ``limit`` characters when one is given."""
    text = repr(v)
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 3] + "..."


def change(c: Change, limit: int | None = None) -> str:
    """``field: before -> after``; ``field: added v``; ``field: removed v``;
    ``field: added a, b; removed c`` for a set."""
    if c.kind == MEMBERS:
        parts = []
        for verb, members in (("added", c.after - c.before), ("removed", c.before - c.after)):
            if members:
                parts.append(f"{verb} " + ", ".join(value(m, limit) for m in _in_order(members)))
        return f"{c.field}: {'; '.join(parts)}"
    if c.before is ABSENT:
        return f"{c.field}: added {value(c.after, limit)}"
    if c.after is ABSENT:
        return f"{c.field}: removed {value(c.before, limit)}"
    return f"{c.field}: {value(c.before, limit)} -> {value(c.after, limit)}"


def step_changes(s: TraceStep, limit: int | None = None) -> list[str]:
    """A step's notes, then the changes they do not already tell."""
    return [*s.notes, *(change(c, limit) for c in s.changes if c.field not in s.noted)]


def seen(observed: list[tuple[str, Any]]) -> str:
    """What a property read, whole: ``broker1.phase='load', fs.files['/d/a']=(absent)``."""
    return ", ".join(f"{name}={value(v)}" for name, v in observed)


def _in_order(members: frozenset) -> list:
    """Sorted, as :class:`~lifecheck.result.Members` prints them, whatever the hash seed."""
    try:
        return sorted(members)
    except TypeError:
        return sorted(members, key=repr)
