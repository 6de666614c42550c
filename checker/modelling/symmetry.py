"""Symmetry reduction: interchangeable processes explored once per arrangement.

Two brokers that run the same code are interchangeable: a state and the same
state with broker1 and broker2 swapped (their fields, and every mention of their
names elsewhere, such as a lock's holder or a directory named after a broker)
have mirror-image futures. Exploring one representative of each such orbit
finds every reachable situation up to renaming, with up to n! fewer states for
n interchangeable processes.

The representative is the least renamed state under a total order on values
(:func:`order_key`, compared part by part), so it does not depend on which member
of the orbit was reached first.

Merging states that are not mirror images would hide violations, so what counts
as a reference to a process is defined exactly (:class:`Renaming`), what cannot
be renamed soundly is refused (a name glued into a longer word, a process's
index), and the rest (a model that treats the first process of a role specially,
or orders them by name) is caught as the run goes: on sampled states the checker
swaps two processes and insists that the successors, the properties and the
final-state predicate commute with the swap (:meth:`lifecheck.modelling.compile.ModelSystem.check_symmetry`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from lifecheck.typed_values import equal_types
from lifecheck.values import FrozenMap


def _BLANK(match: re.Match) -> str:
    return "\x00"


class GluedName(Exception):
    """A string holds a process name glued to a letter or a digit ("broker1x", "w10"):
    whether it refers to the process cannot be told, so it cannot be renamed soundly."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text, name)
        self.text = text
        self.name = name


