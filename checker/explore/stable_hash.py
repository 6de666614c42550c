"""Hashes of states that every process computes alike: a partition hash and fingerprints.

Python's ``hash`` is not stable across processes: strings are salted per process
(unless PYTHONHASHSEED is fixed) and, before Python 3.12, ``hash(None)`` is an
address. Forked workers inherit both, so they agree; Ray actors and processes on
other machines do not. Two hashes here do not depend on the process:

* :func:`stable` (and :class:`PartHasher`, per state) chooses the worker that owns
  a state. It follows Python's equality (``True == 1 == 1.0`` hash alike), since
  each owner then deduplicates by comparing states exactly: it needs to spread
  well, not to be collision-free.
* :func:`fingerprint` (and :class:`Fingerprinter`, per state) stands for a whole
  state in the compact seen-set, where a collision silently loses a state. It is
  *typed*: values that differ in type anywhere (``0``, ``False``, ``0.0``; a
  namedtuple and a plain tuple; an ``IntEnum`` member and its int) get different
  fingerprints, and it has no structure by construction: every atom and every
  constructed value goes through a strong 64-bit finaliser (MurmurHash3's fmix64,
  a bijection of 64-bit words with full avalanche) or through BLAKE2b, and set
  members and map entries are finalised before they are summed, so that no
  algebraic relation between members (``0 + 3 == 1 + 2``) survives in the sum.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import struct
from typing import Any

from lifecheck.errors import ModelError
from lifecheck.typed_values import equal_types
from lifecheck.values import FrozenMap

_MASK = (1 << 64) - 1
_CACHE_LIMIT = 200_000


def _text(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _mix(h: int, x: int) -> int:
    return ((h ^ x) * 0x100000001B3 + 0x9E3779B97F4A7C15) & _MASK


def _fmix(x: int) -> int:
    """MurmurHash3's 64-bit finaliser: a bijection of 64-bit words (``0 <= x < 2**64``)."""
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & _MASK
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & _MASK
    return x ^ (x >> 33)


# -- the partition hash: untyped, follows Python's equality -----------------------------

def stable(value: Any) -> int:
    """A 64-bit hash of ``value`` that does not depend on the process computing it.

    Values Python calls equal hash alike (``True == 1 == 1.0``, an ``IntEnum`` member
    and its int), or equal states would be sent to different owners.
    """
    if value is None:
        return 0x6E6F6E65
    if isinstance(value, int):  # bool and IntEnum included
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
    # Order-independent: the sum of the members' hashes, each finalised first (summing
    # the raw, nearly linear hashes of small ints made {0, 3} and {1, 2} collide).
    if isinstance(value, frozenset):
        return _mix(0x736574, sum([_fmix(stable(v)) for v in value]) & _MASK)
    if isinstance(value, FrozenMap):  # each entry hashed as an ordered pair, finalised, summed
        return _mix(0x6D6170, sum([_fmix(_mix(_mix(0x6B6579, stable(k)), stable(v)))
                                   for k, v in value.items()]) & _MASK)
    if isinstance(value, enum.Enum):
        return _text(f"{type(value).__qualname__}.{value.name}".encode())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        h = _text(type(value).__qualname__.encode())
        for name in _compared_fields(type(value)):
            h = _mix(h, stable(getattr(value, name)))
        return h
    return _text(repr(value).encode())


class PartHasher:
    """Stable hashes of whole states, remembering the hash of each part already seen.

    The result is finalised: owners are chosen by its low bits (``h % workers``), and
    without the finaliser those bits were the parity of the state's small ints, so a
    step that moves one counter by one sent a whole level to one worker out of two.
    """

    def __init__(self) -> None:
        self._parts: dict[Any, int] = {}

    def __call__(self, state: Any) -> int:
        if not isinstance(state, tuple):
            return _fmix(stable(state))
        cache = self._parts
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        h = 0x7374617465
        for part in state:
            p = cache.get(part)
            if p is None:
                p = cache[part] = stable(part)
            h = _mix(h, p)
        return _fmix(h)


# -- fingerprints: typed, finalised ------------------------------------------------------

def _tag(name: str) -> int:
    return _text(b"lifecheck.fingerprint:" + name.encode())


