"""Values that Python calls equal although their types differ: ``0 == False == 0.0``.

Deduplication compares states with ``==``, and ``==`` calls ``0``, ``False`` and
``0.0`` the same value (likewise ``1.0`` and ``True``, ``-0.0`` and ``0.0``, a
namedtuple and the plain tuple of its items, an ``IntEnum`` member and its int).
Model code can tell them apart (``x is False``, ``type(x)``, ``1 / x``), so two
states that differ only there have different futures, and merging them can hide
a violation or invent one. States are therefore equal only when their types are
equal too, at every depth.

Keying every state by a deep typed form would cost every engine dearly, and
almost every field only ever holds one type of value. So a :class:`TypeLedger`
records, per field (a *column*: part index and slot), the types that every value
written to it had at each position inside the value; a field is *ambiguous* once
two types of one equality family (numbers, strings, tuples, ...) met at one
position. Only ambiguous fields are keyed by their typed form (:func:`typed_key`),
and an engine that sees the ledger's ``version`` move re-keys what it holds.
Before a field becomes ambiguous, every value it held had one type per position,
so nothing merged so far was wrong.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable
from typing import Any

from .values import FrozenMap

Column = tuple[int, int]  # (part index in the state, slot in the part)
Position = tuple  # where a value sits inside a field's value: indices, "*" for members
NEGATIVE_ZERO = "-0.0"  # the "type" of -0.0: equal to 0.0 but not the same number
LONG = 8  # tuples longer than this share one position for all their items


class NotANumberError(ValueError):
    """A NaN was stored: it is not equal to itself, so a state holding it is never seen again."""


def _family(t: type) -> Any:
    """Types whose values can compare equal to each other's."""
    if issubclass(t, numbers.Number):
        return numbers.Number
    for base in (str, bytes, tuple, frozenset, FrozenMap, range):
        if issubclass(t, base):
            return base
    return t


def shapes(value: Any) -> frozenset[tuple[Position, type | str]]:
    """Every (position, type) in ``value``: the types a state's equality must respect."""
    out: set[tuple[Position, Any]] = set()
    _walk(value, (), out)
    return frozenset(out)


def _walk(value: Any, at: Position, out: set) -> None:
    t = type(value)
    if t is float:
        if value != value:
            raise NotANumberError
        out.add((at, NEGATIVE_ZERO if value == 0 and math.copysign(1.0, value) < 0 else float))
        return
    out.add((at, t))
    if isinstance(value, tuple):
        long = len(value) > LONG
        for i, item in enumerate(value):
            _walk(item, (*at, "*" if long else i), out)
    elif isinstance(value, frozenset):
        for item in value:
            _walk(item, (*at, "*"), out)
    elif isinstance(value, FrozenMap):
        out.update(((*at, *p), s) for p, s in _map_shapes(value))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _walk(getattr(value, f.name), (*at, f.name), out)


def _map_shapes(m: FrozenMap) -> frozenset:
    """A map's shapes relative to the map, cached on the map (maps are written often)."""
    cached = m._shapes
    if cached is None:
        found: set = set()
        for k, v in m.items():
            _walk(k, ("key",), found)
            _walk(v, ("value",), found)
        cached = m._shapes = frozenset(found)
    return cached


class TypeLedger:
    """Per column, the type met at each position; which columns are ambiguous.

    ``atoms[part][slot]`` holds the atom types (int, str, None, ...) a column has
    already held at its top level and that are recorded: writing one of them again
    costs a set lookup on the hot path. Anything else is walked.
    """

    def __init__(self, widths: Iterable[int]) -> None:
        self.atoms: list[list[set]] = [[set() for _ in range(w)] for w in widths]
        self.kinds: dict[tuple[Column, Position, Any], Any] = {}  # (column, position, family) -> type
        self.ambiguous: set[Column] = set()
        self.version = 0
        self.fresh: list[tuple[Column, Position, Any]] = []  # records not yet handed out

    def note(self, part: int, slot: int, value: Any) -> bool:
        """Record a value written to (part, slot); True when the column just became ambiguous."""
        t = type(value)
        known = self.atoms[part][slot]
        if t in known and (t is not float or (value == value and (value != 0 or math.copysign(
                1.0, value) > 0))):  # NaN and -0.0 always go the long way
            return False
        grew = self.add((part, slot), shapes(value))
        if t in _ATOM_TYPES:
            known.add(t)
        return grew

    def add(self, column: Column, found: Iterable[tuple[Position, Any]]) -> bool:
        grew = False
        kinds = self.kinds
        for at, t in found:
            key = (column, at, _family(float if t == NEGATIVE_ZERO else t))
            known = kinds.get(key)
            if known is None:
                kinds[key] = t
                self.fresh.append((column, at, t))
            elif known != t and column not in self.ambiguous:
                self.ambiguous.add(column)
                self.fresh.append((column, at, t))  # whoever merges these sees the clash too
                self.version += 1
                grew = True
        return grew

    def take_fresh(self) -> list[tuple[Column, Position, Any]]:
        """Records made since the last call (for workers that must share one ledger)."""
        fresh, self.fresh = self.fresh, []
        return fresh

    def merge(self, records: Iterable[tuple[Column, Position, Any]],
              ambiguous: Iterable[Column] = ()) -> bool:
        """Take in another ledger's records; True when a column became ambiguous."""
        before = self.version
        for column, at, t in records:
            self.add(column, [(at, t)])
        for column in ambiguous:
            if column not in self.ambiguous:
                self.ambiguous.add(column)
                self.version += 1
        return self.version != before

    def snapshot(self) -> tuple[list, list[Column]]:
        return ([(c, at, t) for (c, at, _), t in self.kinds.items()], sorted(self.ambiguous))


_ATOM_TYPES = frozenset({int, float, str, bytes, bool, type(None)})


# Markers inside typed keys. Keys are compared only with keys, where a marker sits
# where a type object sits in the key of an atom, so no value can be mistaken for
# one; strings pickle and hash alike in every process (checkpoints keep keys).
_TUPLE, _SET, _MAP, _DATA = "<tuple>", "<frozenset>", "<map>", "<dataclass>"


def typed_key(value: Any) -> Any:
    """A form of ``value`` whose ``==`` also compares types, at every depth."""
    t = type(value)
    if t is str or value is None:
        return value
    if t is tuple:
        return (_TUPLE, tuple([typed_key(v) for v in value]))
    if t is frozenset:
        return (_SET, frozenset([typed_key(v) for v in value]))
    if t is FrozenMap:
        return (_MAP, frozenset([(typed_key(k), typed_key(v)) for k, v in value.items()]))
    if t is float:
        return (float, value, math.copysign(1.0, value))
    if isinstance(value, tuple):
        return (t, tuple([typed_key(v) for v in value]))
    if isinstance(value, frozenset):
        return (t, frozenset([typed_key(v) for v in value]))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (_DATA, t, tuple(typed_key(getattr(value, f.name)) for f in dataclasses.fields(value)))
    return (t, value)


def same_typed(a: Any, b: Any) -> bool:
    """``a == b`` and the same types everywhere inside them."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if a != b:
        return False
    if type(a) in (str, int, bool, bytes, type(None)):
        return True
    return typed_key(a) == typed_key(b)
