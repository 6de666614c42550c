"""Memo tables keyed by the values of the columns a step or a property reads.

A step's effect, and a property's truth, depend only on the columns they read (their
footprints, learned by :mod:`lifecheck.modelling.footprint`), so each distinct combination
of those values is run once and looked up for every other row of a level.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lifecheck.contract import ActionFailure, Step
from lifecheck.explore.vector.hashing import distinct, fingerprints, zobrist_code
from lifecheck.typed_values import same_typed, typed_key

CHUNK = 1 << 16  # frontier rows expanded at once: bounds the memory a level's successors take
SMALL = 32  # up to this many rows, a chunk is expanded in plain Python (numpy's cost is per call)
RECENT = 1 << 16  # fingerprints kept in a set before they are merged into the sorted array
RUN_AS_WRITTEN = 10  # a wide level's lookups per learned step below which steps run as written
TABLE_BITS = 16  # keys of up to this many bits are looked up in a table indexed by the key
JUDGED_AFTER = 4096  # lookups after which whether learning pays is judged


def learning_fails(learned: int, looked_up: int) -> bool:
    """Whether more than one lookup in :data:`RUN_AS_WRITTEN` had to learn its step, over
    enough lookups to tell: a learned step is also run a second time to confirm it, so
    past that share steps run as written cost less."""
    return looked_up >= JUDGED_AFTER and learned * RUN_AS_WRITTEN > looked_up


class ValueIds:
    """Every value met per column, interned to small integers (exact: dict equality, and
    typed keys in columns that held values of different types that compare equal)."""

    def __init__(self, columns: int) -> None:
        self.ids: list[dict[Any, int]] = [{} for _ in range(columns)]
        self.values: list[list[Any]] = [[] for _ in range(columns)]
        self.width = [1] * columns  # bits a column's ids take in a packed key
        self.version = 0  # bumped whenever a width grows, so packed keys are rebuilt
        self.typed: set[int] = set()  # columns interned by typed key (0 and False apart)

    def retype(self, columns: set[int]) -> None:
        """Intern ``columns`` by typed key from now on. Every value interned so far was
        confirmed to be of the types of the value it was merged with, so no id changes."""
        for c in columns - self.typed:
            self.ids[c] = {typed_key(v): i for i, v in enumerate(self.values[c])}
        self.typed |= columns

    def intern(self, column: int, value: Any) -> int:
        ids = self.ids[column]
        typed = column in self.typed
        key = typed_key(value) if typed else value
        i = ids.get(key)
        if i is not None and not typed:
            held = self.values[column][i]
            if held is not value and not same_typed(held, value):  # 0 met False: type them
                self.retype({column})
                return self.intern(column, value)
        if i is None:
            i = len(self.values[column])
            ids[key] = i
            self.values[column].append(value)
            if i >> self.width[column]:
                self.width[column] = i.bit_length() + 1
                self.version += 1
        return i

    # The 64-bit code of id ``i`` of ``column``, of which a row's fingerprint is the xor
    # (Zobrist hashing; a team's workers code values instead: see
    # lifecheck.explore.vector.partition). Called as it is, with no frame of its own: the
    # thin path codes every field a step changes.
    code = staticmethod(zobrist_code)

    def fingerprints(self, rows: np.ndarray) -> np.ndarray:
        """The fingerprint of each row: the xor of its columns' codes."""
        return fingerprints(rows)

    def row(self, ids: Any) -> list[Any]:
        ids = ids.tolist() if isinstance(ids, np.ndarray) else ids
        return [vals[i] for vals, i in zip(self.values, ids, strict=True)]