_T_NONE = _tag("None")
_T_BOOL = _tag("bool")
_T_INT = _tag("int")
_T_FLOAT = _tag("float")
_T_TUPLE = _tag("tuple")
_T_SET = _tag("frozenset")
_T_MAP = _tag("FrozenMap")
_T_ENTRY = _tag("entry")
_T_RANGE = _tag("range")
_P_STR = b"s"  # prefixes of the BLAKE2b input: the type of the text hashed
_P_BYTES = b"b"
_P_BIGINT = b"I"
_P_ENUM = b"e"
_P_TYPE = b"t"
_P_REPR = b"r"
_K_STEP = 0x9E3779B97F4A7C15  # odd multipliers: multiplying by one is a bijection
_K_LEN = 0xD6E8FEB86659FD93
_K_ENTRY = 0xBF58476D1CE4E5B9

_FP_NONE = _fmix(_T_NONE)
_FP_FALSE = _fmix(_T_BOOL)
_FP_TRUE = _fmix(_T_BOOL ^ 1)
_SMALL = 1 << 63
_float_bits = struct.Struct("<d").pack

# Fingerprints of exact-type str and int atoms, which recur in every state. Keys are of
# exactly one type per cache (the lookups check ``type(x) is str`` / ``is int`` first),
# so ``==`` between types (1 == True, a StrEnum member == its str) never conflates them.
_strs: dict[str, int] = {}
_ints: dict[int, int] = {}
_type_tags: dict[type, int] = {}
_enums: dict[tuple[type, str], int] = {}
_fields: dict[type, tuple[str, ...]] = {}
# Fingerprints of map entries whose key and value are both of these exact types: no
# value of one compares equal to a value of another, so == on such pairs is typed.
_PLAIN = frozenset({str, int, type(None)})
_pairs: dict[tuple, int] = {}


def _fp_str(value: str) -> int:
    h = _strs.get(value)
    if h is None:
        if len(_strs) > _CACHE_LIMIT:
            _strs.clear()
        h = _strs[value] = _text(_P_STR + value.encode("utf-8", "surrogatepass"))
    return h


def _fp_int(value: int) -> int:
    h = _ints.get(value)
    if h is None:
        if len(_ints) > _CACHE_LIMIT:
            _ints.clear()
        if -_SMALL <= value < _SMALL:  # fmix is a bijection: distinct small ints never collide
            h = _fmix((value & _MASK) ^ _T_INT)
        else:
            h = _text(_P_BIGINT + value.to_bytes((value.bit_length() + 8) // 8, "little",
                                                 signed=True))
        _ints[value] = h
    return h


def _fp_float(value: float) -> int:
    # The IEEE bits: -0.0 and 0.0 differ, and 1.0 is not the int 1.
    return _fmix(int.from_bytes(_float_bits(value), "little") ^ _T_FLOAT)


def _fp_bool(value: bool) -> int:
    return _FP_TRUE if value else _FP_FALSE


def _fp_none(value: None) -> int:
    return _FP_NONE


def _fp_bytes(value: bytes) -> int:
    return _text(_P_BYTES + value)


def _type_tag(t: type) -> int:
    """A tag naming a class (module and qualified name), the same in every process."""
    h = _type_tags.get(t)
    if h is None:
        h = _type_tags[t] = _text(_P_TYPE + f"{t.__module__}:{t.__qualname__}".encode())
    return h


def _compared_fields(t: type) -> tuple[str, ...]:
    """The fields a dataclass's ``==`` compares, in order (``compare=False`` ones are not)."""
    names = _fields.get(t)
    if names is None:
        names = _fields[t] = tuple(f.name for f in dataclasses.fields(t) if f.compare)
    return names


def _fp_items(tag: int, items: Any, n: int) -> int:
    """A sequence: a non-linear chain over the items' fingerprints from (tag, length).

    Each step ``h -> g(h ^ x)`` (an odd multiply, then an xor-shift) is a bijection of
    ``h`` for a given item, so two sequences of one length and tag that differ in one
    item never collide; other differences collide with chance about 2^-64.
    """
    h = tag ^ ((n * _K_LEN) & _MASK)
    for item in items:
        t = type(item)
        if t is str:
            x = _strs.get(item)
            if x is None:
                x = _fp_str(item)
        elif t is int:
            x = _ints.get(item)
            if x is None:
                x = _fp_int(item)
        else:
            x = fingerprint(item)
        h = ((h ^ x) * _K_STEP) & _MASK
        h ^= h >> 32
    h ^= h >> 33  # the finaliser, inlined
    h = (h * 0xFF51AFD7ED558CCD) & _MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK
    return h ^ (h >> 33)