class Renaming:
    """One permutation of the processes of the symmetric roles.

    A process is referred to by its name: a string equal to it, or a *segment* of a
    string, where the name stands between the start or end of the string and
    characters that are not letters or digits (``broker1``, ``/data/broker1_0``,
    ``lock-of-broker1``); those are renamed, inside tuples, frozensets, maps and
    dataclasses too. A name glued to a letter or digit (``broker1x``, ``broker10``
    when there is no broker10) is refused (:class:`GluedName`). A process's index
    is refused where it is read (see :mod:`lifecheck.modelling.compile`), since an int cannot be
    told from any other int.
    """

    def __init__(self, moves: dict[int, int], names: dict[str, str],
                 every_name: Sequence[str] = ()) -> None:
        self.moves = moves  # old part index -> new part index
        self.names = names  # moved names: old -> new
        self.every = frozenset(every_name) | frozenset(names)
        alternation = "|".join(map(re.escape, sorted(self.every, key=len, reverse=True)))
        self.segment = re.compile(rf"(?<![A-Za-z0-9])(?:{alternation})(?![A-Za-z0-9])")
        self.anywhere = re.compile(alternation)

    def apply(self, state: tuple) -> tuple:
        out = list(state)
        for i, part in enumerate(state):
            out[self.moves.get(i, i)] = self.rename(part)
        return tuple(out)

    def rename(self, value: Any) -> Any:
        t = type(value)
        if t is str:
            return self._text(value)
        if t is tuple:
            return tuple([self.rename(v) for v in value])
        if t is frozenset:
            return frozenset([self.rename(v) for v in value])
        if t is FrozenMap:
            return FrozenMap._trusted({self.rename(k): self.rename(v) for k, v in value.items()})
        if isinstance(value, str):  # a str subclass (an enum): kept, unless it names a process
            m = self.anywhere.search(value)
            if m:
                raise GluedName(value, m.group(0))
            return value
        if isinstance(value, tuple):
            items = [self.rename(v) for v in value]
            return value._make(items) if hasattr(value, "_make") else t(items)
        if isinstance(value, frozenset):
            return t(self.rename(v) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.replace(value, **{f.name: self.rename(getattr(value, f.name))
                                                 for f in dataclasses.fields(value) if f.init})
        return value

    def _text(self, text: str) -> str:
        whole = self.names.get(text)
        if whole is not None:
            return whole
        if text in self.every or not self.anywhere.search(text):
            return text
        glued = self.anywhere.search(self.segment.sub(_BLANK, text))
        if glued is not None:
            raise GluedName(text, glued.group(0))
        names = self.names
        return self.segment.sub(lambda m: names.get(m.group(0), m.group(0)), text)


def renamings(groups: Sequence[tuple[Sequence[int], Sequence[str]]]) -> list[Renaming]:
    """Every non-identity renaming: per group (part indices, process names), each permutation."""
    every = [n for _, names in groups for n in names]
    per_group = []
    for parts, names in groups:
        options = []
        for perm in itertools.permutations(range(len(parts))):
            options.append(({parts[i]: parts[perm[i]] for i in range(len(parts))},
                            {names[i]: names[perm[i]] for i in range(len(parts))}))
        per_group.append(options)
    result = []
    for combo in itertools.product(*per_group):
        moves: dict[int, int] = {}
        names: dict[str, str] = {}
        for m, n in combo:
            moves.update({k: v for k, v in m.items() if k != v})
            names.update({k: v for k, v in n.items() if k != v})
        if moves:
            result.append(Renaming(moves, names, every))
    return result


def generators(groups: Sequence[tuple[Sequence[int], Sequence[str]]]) -> list[Renaming]:
    """Swaps of neighbours in each group: every renaming is a product of these, so a model
    that commutes with each of them commutes with all (what the sampled check tries)."""
    every = [n for _, names in groups for n in names]
    out = []
    for parts, names in groups:
        for i in range(len(parts) - 1):
            a, b = parts[i], parts[i + 1]
            out.append(Renaming({a: b, b: a}, {names[i]: names[i + 1], names[i + 1]: names[i]},
                                every))
    return out


class Reducer:
    """Maps a state to its orbit's representative, remembering work on shared parts.

    A successor shares most of its parts with its parent (copy on write), so the
    renamed form and the order key of a part are cached by the part itself: most
    of a state is renamed and ordered once, not once per successor.
    """

    LIMIT = 200_000  # cached parts per table before it is cleared (bounds the memory)

    def __init__(self, options: Sequence[Renaming], groups: Sequence[Sequence[int]] = (),
                 renames: Callable[[Any], bool] | None = None) -> None:
        self.options = list(options)
        self._renamed: list[dict[Any, Any]] = [{} for _ in self.options]
        self._keys: dict[Any, Any] = {}
        # A state whose parts no renaming changes (``renames``: whether one can change a
        # value) has as mirror images only its rearrangements of processes, and the least
        # of those, in the order every image is compared by, has each group's parts sorted
        # into its slots: n log n instead of trying all n! renamings.
        self.groups = [sorted(slots) for slots in groups] if renames is not None else []
        self._renames = renames
        self._moved: dict[Any, Any] = {}
        # Parts whose fields hold values of different types that compare equal (0, False):
        # a cache keyed by ``==`` would hand one the other's answer, so they skip the caches.
        self.typed: set[int] = set()

    def canonical(self, state: tuple) -> tuple:
        if self.groups and not any(map(self._renamed_by_some, state)):
            return self._sorted(state)
        best = state
        typed = self.typed
        for option, cache in zip(self.options, self._renamed, strict=True):
            if len(cache) > self.LIMIT:
                cache.clear()
            out = list(state)
            for i, part in enumerate(state):
                hit = None if i in typed else cache.get(part)
                if hit is not None and (hit[0] is part or equal_types(hit[0], part)):
                    renamed = hit[1]
                else:  # (a part equal to the one cached but of other types: (0,), (False,))
                    renamed = option.rename(part)
                    if hit is None and i not in typed:
                        cache[part] = (part, renamed)
                out[option.moves.get(i, i)] = renamed
            candidate = tuple(out)
            if self._less(candidate, best):
                best = candidate
        return best

    def _renamed_by_some(self, part: Any) -> bool:
        hit = self._moved.get(part)
        if hit is not None and (hit[0] is part or equal_types(hit[0], part)):
            return hit[1]
        assert self._renames is not None
        moved = self._renames(part)
        if hit is None:
            if len(self._moved) > self.LIMIT:
                self._moved.clear()
            self._moved[part] = (part, moved)
        return moved

    def _sorted(self, state: tuple) -> tuple:
        out = list(state)
        for slots in self.groups:
            for i, part in zip(slots, sorted([state[i] for i in slots], key=self._key), strict=True):
                out[i] = part
        return tuple(out)

    def _less(self, a: tuple, b: tuple) -> bool:
        for x, y in zip(a, b, strict=True):
            if x is y:
                continue
            kx, ky = self._key(x), self._key(y)
            if kx != ky:
                return kx < ky
        return False

    def _key(self, part: Any) -> Any:
        hit = self._keys.get(part)
        if hit is not None and (hit[0] is part or equal_types(hit[0], part)):
            return hit[1]
        key = order_key(part)
        if hit is None:
            if len(self._keys) > self.LIMIT:
                self._keys.clear()
            self._keys[part] = (part, key)
        return key


def order_key(value: Any) -> Any:
    """A key that totally orders every value a state may hold; equal keys mean equal
    values of equal types (1 and 1.0 differ, as do 0.0 and -0.0)."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, (int, float)):
        return (2, value, type(value).__name__,
                math.copysign(1.0, value) if type(value) is float else 0.0)
    if isinstance(value, str):
        return (3, value, type(value).__name__)
    if isinstance(value, bytes):
        return (4, value, type(value).__name__)
    if isinstance(value, tuple):
        return (5, tuple(order_key(v) for v in value), type(value).__name__)
    if isinstance(value, frozenset):
        return (6, tuple(sorted(order_key(v) for v in value)), type(value).__name__)
    if isinstance(value, FrozenMap):
        return (7, tuple(sorted((order_key(k), order_key(v)) for k, v in value.items())))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (8, type(value).__name__,
                tuple(order_key(getattr(value, f.name)) for f in dataclasses.fields(value)))
    return (9, type(value).__name__, repr(value))
