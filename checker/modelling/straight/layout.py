"""Where each field of a compiled model lives, in the terms the translation needs.

Model code names parts of the state through views: the model (``self``), a component
(``self.fs``), a process (``p``, ``self.nodes[i]``). The translation replaces each view
by a :class:`Holder` it knows at translation time (the model, a component, or a role's
process at an index computed when the code runs), and each field by a subscript of
the state.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lifecheck.modelling.views import MODEL

if TYPE_CHECKING:
    from lifecheck.modelling.compile import ModelSystem

MODEL_KIND, COMPONENT, PROCESS = "model", "component", "process"


@dataclass(frozen=True, eq=False)
class Holder:
    """A part of the state the code names. For a process, ``index`` is its position in
    its role: a constant (the instance's own process) or a name whose value it is."""

    kind: str
    name: str | None = None  # the component's attribute, or the process's role
    index: ast.expr | None = None

    def key(self) -> tuple:
        """What a translated helper is specialised on."""
        if self.kind == PROCESS:
            return (PROCESS, self.name)
        return (self.kind, self.name)


@dataclass(frozen=True)
class Whole:
    """A role's processes (``self.nodes``) or an array field (``self.forks``) named whole:
    only iterated, measured or indexed, never passed on (a view is not a value)."""

    kind: str  # "role" or "array"
    holder: Holder | None
    name: str


@dataclass
class Place:
    """One holder's fields: part index (the first, for a role), slots, array elements."""

    part: int
    slots: dict[str, int]
    arrays: dict[str, tuple[int, ...]]
    cls: type
    count: int = 1
    names: tuple[str, ...] = ()  # a role's process names
    symmetric: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)  # a component's own settings
    status: int | None = None  # a role's slot for running/paused/stopped, if faults add it


@dataclass
class Layout:
    model: Place
    params: dict[str, Any]
    roles: dict[str, Place]
    components: dict[str, Place]

    def place(self, holder: Holder) -> Place:
        if holder.kind == MODEL_KIND:
            return self.model
        assert holder.name is not None
        return (self.components if holder.kind == COMPONENT else self.roles)[holder.name]

    def part_of(self, holder: Holder) -> ast.expr:
        place = self.place(holder)
        if holder.kind != PROCESS:
            return ast.Constant(place.part)
        index = holder.index
        assert index is not None
        if isinstance(index, ast.Constant):
            return ast.Constant(place.part + index.value)
        return ast.BinOp(ast.Constant(place.part), ast.Add(), index)


def layout_of(system: ModelSystem) -> Layout:
    model = system.model
    model_part = system.holder_parts[0]
    slots, arrays = _slots_and_arrays(model_part.fields)
    roles = {}
    for attr, parts in system._role_parts.items():
        indices = [p.index for p in parts]
        if indices != list(range(indices[0], indices[0] + len(parts))):
            raise AssertionError("a role's processes are consecutive parts")
        role_slots, role_arrays = _slots_and_arrays(parts[0].fields)
        roles[attr] = Place(indices[0], role_slots, role_arrays, model.roles()[attr].process,
                            len(parts), tuple(p.prefix[:-1] for p in parts),
                            attr in system.symmetry, status=parts[0].status_slot)
    components = {}
    for (attr, comp), part in zip(model.bound_components().items(), system._component_parts,
                                  strict=True):
        c_slots, c_arrays = _slots_and_arrays(part.fields)
        attributes = {k: v for k, v in vars(comp).items() if k not in ("_ctx", "_part", "_prefix")}
        attributes["name"] = attr
        components[attr] = Place(part.index, c_slots, c_arrays, type(comp), attributes=attributes)
    return Layout(Place(MODEL, slots, arrays, type(model)), dict(model._params), roles,
                  components)


def _slots_and_arrays(fields: list[Any]) -> tuple[dict[str, int], dict[str, tuple[int, ...]]]:
    slots = {f.name: s for s, f in enumerate(fields) if f.array is None}
    arrays: dict[str, list[int]] = {}
    for s, f in enumerate(fields):
        if f.array is not None:
            arrays.setdefault(f.array[0], []).append(s)
    return slots, {name: tuple(s) for name, s in arrays.items()}