def _fp_tuple(value: tuple) -> int:
    return _fp_items(_T_TUPLE, value, len(value))


def _fp_members(tag: int, value: frozenset) -> int:
    """A set: the sum of its members' (finalised) fingerprints, with tag and size, finalised."""
    s = 0
    for item in value:
        t = type(item)
        if t is str:
            x = _strs.get(item)
            s += x if x is not None else _fp_str(item)
        elif t is int:
            x = _ints.get(item)
            s += x if x is not None else _fp_int(item)
        else:
            s += fingerprint(item)
    return _fmix(tag ^ ((s + len(value) * _K_LEN) & _MASK))


def _fp_set(value: frozenset) -> int:
    return _fp_members(_T_SET, value)


def _fp_entries(tag: int, value: FrozenMap) -> int:
    """A map: each entry an ordered pair (key and value mixed, finalised), summed, finalised."""
    s = 0
    pairs = _pairs
    for pair in value.items():
        k, v = pair
        plain = type(k) in _PLAIN and type(v) in _PLAIN
        if plain:
            e = pairs.get(pair)
            if e is not None:
                s += e
                continue
        e = (((fingerprint(k) ^ _T_ENTRY) * _K_ENTRY) & _MASK) ^ fingerprint(v)  # not symmetric
        e ^= e >> 33
        e = (e * 0xFF51AFD7ED558CCD) & _MASK
        e ^= e >> 33
        e = (e * 0xC4CEB9FE1A85EC53) & _MASK
        e ^= e >> 33
        if plain:
            if len(pairs) > _CACHE_LIMIT:
                pairs.clear()
            pairs[pair] = e
        s += e
    return _fmix(tag ^ ((s + len(value) * _K_LEN) & _MASK))


def _fp_map(value: FrozenMap) -> int:
    return _fp_entries(_T_MAP, value)


def _fp_range(value: range) -> int:
    # ranges are equal as sequences (range(0) == range(5, 5)): hash what == compares.
    n = len(value)
    return _fp_items(_T_RANGE, (n, value.start if n else None, value.step if n > 1 else None), 3)


_EXACT = {
    str: _fp_str, int: _fp_int, tuple: _fp_tuple, bool: _fp_bool, type(None): _fp_none,
    float: _fp_float, frozenset: _fp_set, FrozenMap: _fp_map, bytes: _fp_bytes,
    range: _fp_range,
}


def fingerprint(value: Any) -> int:
    """A typed 64-bit fingerprint of a state value, the same in every process.

    Equal values of the same types (at every depth) get the same fingerprint whatever
    the process and PYTHONHASHSEED; values that differ, in value or in the type of any
    part (``0`` / ``False`` / ``0.0``, ``0.0`` / ``-0.0``, a namedtuple / the plain
    tuple, an ``IntEnum`` member / its int), differ with chance about 1 - 2^-64 per
    pair. Frozensets and FrozenMaps do not depend on the order they were built in.
    Handles None, bool, int, float (not NaN), str, bytes, enum members, tuples and
    their subclasses, frozensets, FrozenMaps, frozen dataclasses (the fields their
    ``==`` compares) and ranges; anything else by its type and ``repr``. Raises
    TypeError for an unhashable value (a list, a dict, a set).
    """
    f = _EXACT.get(type(value))
    if f is not None:
        return f(value)
    return _fp_other(value)


