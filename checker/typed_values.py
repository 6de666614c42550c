"""Values that Python calls equal although their types differ: ``0 == False == 0.0``.

Deduplication compares states with ``==``, and ``==`` calls ``0``, ``False`` and
``0.0`` the same value (likewise ``1.0`` and ``True``, ``-0.0`` and ``0.0``, a
namedtuple and the plain tuple of its items, an ``IntEnum`` member and its int).
Model code can tell them apart (``x is False``, ``type(x)``, ``1 / x``), so two
states that differ only there have different futures, and merging them can hide
a violation or invent one. States are therefore equal only when their types are
equal too, at every depth.

Keying every state by a deep typed form would cost every engine dearly, and
almost every field only ever holds one type of value. So a state is keyed as it
is, and wherever ``==`` says two states (or two parts, or two values) are the
same, the checker confirms that their types agree (:func:`type_clashes`): a seen
state hit, a cache of parts, an interned value. Where they do not, the field is
marked (:class:`TypedFields`) and keyed by its typed form (:func:`typed_key`) from
then on; an engine that sees the mark's ``version`` move re-keys what it holds.
Nothing was merged wrongly before: every merge is such a confirmed hit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from lifecheck.values import FrozenMap, dataclass_fields

Column = tuple[int, int]  # (part index in the state, slot in the part)


class TypedFields:
    """The fields (columns) that have held values of different types that compare equal."""

    def __init__(self) -> None:
        self.columns: set[Column] = set()
        self.version = 0

    def mark(self, columns: Iterable[Column]) -> bool:
        """Key these columns by type from now on; True when that is news."""
        new = set(columns) - self.columns
        if new:
            self.columns |= new
            self.version += 1
        return bool(new)


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
    names = dataclass_fields(t)
    if names:
        return (_DATA, t, tuple(typed_key(getattr(value, n)) for n in names))
    return (t, value)


PLAIN = frozenset({str, int, bool, bytes, type(None)})


def same_typed(a: Any, b: Any) -> bool:
    """``a == b`` and the same types everywhere inside them."""
    return a is b or (a == b and equal_types(a, b))


def equal_types(a: Any, b: Any) -> bool:
    """Whether two values that compare equal also have the same types at every depth
    (a cache hit keyed by ``==`` is good only when they do).

    Identical objects are skipped, so comparing a successor with a stored state costs
    a look at the few values the step wrote, not a walk of the whole state.
    """
    if a is b:
        return True
    t = type(a)
    if t is not type(b):
        return False
    if t in PLAIN:
        return True
    if t is float:
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            if x is not y and not (type(x) is type(y) and type(x) in PLAIN) \
                    and not equal_types(x, y):
                return False
        return True
    if isinstance(a, frozenset):
        kinds = {type(x) for x in a}
        if len(kinds) == 1 and kinds <= PLAIN and kinds == {type(y) for y in b}:
            return True  # equal sets of one plain type: the same members, all alike
        return {typed_key(x) for x in a} == {typed_key(y) for y in b}
    if isinstance(a, FrozenMap):
        # Equal maps hold equal keys, which each keeps sorted the same way.
        for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True):
            if ka is not kb and not (type(ka) is type(kb) and type(ka) in PLAIN) \
                    and not equal_types(ka, kb):
                return False
            if va is not vb and not (type(va) is type(vb) and type(va) in PLAIN) \
                    and not equal_types(va, vb):
                return False
        return True
    for n in dataclass_fields(t):
        x, y = getattr(a, n), getattr(b, n)
        if x is not y and not (type(x) is type(y) and type(x) in PLAIN) \
                and not equal_types(x, y):
            return False
    return True


def type_clashes(a: tuple, b: tuple) -> list[Column]:
    """The fields where two states that compare equal differ in type (usually none)."""
    out = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x is y:
            continue
        if type(x) is tuple and type(y) is tuple and len(x) == len(y):
            out.extend((i, s) for s, (u, v) in enumerate(zip(x, y, strict=True))
                       if not (u is v or equal_types(u, v)))
        elif not equal_types(x, y):
            out.append((i, -1))
    return out