class ColumnMemo:
    """A function of some columns, learned entry by entry: maps each row to an entry index.

    The columns grow when a learned run reads one it did not have; all entries are
    then forgotten, since they were keyed on too little. Lookups come in two
    forms: a whole chunk of rows at once in numpy, and a few rows in plain Python
    (a long, thin state space has levels of one state, where numpy's cost per
    call would dominate). Learning appends; the numpy index catches up lazily.
    """

    def __init__(self, values: ValueIds) -> None:
        self.values = values
        self.cols: list[int] = []
        self.reset(set())

    def reset(self, cols: set[int]) -> None:
        self.cols = sorted(cols)
        self.keys: list[tuple[int, ...]] = []
        self.index: dict[tuple[int, ...], int] = {}
        self.payloads: list[Any] = []
        # Each entry is learned on one state and re-checked once on another state that
        # agrees on its columns (a step must be a function of what it reads): the row it
        # was learned on, and the entries not re-checked yet.
        self.origins: list[tuple[int, ...]] = []
        self.unverified: set[int] = set()
        self._packed_version = -1
        self._indexed = 0  # keys already in the sorted numpy index
        self._sorted: np.ndarray | None = np.empty(0, np.int64)
        self._entries = np.empty(0, np.int64)
        self._table: np.ndarray | None = None

    def _widths(self) -> list[int]:
        width, n = self.values.width, len(self.values.width)
        return [width[c % n] for c in self.cols]  # a pair of rows has each column twice

    def _pack(self, columns: list[np.ndarray], n: int) -> np.ndarray | None:
        """Each row's key columns (``columns[j]``: column ``cols[j]`` of every row) as
        one integer, or None when they take more than 62 bits."""
        widths = self._widths()
        if sum(widths) > 62:
            return None
        key = np.zeros(n, np.int64)
        for column, w in zip(columns, widths, strict=True):
            key <<= w
            key |= column
        return key

    def _sync(self) -> None:
        """Bring the index of packed keys up to date with the learned keys: a sorted
        array, and where the keys take few bits a table indexed by the key itself."""
        if self._packed_version != self.values.version:
            self._packed_version = self.values.version
            self._indexed = 0
            self._sorted = np.empty(0, np.int64)
            self._entries = np.empty(0, np.int64)
            bits = sum(self._widths())
            self._table = np.full(1 << bits, -1, np.int32) if bits <= TABLE_BITS else None
        if self._sorted is None or self._indexed == len(self.keys):
            return
        fresh = matrix(self.keys[self._indexed:], len(self.cols), np.int64)
        packed = self._pack([fresh[:, j] for j in range(len(self.cols))], len(fresh))
        if packed is None:
            self._sorted = None  # too wide for one integer: the dict serves every lookup
            return
        entries = np.arange(self._indexed, len(self.keys), dtype=np.int64)
        self._indexed = len(self.keys)
        if self._table is not None:  # (the sorted array then stays empty: lookups use the table)
            self._table[packed] = entries
            return
        order = np.argsort(packed, kind="stable")
        packed, entries = packed[order], entries[order]
        at = np.searchsorted(self._sorted, packed)
        self._sorted = np.insert(self._sorted, at, packed)
        self._entries = np.insert(self._entries, at, entries)

    def _learn(self, todo: list[tuple[int, tuple[int, ...]]],
               learn: Callable[[int], tuple[set[int], Any]],
               row_of: Callable[[int], tuple[int, ...]]) -> bool:
        """Learn each (row, key) in order; False when a run read beyond the columns (the
        memo has widened and forgotten everything: look the rows up again)."""
        for r, key in todo:
            if key in self.index:
                continue
            touched, payload = learn(r)
            if not touched <= set(self.cols):
                self.reset(touched | set(self.cols))
                return False
            self.unverified.add(len(self.keys))
            self.index[key] = len(self.keys)
            self.keys.append(key)
            self.payloads.append(payload)
            self.origins.append(row_of(r))
        return True

    def to_verify(self, entries: Any, rows: Any) -> list[tuple[int, int]]:
        """(row, entry) pairs that re-check entries not re-checked yet, each on a row other
        than the one it was learned on; those entries count as checked from now on."""
        if not self.unverified:
            return []
        if not isinstance(entries, np.ndarray):
            return self._to_verify_listed(entries, rows)
        # Rows of the entries not re-checked yet, grouped by entry, each group in row order.
        pending = np.fromiter(sorted(self.unverified), np.int64, len(self.unverified))
        at = np.flatnonzero(np.isin(entries, pending))
        if not len(at):
            return []
        at = at[np.argsort(entries[at], kind="stable")]
        grouped = entries[at]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]).tolist()
        out = []
        for lo, hi in zip(starts, [*starts[1:], len(at)], strict=True):
            e = int(grouped[lo])
            origin = self.origins[e]
            # (Rows of a level are distinct states, so this stops at the first or second.)
            for r in map(int, at[lo:hi]):
                if tuple(rows[r].tolist()) != origin:
                    out.append((r, e))
                    self.unverified.discard(e)
                    break
        return out

    def _to_verify_listed(self, entries: list[int], rows: list[list[int]]) -> list[tuple[int, int]]:
        out = []
        for e in sorted(self.unverified & set(entries)):
            origin = self.origins[e]
            for r, x in enumerate(entries):
                if x == e and tuple(rows[r]) != origin:
                    out.append((r, e))
                    self.unverified.discard(e)
                    break
        return out

    def lookup(self, rows: np.ndarray, learn: Callable[[int], tuple[set[int], Any]],
               columns: np.ndarray | None = None) -> np.ndarray:
        """The entry of every row, calling ``learn(row)`` for each combination not yet known.

        ``learn`` returns the columns its run touched and the payload; when those are
        not all among this memo's columns, the memo widens and starts again.
        ``columns``, when given, is ``rows`` transposed and contiguous, so that a
        column is read without striding across every row.
        """
        n = len(rows)
        while True:
            self._sync()
            keys = None
            if self._sorted is not None:
                cols = [columns[c] for c in self.cols] if columns is not None else \
                    [rows[:, c] for c in self.cols]
                keys = self._pack(cols, n)
            if keys is None or self._sorted is None:
                sub = rows[:, self.cols] if self.cols else np.zeros((n, 0), np.int32)
                uniq, inverse = np.unique(sub, axis=0, return_inverse=True)
                index = self.index
                found = np.array([index.get(tuple(u), -1) for u in uniq.tolist()], np.int64)
                entries = found[inverse.reshape(-1)] if len(found) else np.zeros(n, np.int64)
                missing = np.flatnonzero(entries < 0)
            elif self._table is not None:
                entries = self._table[keys]
                missing = np.flatnonzero(entries < 0)
            else:
                pos = np.searchsorted(self._sorted, keys)
                pos[pos == len(self._sorted)] = 0
                hit = self._sorted[pos] == keys if len(self._sorted) else np.zeros(n, bool)
                entries = np.where(hit, self._entries[pos] if len(self._sorted) else 0, -1)
                missing = np.flatnonzero(~hit)
            if not len(missing):
                return entries
            # The first row of each combination not yet known, in row order.
            if keys is not None:  # (packed: one integer a combination)
                first = distinct(keys[missing], inverse=False)[1]
            else:
                sub = rows[missing][:, self.cols] if self.cols else np.zeros((len(missing), 0), np.int32)
                first = np.unique(sub, axis=0, return_index=True)[1]
            reps = missing[np.sort(first)].tolist()
            self._learn([(r, tuple(rows[r, self.cols].tolist())) for r in reps], learn,
                        lambda r: tuple(rows[r].tolist()))

    def lookup_small(self, rows: list[list[int]],
                     learn: Callable[[int], tuple[set[int], Any]]) -> list[int]:
        """The same for a few rows given as lists, in plain Python."""
        while True:
            cols = self.cols
            keys = [tuple([row[c] for c in cols]) for row in rows]
            if self._learn(list(enumerate(keys)), learn, lambda r: tuple(rows[r])):
                index = self.index
                return [index[key] for key in keys]


