"""Exact deduplication on a vector run: fingerprints confirmed by the rows they stand for.

A fingerprinted run keeps 64-bit keys only, so two states whose keys collide are
taken for one and the second is never explored (the run reports the chance). An
exact run (``Options.exact``) also keeps every state's row, packed in the smallest
unsigned type that holds its value ids (a byte a field while no field has held more
than 256 values), and wherever two keys agree, within a level or against the
seen-set, it compares the rows. A row that differs from the one its key already
stands for is given a key of its own (:meth:`Exactness.exact_keys`), drawn anew and
remembered by the row's bytes, so that the row meets the same key whenever it is
reached again. The search itself is unchanged: it deduplicates by keys that are now
one per distinct row.

Rows are compared as the engine encodes states: one id per field value, ids
interned by typed value (0 and False differ), so equal rows are equal states.
Under symmetry reduction keys stand for orbits, whose members' rows differ: there
the rows compared are each orbit's own row
(:meth:`~lifecheck.explore.vector.orbits.OrbitKeys.canonical_rows`), kept beside
the rows of the states reached, so two rows are one state exactly when they are
mirror images, as the bfs explorer's representatives say.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from lifecheck.explore.vector.hashing import distinct, in_sorted, smallest_unsigned


class KeptRows:
    """Every kept state's row, in state id order, packed; grown by doubling."""

    def __init__(self, width: int) -> None:
        self.array = np.empty((0, width), np.uint8)
        self.count = 0

    def fit(self, rows: np.ndarray) -> None:
        """Widen the type rows are kept in to one that holds every id of ``rows``."""
        wider = smallest_unsigned(rows)
        if np.dtype(wider).itemsize > self.array.itemsize:
            self.array = self.array.astype(wider)

    def packed(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` as one opaque item each, comparable with :meth:`packed_at`'s (after
        :meth:`fit`): a row is then compared in one memory comparison."""
        rows = np.ascontiguousarray(rows, dtype=self.array.dtype)
        return rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize))).reshape(-1)

    def packed_at(self, sids: np.ndarray) -> np.ndarray:
        return self.packed(self.array[sids])

    def add(self, rows: np.ndarray) -> None:
        n = len(rows)
        if not n:
            return
        self.fit(rows)
        if self.count + n > len(self.array):
            grown = np.empty((max(2 * len(self.array), self.count + n, 1024), self.array.shape[1]),
                             self.array.dtype)
            grown[:self.count] = self.array[:self.count]
            self.array = grown
        self.array[self.count:self.count + n] = rows
        self.count += n

    def rows(self) -> np.ndarray:
        return self.array[:self.count]

    @property
    def nbytes(self) -> int:
        return self.count * self.array.shape[1] * self.array.itemsize

    def __getstate__(self) -> dict[str, Any]:  # (a checkpoint keeps the rows, not the spare room)
        return {"array": self.rows().copy(), "count": self.count}


class Exactness:
    """The part of a vector run that makes its keys exact (see the module's docstring)."""

    def start_exactness(self) -> None:
        self.exact = bool(self.options.exact)
        self.kept = KeptRows(len(self.learner.columns))
        # Under symmetry, each kept state's orbit as a row: what an exact run compares.
        self.kept_orbits = (KeptRows(len(self.learner.columns))
                            if self.exact and self.orbits is not None else None)
        self.salted: dict[bytes, int] = {}  # row bytes -> the key drawn for it
        self.salted_keys: set[int] = set()

    @property
    def keeps_rows(self) -> bool:
        """Whether every kept state's row is kept (for liveness's lasso, or to compare)."""
        return self.keeps_graph or self.exact

    def keep_rows(self, rows: np.ndarray) -> None:
        """New states' rows (and under symmetry, for an exact run, their orbits' rows)."""
        self.kept.add(rows)
        if self.kept_orbits is not None:
            self.kept_orbits.add(self.orbits.canonical_rows(rows, self.values))

    def exact_keys(self, rows: np.ndarray, keys: np.ndarray
                   ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """``keys`` of ``rows``, with every row whose key stands for another row already
        (earlier in ``rows``, or a kept state) given a key of its own; and, where no key
        changed, what :func:`distinct` gives for them (the caller's next step)."""
        if not self.exact or not len(rows):
            return keys, None
        # A row keeps its fingerprint where that stands for this very row: a kept state's,
        # or, where no state has it yet, the first row in ``rows`` that has it. Every other
        # row is given a key of its own, the same each time it is met: its fingerprint then
        # stands for the first row, which is kept whenever it is (a bound keeps a level's
        # first new states), so that the row never meets its fingerprint free again.
        unique, first, inverse = distinct(keys)
        inverse = inverse.reshape(-1)
        known, pos = in_sorted(self.seen, unique)
        kept = self.kept
        if self.kept_orbits is not None:  # (keys stand for orbits: compare orbits' rows)
            kept, rows = self.kept_orbits, self.orbits.canonical_rows(rows, self.values)
        kept.fit(rows)
        packed = kept.packed(rows)
        mine = np.empty(len(rows), bool)
        held = known[inverse]
        at = np.flatnonzero(held)
        if len(at):
            mine[at] = kept.packed_at(self.seen_ids[pos[inverse[at]]]) == packed[at]
        at = np.flatnonzero(~held)
        if len(at):
            mine[at] = packed[first[inverse[at]]] == packed[at]
        if mine.all():
            return keys, (unique, first, inverse)
        keys = keys.copy()
        taken = set(keys.tolist())
        for i in np.flatnonzero(~mine).tolist():
            keys[i] = self.salted_key(rows[i], taken)
        return keys, None

    def salted_key(self, row: np.ndarray, taken: set[int]) -> int:
        """The key of a row whose fingerprint stands for another row: the one drawn for it
        before, or a new one that no kept state, no other row at hand and no other drawn
        key has."""
        data = row.astype(np.int64).tobytes()
        key = self.salted.get(data)
        if key is not None:
            return key
        digest = hashlib.blake2b(data, digest_size=8, person=b"lifecheck-exact").digest()
        key = int.from_bytes(digest, "little")
        while key in taken or key in self.salted_keys or \
                in_sorted(self.seen, np.array([key], np.uint64))[0][0]:
            key = (key + 0x9E3779B97F4A7C15) & ((1 << 64) - 1)
        self.salted[data] = key
        self.salted_keys.add(key)
        taken.add(key)
        return key
