"""Symmetry reduction: interchangeable processes explored once per arrangement.

Two brokers that run the same code are interchangeable: a state and the same
state with broker1 and broker2 swapped (their fields, and every mention of their
names elsewhere, such as a lock's holder or a directory named after a broker)
have mirror-image futures. Exploring one representative of each such orbit
finds every reachable situation up to renaming, with up to n! fewer states for
n interchangeable processes.

The representative is the least renamed state under a total order on values
(:func:`order_key`, compared part by part), so it does not depend on which member
of the orbit was reached first. Processes must refer to each other by name (strings), never by
position: a model that indexes by position (a ring of philosophers) is not
symmetric under arbitrary renaming and must not opt in.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Sequence
from typing import Any

from .values import FrozenMap


class Renaming:
    """One permutation of the processes of the symmetric roles."""

    def __init__(self, moves: dict[int, int], names: dict[str, str]) -> None:
        self.moves = moves  # old part index -> new part index
        self.names = names
        self.pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len,
                                                                         reverse=True))) + r")\b")

    def apply(self, state: tuple) -> tuple:
        out = list(state)
        for i, part in enumerate(state):
            out[self.moves.get(i, i)] = self.rename(part)
        return tuple(out)

    def rename(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.pattern.sub(lambda m: self.names[m.group(0)], value) if value else value
        if isinstance(value, tuple):
            return tuple(self.rename(v) for v in value)
        if isinstance(value, frozenset):
            return frozenset(self.rename(v) for v in value)
        if isinstance(value, FrozenMap):
            return FrozenMap._trusted({self.rename(k): self.rename(v) for k, v in value.items()})
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.replace(value, **{f.name: self.rename(getattr(value, f.name))
                                                 for f in dataclasses.fields(value)})
        return value


def renamings(groups: Sequence[tuple[Sequence[int], Sequence[str]]]) -> list[Renaming]:
    """Every non-identity renaming: per group (part indices, process names), each permutation."""
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
            result.append(Renaming(moves, names))
    return result


class Reducer:
    """Maps a state to its orbit's representative, remembering work on shared parts.

    A successor shares most of its parts with its parent (copy on write), so the
    renamed form and the order key of a part are cached by the part itself: most
    of a state is renamed and ordered once, not once per successor.
    """

    LIMIT = 200_000  # cached parts per table before it is cleared (bounds the memory)

    def __init__(self, options: Sequence[Renaming]) -> None:
        self.options = list(options)
        self._renamed: list[dict[Any, Any]] = [{} for _ in self.options]
        self._keys: dict[Any, Any] = {}

    def canonical(self, state: tuple) -> tuple:
        best = state
        for option, cache in zip(self.options, self._renamed, strict=True):
            if len(cache) > self.LIMIT:
                cache.clear()
            out = list(state)
            for i, part in enumerate(state):
                renamed = cache.get(part)
                if renamed is None:
                    renamed = cache[part] = option.rename(part)
                out[option.moves.get(i, i)] = renamed
            candidate = tuple(out)
            if candidate != best and self._less(candidate, best):
                best = candidate
        return best

    def _less(self, a: tuple, b: tuple) -> bool:
        for x, y in zip(a, b, strict=True):
            if x is y or x == y:
                continue
            return self._key(x) < self._key(y)
        return False

    def _key(self, part: Any) -> Any:
        key = self._keys.get(part)
        if key is None:
            if len(self._keys) > self.LIMIT:
                self._keys.clear()
            key = self._keys[part] = order_key(part)
        return key


def order_key(value: Any) -> Any:
    """A key that totally orders every value a state may hold, consistently with equality."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    if isinstance(value, bytes):
        return (4, value)
    if isinstance(value, tuple):
        return (5, tuple(order_key(v) for v in value))
    if isinstance(value, frozenset):
        return (6, tuple(sorted(order_key(v) for v in value)))
    if isinstance(value, FrozenMap):
        return (7, tuple(sorted((order_key(k), order_key(v)) for k, v in value.items())))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (8, type(value).__name__,
                tuple(order_key(getattr(value, f.name)) for f in dataclasses.fields(value)))
    return (9, type(value).__name__, repr(value))