def _fp_other(value: Any) -> int:
    t = type(value)
    if isinstance(value, enum.Enum):
        key = (t, value.name)
        h = _enums.get(key)
        if h is None:
            h = _enums[key] = _text(_P_ENUM + f"{t.__module__}:{t.__qualname__}.{value.name}"
                                    .encode())
        return h
    if isinstance(value, tuple):  # a namedtuple: its class is part of its identity
        return _fp_items(_type_tag(t), value, len(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _compared_fields(t)
        return _fp_items(_type_tag(t), [getattr(value, name) for name in names], len(names))
    if isinstance(value, frozenset):
        return _fp_members(_type_tag(t), value)
    if isinstance(value, FrozenMap):
        return _fp_entries(_type_tag(t), value)
    for base in (int, str, float, bytes):  # other subclasses of atoms
        if isinstance(value, base):
            return _fmix(_EXACT[base](base(value)) ^ _type_tag(t))
    hash(value)  # a TypeError for unhashable values, as the exact seen-set would raise
    text = f"{t.__module__}:{t.__qualname__}:{value!r}"
    _check_repr(value, text)
    return _text(_P_REPR + text.encode())


# Values fingerprinted by their repr, both ways: a repr must tell apart what == does.
_by_repr: dict[str, Any] = {}
_repr_of: dict[tuple[type, Any], str] = {}


def _check_repr(value: Any, text: str) -> None:
    """Refuse a type whose repr does not follow its ``==``: two different values printed
    alike would share a fingerprint (a state silently lost from a fingerprinted run),
    and equal values printed differently would not (a state counted twice)."""
    held = _by_repr.setdefault(text, value)
    if held is not value and held != value:
        raise ModelError(
            f"{type(value).__qualname__} values {held!r} and {value!r} differ (==) but print "
            "alike: lifecheck fingerprints a value of this type by its repr, so the two would "
            "be taken for one; give the class a __repr__ that shows every field == compares, "
            "or make it a frozen dataclass, a namedtuple or a tuple")
    known = _repr_of.setdefault((type(value), value), text)  # (equal across types: apart)
    if known != text:
        raise ModelError(
            f"{type(value).__qualname__} values are equal (==) but print differently ({known} "
            f"and {text}): lifecheck fingerprints a value of this type by its repr, so equal "
            "states would be counted apart; give the class a __repr__ that shows exactly the "
            "fields == compares, or make it a frozen dataclass, a namedtuple or a tuple")
    if len(_by_repr) > _CACHE_LIMIT:
        _by_repr.clear()
        _repr_of.clear()


class Fingerprinter:
    """Typed 64-bit fingerprints of whole states for the compact seen-set.

    A state is a tuple of parts. Each part's :func:`fingerprint` is cached (a
    successor shares most parts with its parent) and the parts are chained exactly as
    :func:`fingerprint` chains a tuple's items, so ``Fingerprinter()(state) ==
    fingerprint(state)`` whenever the cache answers right (below). The chain is
    computed here in Python rather than as Python's ``hash`` of the tuple of part
    fingerprints: that hash first reduces each one modulo 2^61 - 1 (losing three bits)
    and has no final avalanche; this one is a bijection in each part (states that
    differ in one part never collide) and is finalised.

    The cache is a dict per part index, keyed by ``==``, which alone would answer the
    fingerprint of ``(0,)`` for ``(False,)``: a hit is used only when the part held is
    the same object or has the same types throughout (lifecheck.typed_values), and a
    part that only compares equal is fingerprinted afresh. One dict per index, not one
    for all, so that an index that only ever holds ints and another that only ever
    holds bools cannot answer for each other. A state that is not a tuple is
    fingerprinted whole.
    """

    def __init__(self) -> None:
        self._caches: list[dict[Any, tuple[Any, int]]] = []
        self._stored = 0  # entries in all the caches (bounded by _CACHE_LIMIT)

    def __call__(self, state: Any) -> int:
        t = type(state)
        if t is tuple:
            tag = _T_TUPLE
        elif isinstance(state, tuple):
            tag = _type_tag(t)
        else:
            return fingerprint(state)
        caches = self._caches
        if len(caches) < len(state):
            caches.extend({} for _ in range(len(state) - len(caches)))
        h = tag ^ ((len(state) * _K_LEN) & _MASK)
        for i, part in enumerate(state):
            cache = caches[i]
            hit = cache.get(part)
            if hit is None:
                x = fingerprint(part)
                cache[part] = (part, x)
                self._stored += 1
                if self._stored > _CACHE_LIMIT:
                    for c in caches:
                        c.clear()
                    self._stored = 0
            else:
                held, x = hit
                if held is not part and not equal_types(held, part):
                    x = fingerprint(part)  # equal, not the same types: (0,) and (False,)
            h = ((h ^ x) * _K_STEP) & _MASK
            h ^= h >> 32
        h ^= h >> 33
        h = (h * 0xFF51AFD7ED558CCD) & _MASK
        h ^= h >> 33
        h = (h * 0xC4CEB9FE1A85EC53) & _MASK
        return h ^ (h >> 33)
