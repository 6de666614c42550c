"""Immutable values that may live in a model's state.

Every state is hashed and shared between many successors, so a value stored in a
field must never change after it is stored. Rather than detecting mutation after
the fact, lifecheck only admits values that cannot be mutated: numbers, strings,
booleans, None, bytes, enums, tuples and frozensets of such values, frozen
dataclasses, and :class:`FrozenMap`. Anything else is rejected at the write that
stored it, with a message that names the field and suggests the immutable type.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

_ATOMS = (int, float, str, bytes, bool, type(None), enum.Enum, range)
# Exact types accepted without a walk: the common case on the checker's hot path.
FAST_IMMUTABLE = frozenset({int, float, str, bytes, bool, type(None)})


class FrozenMap(Mapping):
    """A hashable mapping; updates return a new map and leave this one alone.

    Entries are kept in sorted key order (by ``repr`` when keys are not mutually
    comparable) so that equal maps print and iterate identically, whatever order
    they were built in: traces and snapshots must not depend on insertion order.
    The order is fixed when a map is built, so reading never sorts.
    """

    __slots__ = ("_d", "_hash")

    def __init__(self, items: Mapping | Iterable[tuple[Any, Any]] = ()) -> None:
        d = dict(items)
        for k, v in d.items():
            check_immutable(k, "a FrozenMap key")
            check_immutable(v, f"the FrozenMap value at {k!r}")
        self._d = _in_order(d)
        self._hash: int | None = None

    @classmethod
    def _trusted(cls, d: dict, ordered: bool = False) -> FrozenMap:
        m = object.__new__(cls)
        m._d = d if ordered else _in_order(d)
        m._hash = None
        return m

    def __getitem__(self, key: Any) -> Any:
        return self._d[key]

    def get(self, key: Any, default: Any = None) -> Any:
        return self._d.get(key, default)

    def __iter__(self) -> Iterator:
        return iter(self._d)

    def keys(self):  # type: ignore[override]
        return self._d.keys()

    def values(self):  # type: ignore[override]
        return self._d.values()

    def items(self):  # type: ignore[override]
        return self._d.items()

    def __len__(self) -> int:
        return len(self._d)

    def __contains__(self, key: object) -> bool:
        return key in self._d

    def __reduce__(self) -> tuple:
        # Never pickle the cached hash: another process (a worker, a Ray actor, a resumed
        # run) may hash strings differently, and a stale cached hash would make two equal
        # maps land in different places of a dict: duplicate states, wrong counts.
        return (_rebuild, (self._d,))

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash(frozenset(self._d.items()))
        return h

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, FrozenMap):
            return self._d == other._d
        return NotImplemented

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self._d.items())
        return "{" + inner + "}"

    def set(self, key: Any, value: Any) -> FrozenMap:
        check_immutable(key, "a FrozenMap key")
        check_immutable(value, f"the FrozenMap value at {key!r}")
        d = dict(self._d)
        known = key in d
        d[key] = value
        return FrozenMap._trusted(d, ordered=known)

    def remove(self, *keys: Any) -> FrozenMap:
        d = dict(self._d)
        for k in keys:
            d.pop(k, None)
        return FrozenMap._trusted(d, ordered=True)

    def update(self, items: Mapping | Iterable[tuple[Any, Any]]) -> FrozenMap:
        d = dict(self._d)
        d.update(FrozenMap(items)._d)
        return FrozenMap._trusted(d)

    def filter(self, keep: Any) -> FrozenMap:
        """The entries for which ``keep(key, value)`` is true."""
        return FrozenMap._trusted({k: v for k, v in self._d.items() if keep(k, v)}, ordered=True)


def _rebuild(d: dict) -> FrozenMap:
    return FrozenMap._trusted(d, ordered=True)


def _in_order(d: dict) -> dict:
    keys = _sorted_keys(d)
    return d if list(d) == keys else {k: d[k] for k in keys}


def _sorted_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError:
        return sorted(d, key=repr)


class MutableValueError(TypeError):
    """A value that could change after being stored was put into the state."""


def check_immutable(value: Any, where: str) -> None:
    """Raise :class:`MutableValueError` unless ``value`` is deeply immutable."""
    problem = _mutable_part(value)
    if problem is not None:
        if type(problem) is float:
            raise MutableValueError(
                f"{where} was given NaN, which is not equal to itself: a state holding it "
                "would never be recognised as one already seen; store None or a string instead")
        kind = type(problem).__name__
        hint = {
            "list": "use a tuple",
            "dict": "use lifecheck.FrozenMap",
            "set": "use a frozenset",
            "bytearray": "use bytes",
        }.get(kind, "use an immutable value (tuple, frozenset, FrozenMap, frozen dataclass)")
        raise MutableValueError(
            f"{where} was given a {kind} ({_short(problem)}), which can change after it is "
            f"stored and would leak between states; {hint}"
        )


_FIELDS: dict[type, tuple[str, ...]] = {}


def dataclass_fields(t: type) -> tuple[str, ...]:
    """The field names of dataclass type ``t`` (empty for any other type), looked up once:
    ``dataclasses.fields`` is too slow to call on every write and every comparison."""
    names = _FIELDS.get(t)
    if names is None:
        names = _FIELDS[t] = (tuple(f.name for f in dataclasses.fields(t))
                              if dataclasses.is_dataclass(t) and isinstance(t, type) else ())
    return names


def _mutable_part(value: Any) -> Any:
    """The part of ``value`` that cannot be stored: mutable, or a NaN (never equal to itself)."""
    if type(value) is float:
        return value if value != value else None
    if isinstance(value, (_ATOMS, FrozenMap)):
        return None
    if isinstance(value, (tuple, frozenset)):
        for item in value:
            if type(item) in FAST_IMMUTABLE and (type(item) is not float or item == item):
                continue
            bad = _mutable_part(item)
            if bad is not None:
                return bad
        return None
    names = dataclass_fields(type(value))
    if names or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        if not value.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return value
        for name in names:
            bad = _mutable_part(getattr(value, name))
            if bad is not None:
                return bad
        return None
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