class StepTable(ColumnMemo):
    """One step instance: per entry its branches, each a transition with its new values.

    Transitions are appended by the explorer as it learns them; numpy arrays of
    them are brought up to date only when a numpy lookup needs them.
    """

    def reset(self, cols: set[int]) -> None:
        super().reset(cols)
        self.steps: list[Step] = []
        self.classes: list[int] = []  # each transition's fairness class (-1: none)
        self.failures: list[ActionFailure | None] = []
        self.news: list[tuple[int, ...]] = []
        self.deltas: list[int] = []
        self.max_count = 0
        self._built = (0, 0)  # entries and transitions already in the arrays
        width = len(self.cols)
        self.first = self.count = self.nonfault = np.empty(0, np.int64)
        self.new = np.empty((0, width), np.int32)
        self.failed = np.empty(0, bool)
        self.delta = np.empty(0, np.uint64)
        self.cls = np.empty(0, np.int64)

    def add_transitions(self, key: tuple[int, ...], news: list[tuple[int, ...]]) -> None:
        """Fingerprint deltas of transitions out of ``key``: its columns' old codes XOR new."""
        cols, code = self.cols, self.values.code
        for new in news:
            delta = 0
            for c, a, b in zip(cols, key, new, strict=True):
                if a != b:
                    delta ^= code(c, a) ^ code(c, b)
            self.deltas.append(delta)

    def arrays(self) -> None:
        entries, transitions = self._built
        if entries == len(self.payloads) and transitions == len(self.steps):
            return
        tail = self.payloads[entries:]
        self.first = np.concatenate((self.first, np.array([p[0] for p in tail], np.int64)))
        self.count = np.concatenate((self.count, np.array([p[1] for p in tail], np.int64)))
        self.nonfault = np.concatenate((self.nonfault, np.array([p[2] for p in tail], np.int64)))
        self.max_count = max(self.max_count, max((p[1] for p in tail), default=0))
        width = len(self.cols)
        self.new = np.concatenate((self.new, matrix(self.news[transitions:], width, np.int32)))
        self.failed = np.concatenate((self.failed, np.array(
            [f is not None for f in self.failures[transitions:]], bool)))
        self.delta = np.concatenate((self.delta, np.array(self.deltas[transitions:], np.uint64)))
        self.cls = np.concatenate((self.cls, np.array(self.classes[transitions:], np.int64)))
        self._built = (len(self.payloads), len(self.steps))


class Predicate(ColumnMemo):
    def __init__(self, values: ValueIds) -> None:
        super().__init__(values)
        self.looked_up = self.learned = 0
        self.direct = False  # evaluated as written, not learned (see VectorRun.truth)

    def reset(self, cols: set[int]) -> None:
        super().reset(cols)
        self._truth = np.empty(0, bool)

    def truth(self, entries: np.ndarray) -> np.ndarray:
        if len(self._truth) < len(self.payloads):
            self._truth = np.concatenate((self._truth,
                                          np.array(self.payloads[len(self._truth):], bool)))
        return self._truth[entries]


def matrix(rows: list, width: int, dtype: Any) -> np.ndarray:
    """Rows as a 2-d array, also when they are empty tuples (a footprint of no column)."""
    return np.array(rows, dtype).reshape(len(rows), width)
