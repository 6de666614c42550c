"""Zobrist fingerprints of rows: a state's fingerprint is the xor of one code per column value,
so a successor's is its parent's with the changed columns' codes swapped.
"""

from __future__ import annotations

import functools

import numpy as np

from lifecheck.explore.ordering import run_starts, sorted_order

_SEED = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def zobrist(columns: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The 64-bit code of value ``ids`` in ``columns``: splitmix64's finaliser of the pair.

    A state's fingerprint is the XOR of its columns' codes (Zobrist hashing), so a
    step's successor has its parent's fingerprint XOR a delta that depends only on
    the learned transition; two different rows collide with probability 2^-64.
    """
    return finalise((columns.astype(np.uint64) << np.uint64(32)) | ids.astype(np.uint64))


def finalise(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser of each word (plus its seed): a bijection that scatters
    every input bit over the output. ``h`` is consumed."""
    h += _SEED
    h ^= h >> np.uint64(30)
    h *= _M1
    h ^= h >> np.uint64(27)
    h *= _M2
    h ^= h >> np.uint64(31)
    return h


_MASK = (1 << 64) - 1


@functools.lru_cache(maxsize=1 << 16)
def zobrist_code(column: int, value_id: int) -> int:
    """:func:`zobrist` of one (column, id), in plain Python (same arithmetic, mod 2^64)."""
    return finalise_int((column << 32) | value_id)


def finalise_int(h: int) -> int:
    """:func:`finalise` of one word, in plain Python (``0 <= h < 2**64``)."""
    h = h + int(_SEED) & _MASK
    h = ((h ^ (h >> 30)) * int(_M1)) & _MASK
    h = ((h ^ (h >> 27)) * int(_M2)) & _MASK
    return h ^ (h >> 31)


def fingerprints(rows: np.ndarray) -> np.ndarray:
    """Fingerprints of whole rows (initial states; the explorer derives the rest)."""
    h = np.zeros(len(rows), np.uint64)
    for c in range(rows.shape[1]):
        h ^= zobrist(np.full(len(rows), c), rows[:, c])
    return h


def distinct(keys: np.ndarray, inverse: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """What ``np.unique(keys, return_index=True, return_inverse=True)`` gives for a 1-d
    array: the sorted distinct keys, where each first occurs, and each key's place
    among them (None unless ``inverse``: it costs a scatter as big as the keys).

    Deduplicating a level's successors is the largest single cost of a wide level; the
    stable order by one ``np.sort`` (:func:`~lifecheck.explore.ordering.sorted_order`)
    is several times as fast as ``np.unique``'s or ``np.argsort``'s on big levels.
    """
    n = len(keys)
    if not n:
        return keys[:0], np.empty(0, np.int64), np.empty(0, np.int64) if inverse else None
    order, ordered = sorted_order(keys)
    starts = run_starts(ordered)
    at = np.flatnonzero(starts)
    if not inverse:
        return ordered[at], order[at], None
    places = np.empty(n, np.int64)
    places[order] = np.cumsum(starts) - 1
    return ordered[at], order[at], places


def smallest_tag(keys: np.ndarray, tags: np.ndarray) -> np.ndarray:
    """Where each distinct key occurs with its smallest tag (a rank key), the first such
    place where tags tie; in the order of the keys."""
    if not len(keys):
        return np.empty(0, np.int64)
    order, ordered = sorted_order(keys)
    starts = run_starts(ordered)
    group = np.cumsum(starts) - 1
    tagged = tags[order]
    least = np.minimum.reduceat(tagged, np.flatnonzero(starts))
    at = np.flatnonzero(tagged == least[group])  # (by group, and by place within one)
    return order[at[run_starts(group[at])]]


def in_sorted(ordered: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each key is in ``ordered`` (sorted), and where (its position where it is)."""
    pos = np.searchsorted(ordered, keys)
    pos[pos == len(ordered)] = 0
    found = ordered[pos] == keys if len(ordered) else np.zeros(len(keys), bool)
    return found, pos


def smallest_unsigned(ids: np.ndarray) -> type:
    """The smallest unsigned type that holds these non-negative integers (uint64 past
    uint32): most columns hold a few values, so a row takes a byte a field, not four."""
    top = int(ids.max()) if ids.size else 0
    return next((t for t in (np.uint8, np.uint16, np.uint32) if top <= np.iinfo(t).max), np.uint64)
