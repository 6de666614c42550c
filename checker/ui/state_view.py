"""A state as the model declared it: per holder (the model, each component, each process),
each field with its durability, its value as text and as typed data, and the fault budgets.

Traces print a state as one flat line of ``broker1.phase='boot'`` pairs; a designer
walking a state space wants the shape of the model instead, so that what a crash
keeps (durable) and loses (volatile) is visible at a glance. The layout is read off a
compiled model (:class:`~lifecheck.modelling.compile.ModelSystem`); any other
transition system is shown through its ``describe`` as one holder.
"""

from __future__ import annotations

from typing import Any

from lifecheck.contract import TransitionSystem
from lifecheck.encoding import to_data
from lifecheck.modelling.compile import ModelSystem
from lifecheck.modelling.fields import DURABLE
from lifecheck.modelling.views import MODEL
from lifecheck.typed_values import same_typed

#: The kinds of holder, in the order the page shows them.
MODEL_HOLDER, COMPONENT, PROCESS = "model", "component", "process"
#: A field's durability as the page shows it: a crash keeps it, loses it, or it is the
#: process's running/paused/stopped status the checker keeps for Stop and Pause.
KEPT, LOST, STATUS = "durable", "volatile", "status"


def holders(system: TransitionSystem, state: Any, before: Any = None) -> list[dict[str, Any]]:
    """The holders of ``state`` with their fields; ``changed`` marks a field whose value
    differs from ``before`` (the state the last step left), if given."""
    if not isinstance(system, ModelSystem):
        fields = system.describe(state)
        old = system.describe(before) if before is not None else {}
        return [{"name": system.name, "kind": MODEL_HOLDER,
                 "fields": [_field(name, name, None, value, old, before is not None)
                            for name, value in fields.items()]}]
    processes = set(system.process_names())
    out = []
    for part in system.holder_parts:
        name = part.prefix[:-1]
        if part.index == MODEL:
            kind, name = MODEL_HOLDER, type(system.model).__name__
        else:
            kind = PROCESS if name in processes else COMPONENT
        values = state[part.index]
        old = ({part.prefix + f.name: before[part.index][slot] for slot, f in enumerate(part.fields)}
               if before is not None else {})
        fields = [_field(f.name, part.prefix + f.name,
                         STATUS if getattr(f, "process_status", False)
                         else KEPT if f.kind == DURABLE else LOST,
                         values[slot], old, before is not None)
                  for slot, f in enumerate(part.fields)]
        out.append({"name": name, "kind": kind, "fields": fields})
    order = {MODEL_HOLDER: 0, PROCESS: 1, COMPONENT: 2}
    return sorted(out, key=lambda h: order[h["kind"]])


def _field(name: str, path: str, durability: str | None, value: Any, old: dict[str, Any],
           compare: bool) -> dict[str, Any]:
    return {"name": name, "path": path, "durability": durability, "text": show(value),
            "data": to_data(value),
            "changed": compare and (path not in old or not same_typed(old[path], value))}


def fault_budgets(system: TransitionSystem, state: Any) -> list[dict[str, Any]]:
    """Each fault kind of the spec with how many of it the path has spent and has left."""
    if not isinstance(system, ModelSystem):
        return []
    spent = state[0]
    return [{"fault": f.key, "max": f.max, "spent": spent[i], "left": f.max - spent[i]}
            for i, f in enumerate(system.faults)]


def show(value: Any) -> str:
    """A value as the model's code would write it: ``repr``, as traces print values."""
    return repr(value)
