"""Views: model code reads and writes a state through objects that look like the model.

A view of a part (the model, a component, a process) turns attribute access into
reads and writes of the state tuple through the running step's context, which logs
what was read (for footprints and the "it sees" line) and what was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lifecheck.errors import ModelError
from lifecheck.modelling.fields import VOLATILE, Field
from lifecheck.modelling.runtime import (
    Context,
)
from lifecheck.values import FrozenMap

if TYPE_CHECKING:
    from lifecheck.modelling.compile import ModelSystem

MODEL = 1  # the model's own part follows the fault budget's


class Part:
    """Where one holder (model, component or process) lives in the state tuple."""

    def __init__(self, index: int, prefix: str, fields: list[Field], initial: tuple,
                 domains: dict[int, tuple] | None = None) -> None:
        self.index = index
        self.prefix = prefix
        self.fields = fields
        self.initial = initial
        # Slot -> every initial value, for fields declared with one_of (lifecheck.modelling.initial).
        self.domains: dict[int, tuple] = domains or {}
        self.volatile_slots = [i for i, f in enumerate(fields) if f.kind == VOLATILE]
        # The slot that says running, paused or stopped (lifecheck.modelling.process_faults).
        self.status_slot = next((i for i, f in enumerate(fields)
                                 if getattr(f, "process_status", False)), None)


class Views:
    """One set of view objects (model, components, processes) bound to one context."""

    def __init__(self, system: ModelSystem, ctx: Context, logged: bool = False) -> None:
        model = system.model
        self.ctx = ctx
        model_cls, component_cls, process_cls = system.view_classes[logged]
        self.model = new_view(model_cls, ctx, MODEL, "")
        self.model.__dict__["_params"] = model._params
        for pname, value in model._params.items():
            self.model.__dict__[pname] = value
        self.components: list[Any] = []
        for (attr, comp), part, cls in zip(model.bound_components().items(), system._component_parts,
                                           component_cls, strict=False):
            view = new_view(cls, ctx, part.index, part.prefix)
            for key, value in vars(comp).items():
                view.__dict__.setdefault(key, value)
            view.__dict__["name"] = attr
            self.model.__dict__[attr] = view
            self.components.append(view)
        self.processes: list[Any] = []
        self.roles: dict[str, tuple] = {}
        for attr, parts in system._role_parts.items():
            cls = process_cls[attr]
            views = []
            symmetric = attr in system.symmetry
            for i, part in enumerate(parts):
                view = new_view(cls, ctx, part.index, part.prefix)
                view.__dict__.update(name=part.prefix[:-1], role=attr, _status_slot=part.status_slot)
                if not symmetric:  # (a symmetric role's views refuse index: see _refused_index)
                    view.__dict__["index"] = i
                views.append(view)
            self.roles[attr] = tuple(views)
            self.model.__dict__[attr] = tuple(views)
            self.processes.extend(views)
        self.by_name = {view.name: view for view in self.processes}
        for view in [self.model, *self.components, *self.processes]:
            view.__dict__["_sealed"] = True


def new_view(cls: type, ctx: Context, part: int, prefix: str) -> Any:
    view = object.__new__(cls)
    view.__dict__.update(_ctx=ctx, _part=part, _prefix=prefix)
    return view


class LoggedState:
    """A state whose parts log each field read (used only to explain a violation), and
    each key read from a map field (see :mod:`lifecheck.modelling.readable`)."""

    def __init__(self, state: tuple, log: list[tuple[int, int]],
                 keys: dict[tuple[int, int], dict]) -> None:
        self._state = state
        self._log = log
        self._keys = keys

    def __getitem__(self, index: int) -> Any:
        return LoggedPart(self._state[index], index, self._log, self._keys)

    def __len__(self) -> int:
        return len(self._state)


class LoggedPart:
    def __init__(self, values: tuple, index: int, log: list[tuple[int, int]],
                 keys: dict[tuple[int, int], dict]) -> None:
        self._values = values
        self._index = index
        self._log = log
        self._keys = keys

    def __getitem__(self, slot: int) -> Any:
        where = (self._index, slot)
        self._log.append(where)
        value = self._values[slot]
        if type(value) is FrozenMap:
            return ReadMap.of(value, self._keys.setdefault(where, {}))
        return value


#: Logged in place of a key when a map was read whole (iterated, compared, measured).
WHOLE = object()


class ReadMap(FrozenMap):
    """A map that logs which keys are read, or that it was read whole.

    Only a property being explained ever sees one (:func:`observe`); the explorers
    never do, so the hot path pays nothing for it.
    """

    __slots__ = ("_keys",)

    @classmethod
    def of(cls, m: FrozenMap, keys: dict) -> ReadMap:
        r = object.__new__(cls)
        r._d, r._hash, r._keys = m._d, m._hash, keys
        return r

    def _whole(self) -> FrozenMap:
        self._keys[WHOLE] = None
        return FrozenMap._trusted(self._d, ordered=True)

    def __getitem__(self, key: Any) -> Any:
        self._keys[key] = None
        return self._d[key]

    def get(self, key: Any, default: Any = None) -> Any:
        self._keys[key] = None
        return self._d.get(key, default)

    def __contains__(self, key: object) -> bool:
        self._keys[key] = None
        return key in self._d

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._whole())

    def keys(self):  # type: ignore[no-untyped-def, override]
        return self._whole().keys()

    def values(self):  # type: ignore[no-untyped-def, override]
        return self._whole().values()

    def items(self):  # type: ignore[no-untyped-def, override]
        return self._whole().items()

    def __len__(self) -> int:
        return len(self._whole())

    def __hash__(self) -> int:
        return hash(self._whole())

    def __eq__(self, other: object) -> bool:
        return self._whole() == other

    def __repr__(self) -> str:
        return repr(self._whole())

    def __reduce__(self) -> tuple:
        return self._whole().__reduce__()

    def set(self, key: Any, value: Any) -> FrozenMap:
        return self._whole().set(key, value)

    def remove(self, *keys: Any) -> FrozenMap:
        return self._whole().remove(*keys)

    def update(self, items: Any) -> FrozenMap:
        return self._whole().update(items)

    def filter(self, keep: Any) -> FrozenMap:
        return self._whole().filter(keep)



def make_view_class(base: type, fields: Sequence[Any], logged: bool = False) -> type:
    """A subclass of ``base`` whose fields read and write the active context's state.

    The view subclasses the user's class so that helper methods written on a
    process, component or model work unchanged on views. Setting anything that
    is not a declared field is refused: an attribute stored on a view would be
    shared by every state and silently leak between them. A ``logged`` view also
    records each field it reads in the context (for learning a step's footprint);
    the explorer's own views do not pay for that.
    """
    slots = {f.name: slot for slot, f in enumerate(fields) if f.array is None}
    arrays: dict[str, list[int]] = {}
    for slot, f in enumerate(fields):
        if f.array is not None:
            arrays.setdefault(f.array[0], []).append(slot)
    namespace: dict[str, Any] = {"_field_names": frozenset(slots) | frozenset(arrays)}
    for name, slot in slots.items():
        namespace[name] = _logged_field_property(slot) if logged else _field_property(slot)
    for name, elements in arrays.items():
        namespace[name] = _array_property(name, tuple(elements), logged)

    def __setattr__(view: Any, name: str, value: Any) -> None:
        slot = slots.get(name)
        if slot is not None:
            view._ctx.write(view._part, slot, value, view._prefix + name)
            return
        if name in arrays:
            getattr(view, name)[:] = value
            return
        if not view.__dict__.get("_sealed", False):
            object.__setattr__(view, name, value)
            return
        where = view._ctx.where or "model code"
        raise ModelError(
            f"{where} set {view._prefix}{name}, which is not a declared field of "
            f"{base.__name__}; declare it with durable(...) or volatile(...) (an undeclared "
            "attribute would be shared by every state)")

    namespace["__setattr__"] = __setattr__
    return type(base.__name__, (base,), namespace)


def _field_property(slot: int) -> property:
    def get(view: Any) -> Any:
        return view._ctx.parts[view._part][slot]

    return property(get)


def _logged_field_property(slot: int) -> property:
    def get(view: Any) -> Any:
        ctx = view._ctx
        if ctx.reads is not None:
            ctx.reads.add((view._part, slot))
        return ctx.parts[view._part][slot]

    return property(get)


def _array_property(name: str, slots: tuple[int, ...], logged: bool) -> property:
    def get(view: Any) -> FieldArray:
        return FieldArray(view, name, slots, logged)

    return property(get)


class FieldArray:
    """An array field seen from model code: each element read and written on its own.

    Behaves as a read-only sequence (``len``, iteration, ``in``, slices give
    tuples, equal to a tuple of its elements) whose elements can be set
    (``self.forks[i] = True``, or ``self.forks = (...)`` for all of them).
    """

    __slots__ = ("_logged", "_name", "_slots", "_view")

    def __init__(self, view: Any, name: str, slots: tuple[int, ...], logged: bool) -> None:
        self._view, self._name, self._slots, self._logged = view, name, slots, logged

    def _read(self, slot: int) -> Any:
        view = self._view
        ctx = view._ctx
        if self._logged and ctx.reads is not None:
            ctx.reads.add((view._part, slot))
        return ctx.parts[view._part][slot]

    def __len__(self) -> int:
        return len(self._slots)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._read(s) for s in self._slots[index])
        return self._read(self._slots[index])

    def __setitem__(self, index: Any, value: Any) -> None:
        view = self._view
        if isinstance(index, slice):
            targets = self._slots[index]
            values = tuple(value)
            if len(values) != len(targets):
                raise ModelError(f"{view._ctx.where or 'model code'} set {len(values)} value(s) "
                                 f"into {len(targets)} element(s) of {view._prefix}{self._name}; "
                                 "an array field keeps its length")
            for slot, v in zip(targets, values, strict=True):
                view._ctx.write(view._part, slot, v, f"{view._prefix}{self._name}[{slot - self._slots[0]}]")
            return
        slot = self._slots[index]
        view._ctx.write(view._part, slot, value, f"{view._prefix}{self._name}[{slot - self._slots[0]}]")

    def __iter__(self) -> Any:
        return (self._read(s) for s in self._slots)

    def __contains__(self, value: Any) -> bool:
        return any(v == value for v in self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FieldArray):
            other = tuple(other)
        return isinstance(other, (tuple, list)) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(tuple(self))
