"""A compiled model's states, steps and property reads as a person reads them in a trace.

The state holds what the checker needs: a file system keeps inodes, a journal of
unsynced operations and a copy of the disk. A designer reading a counterexample
thinks in files and their contents, and wants the journal only where it explains a
step (what a power loss kept, what an fsync made durable). Each component says this
itself (:meth:`~lifecheck.Component.trace_view`, :meth:`~lifecheck.Component.explain`,
:meth:`~lifecheck.Component.trace_reads`); this module asks every component of a
state. What a property read is logged entry by entry for maps, so that the "it
sees" line can show the entries that decide the violation, whole, rather than a
whole table cut at some width.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecheck.contract import Step
from lifecheck.modelling.model import entries_read
from lifecheck.modelling.runtime import _ACTIVE
from lifecheck.modelling.views import WHOLE, LoggedState

if TYPE_CHECKING:
    from lifecheck.modelling.compile import ModelSystem
    from lifecheck.modelling.views import Part

def show(system: ModelSystem, state: tuple) -> dict[str, Any]:
    """Every part's fields by name, each component's as its :meth:`trace_view` gives them."""
    out: dict[str, Any] = {}
    for part in system.holder_parts:
        fields = _fields(part, state)
        component = system.component_at.get(part.index)
        if component is not None:
            fields = component.trace_view(fields)
        out.update((part.prefix + name, v) for name, v in fields.items())
    return out


def explain(system: ModelSystem, before: tuple, after: tuple,
            step: Step) -> tuple[list[str], set[str]]:
    """What ``step`` did to each component it changed, in the component's words, and the
    shown names those words cover."""
    notes: list[str] = []
    covered: set[str] = set()
    for part in system.holder_parts:
        component = system.component_at.get(part.index)
        if component is None or before[part.index] == after[part.index]:
            continue
        said, names = component.explain(_fields(part, before), _fields(part, after), step.fault)
        notes.extend(f"{part.prefix[:-1]} {note}" for note in said)
        covered.update(part.prefix + name for name in names)
    return notes, covered


def observe(system: ModelSystem, check: Any, where: str, state: tuple) -> list[tuple[str, Any]]:
    """What ``check`` (a property's function of the model) read on ``state``.

    It runs on a state that logs every field read, and every key read from a map,
    so a counterexample can say what the property looked at without the hot path
    paying for any logging. Parts are listed in the order the property first read
    them; a component's reads are named as its :meth:`trace_reads` says.
    """
    order, reads = _reads(system, check, where, state)
    parts = {p.index: p for p in system.holder_parts}
    seen: list[tuple[str, Any]] = []
    told: set[int] = set()
    for index, name in order:
        part, component = parts[index], system.component_at.get(index)
        if component is None:
            found = entries_read(_fields(part, state), {name: reads[index][name]})
        elif index in told:  # a component's reads are told together, where it was first read
            continue
        else:
            told.add(index)
            found = component.trace_reads(_fields(part, state), reads[index])
        seen.extend((part.prefix + n, v) for n, v in found)
    return seen


def fields_read(system: ModelSystem, check: Any, where: str, state: tuple) -> list[str]:
    """The fields of the state itself that ``check`` read on ``state``, by name."""
    parts = {p.index: p for p in system.holder_parts}
    return [parts[index].prefix + name for index, name in _reads(system, check, where, state)[0]]


def _reads(system: ModelSystem, check: Any, where: str,
           state: tuple) -> tuple[list[tuple[int, str]], dict[int, dict[str, tuple | None]]]:
    """(part, field) in the order ``check`` first read them, and per part the keys it read
    of each field (None: the whole value)."""
    log: list[tuple[int, int]] = []
    keys: dict[tuple[int, int], dict] = {}
    ctx = system.observe_ctx
    ctx.parts = LoggedState(state, log, keys)
    ctx.readonly = True
    ctx.where = where
    _ACTIVE.append(ctx)
    try:
        check(system.observe_views.model)
    except Exception:
        pass  # whatever it read before failing is still worth showing
    finally:
        _ACTIVE.pop()
    parts = {p.index: p for p in system.holder_parts}
    reads: dict[int, dict[str, tuple | None]] = {}
    order: list[tuple[int, str]] = []  # (part, field) in the order first read
    for index, slot in log:
        part = parts.get(index)
        if part is not None:
            name = part.fields[slot].name
            read = keys.get((index, slot))
            fields_read = reads.setdefault(index, {})
            if name not in fields_read:
                order.append((index, name))
            fields_read[name] = None if not read or WHOLE in read else tuple(read)
    return order, reads


def _fields(part: Part, state: tuple) -> dict[str, Any]:
    values = state[part.index]
    return {f.name: values[slot] for slot, f in enumerate(part.fields)}
