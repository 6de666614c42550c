"""A hash of states that every process computes alike, for partitioning them.

Python's ``hash`` is not stable across processes: strings are salted per process
(unless PYTHONHASHSEED is fixed) and, before Python 3.12, ``hash(None)`` is an
address. Forked workers inherit both, so they agree; Ray actors and processes on
other machines do not. Deduplication never uses this hash (each owner compares
states exactly); only the choice of owner does, so it needs to be stable and
spread well, not collision-free. Values are hashed part by part and parts are
cached, since a successor shares most of its parts with its parent.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from typing import Any

from .values import FrozenMap

_MASK = (1 << 64) - 1
_CACHE_LIMIT = 200_000


def _text(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _mix(h: int, x: int) -> int:
    return ((h ^ x) * 0x100000001B3 + 0x9E3779B97F4A7C15) & _MASK


def stable(value: Any) -> int:
    """A 64-bit hash of ``value`` that does not depend on the process computing it."""
    if value is None:
        return 0x6E6F6E65
    # Values Python calls equal must hash alike (True == 1 == 1.0), or equal states
    # would be sent to different owners.
    if isinstance(value, int):  # bool included
        return _mix(0x696E74, int(value) & _MASK)
    if isinstance(value, float):
        if value.is_integer():
            return _mix(0x696E74, int(value) & _MASK)
        return _text(repr(value).encode())
    if isinstance(value, str):
        return _text(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes):
        return _text(b"b" + value)
    if isinstance(value, tuple):
        h = 0x7475706C + len(value)
        for item in value:
            h = _mix(h, stable(item))
        return h
    if isinstance(value, frozenset):  # order-independent: the sum of the members' hashes
        return _mix(0x736574, sum(stable(v) for v in value) & _MASK)
    if isinstance(value, FrozenMap):  # each entry hashed as an ordered pair, then summed
        return _mix(0x6D6170, sum(_mix(_mix(0x6B6579, stable(k)), stable(v))
                                  for k, v in value.items()) & _MASK)
    if isinstance(value, enum.Enum):
        return _text(f"{type(value).__qualname__}.{value.name}".encode())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        h = _text(type(value).__qualname__.encode())
        for f in dataclasses.fields(value):
            h = _mix(h, stable(getattr(value, f.name)))
        return h
    return _text(repr(value).encode())


class PartHasher:
    """Stable hashes of whole states, remembering the hash of each part already seen."""

    def __init__(self) -> None:
        self._parts: dict[Any, int] = {}

    def __call__(self, state: Any) -> int:
        if not isinstance(state, tuple):
            return stable(state)
        cache = self._parts
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        h = 0x7374617465
        for part in state:
            p = cache.get(part)
            if p is None:
                p = cache[part] = stable(part)
            h = _mix(h, p)
        return h


class Fingerprinter:
    """64-bit fingerprints of whole states for the compact seen-set.

    Each part's stable hash is cached by the part; the state's fingerprint is
    Python's hash of the tuple of those part hashes, which is computed in C and,
    over integers, is the same in every process.
    """

    def __init__(self) -> None:
        self._parts: dict[Any, int] = {}

    def __call__(self, state: Any) -> int:
        cache = self._parts
        try:
            return hash(tuple([cache[part] for part in state]))
        except KeyError:
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            for part in state:
                if part not in cache:
                    cache[part] = stable(part)
            return hash(tuple([cache[part] for part in state]))
        except TypeError:  # not a tuple of parts: hash the whole value
            return stable(state)
