"""Symmetry reduction on a vector run: rows are kept under their orbit's key.

The bfs explorer keys its seen-set by each state's orbit representative but keeps
and expands the state actually reached, so that replaying recorded steps rebuilds
it. A vector run does the same with fingerprints: frontier rows and their
fingerprints are the rows reached, and the seen-set holds each row's *orbit key*.
Any function that is the same on every mirror image of a state and differs between
orbits will do; it need not be the model's representative.

Most rows mention no process (no renaming changes any of their values): their
mirror images are the rearrangements of the interchangeable processes' blocks of
columns, so a whole level is keyed in numpy: a hash per block, the blocks of each
role sorted by it, and the sorted hashes mixed with their positions. A row that
mentions a process (a lock's holder, a path with a process's name) is decoded and
canonicalised by the model (:meth:`~lifecheck.modelling.mirror.Mirrored.canonical`),
and its representative keyed by the same function with its blocks left in place.
Mirror images mention processes alike, so an orbit is always keyed the same way.

A value's code comes from its typed fingerprint (0 is not False; see
:mod:`lifecheck.explore.stable_hash`), the same in every process and run, so a
resumed run and the bfs explorer's handover key rows as the first run did.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lifecheck.explore.stable_hash import fingerprint
from lifecheck.explore.vector.hashing import distinct, finalise, finalise_int, zobrist_code
from lifecheck.typed_values import typed_key

_SLOTS = 1 << 20  # code spaces of a symmetric role's fields: (role, field) past every column
_PLACES = 1 << 21  # and of a block's place among its role's blocks
_ROLES = 1 << 10  # fields, or places, per role
_LIMIT = 1 << 18  # representatives remembered by the fingerprint of the row reached


class OrbitKeys:
    """The orbit key of rows of one model's states (see the module's docstring)."""

    def __init__(self, system: Any, learner: Any) -> None:
        self.system, self.learner = system, learner
        width = len(learner.columns)
        columns_of: dict[int, list[int]] = {}
        for c, (part, _) in enumerate(learner.columns):
            columns_of.setdefault(part, []).append(c)
        # Per role, each process's columns, field by field.
        self.roles = [[columns_of[p] for p in parts] for parts in system.symmetric_parts]
        space = list(range(width))
        for g, blocks in enumerate(self.roles):
            for cols in blocks:
                for s, c in enumerate(cols):
                    space[c] = _SLOTS + g * _ROLES + s
        in_roles = {c for blocks in self.roles for cols in blocks for c in cols}
        self.plain = [c for c in range(width) if c not in in_roles]
        self.salts = [zobrist_code(s, 0) for s in space]
        self.places = [[np.uint64(zobrist_code(_PLACES + g * _ROLES + j, 0)) for j in range(len(blocks))]
                       for g, blocks in enumerate(self.roles)]
        self.codes = [np.empty(0, np.uint64) for _ in range(width)]  # per column, per value id
        self.moved = [np.empty(0, bool) for _ in range(width)]  # changed by some renaming
        self.mentions: list[int] = []  # columns with a value that some renaming changes
        self.known: dict[int, int] = {}  # fingerprint of a row that mentions a process -> key
        # For exact runs: per (role, field), an id per typed value, shared by its columns.
        self.slot_of = {c: (g, s) for g, blocks in enumerate(self.roles) for cols in blocks
                        for s, c in enumerate(cols)}
        self.shared: dict[tuple[int, int], dict[Any, int]] = {
            slot: {} for slot in self.slot_of.values()}
        self.to_shared = {c: np.empty(0, np.int32) for c in self.slot_of}

    def keys(self, rows: np.ndarray, values: Any, fps: np.ndarray | None = None) -> np.ndarray:
        """The orbit key of each row (``fps``: the rows' fingerprints, to remember the
        representatives of rows that had to be canonicalised one by one)."""
        self._sync(values)
        out = self._coded(rows, rearrange=True)
        if not self.mentions:
            return out
        mentioning = np.zeros(len(rows), bool)
        for c in self.mentions:
            mentioning |= self.moved[c][rows[:, c]]
        todo = np.nonzero(mentioning)[0].tolist()
        if not todo:
            return out
        if fps is None:
            out[todo] = self._representatives(rows[todo], values)
            return out
        known = self.known
        if len(known) > _LIMIT:
            known.clear()
        raw = fps[todo].tolist()
        missing = [i for i, fp in zip(todo, raw, strict=True) if fp not in known]
        if missing:
            for i, key in zip(missing, self._representatives(rows[missing], values), strict=True):
                known[int(fps[i])] = key
        out[todo] = [known[fp] for fp in raw]
        return out

    def canonical_rows(self, rows: np.ndarray, values: Any) -> np.ndarray:
        """Each row's orbit as a row of value ids, equal for two rows exactly when they are
        mirror images (what an exact run compares where orbit keys agree).

        Each column keeps its own ids, so a role's columns are first given ids shared by
        the same field of every process of the role (by typed value: 0 is not False).
        Then a row that mentions no process stands for its orbit with each role's blocks
        in lexicographic order of those ids; a row that mentions one, by the model's
        canonical form, encoded.
        """
        self._sync(values)
        mentioning = np.zeros(len(rows), bool)
        for c in self.mentions:
            mentioning |= self.moved[c][rows[:, c]]
        todo = np.nonzero(mentioning)[0]
        out = np.array(rows, np.int32)
        if len(todo):
            learner, canonical = self.learner, self.system.canonical
            out[todo] = [[values.intern(c, v) for c, v in enumerate(learner.encode(
                canonical(learner.decode(values.row(row)))))] for row in rows[todo]]
        for c, shared in self._shared_ids(values).items():
            out[:, c] = shared[out[:, c]]
        # Only rows that mention no process are sorted: rearranging the blocks of one that
        # does, without renaming what its values say, would leave its orbit.
        plain = np.nonzero(~mentioning)[0]
        for blocks in self.roles:
            if len(blocks) < 2 or not blocks[0] or not len(plain):
                continue
            cols = np.array(blocks, np.int64)  # (process, field)
            record = np.dtype([(f"f{i}", np.int32) for i in range(cols.shape[1])])
            grouped = np.ascontiguousarray(out[plain][:, cols])  # (row, process, field)
            ordered = np.sort(grouped.view(record).reshape(len(plain), len(blocks)), axis=1)
            out[np.ix_(plain, cols.reshape(-1))] = ordered.view(np.int32).reshape(len(plain), -1)
        return out

    def _shared_ids(self, values: Any) -> dict[int, np.ndarray]:
        """Per column of a symmetric role, the id of each of its value ids among the values
        of that field in every process of the role, brought up to date."""
        for c, ids in self.to_shared.items():
            column = values.values[c]
            if len(ids) < len(column):
                shared = self.shared[self.slot_of[c]]
                fresh = [shared.setdefault(typed_key(v), len(shared)) for v in column[len(ids):]]
                self.to_shared[c] = np.concatenate((ids, np.array(fresh, np.int32)))
        return self.to_shared

    def _representatives(self, rows: np.ndarray, values: Any) -> list[int]:
        """Keys of rows that mention a process, one by one through the model's canonical
        form (in order: the first row with a name that cannot be renamed is the error)."""
        learner, canonical = self.learner, self.system.canonical
        reps = [[values.intern(c, v) for c, v in enumerate(learner.encode(
            canonical(learner.decode(values.row(row)))))] for row in rows]
        self._sync(values)
        return self._coded(np.array(reps, np.int32), rearrange=False).tolist()

    def _coded(self, rows: np.ndarray, rearrange: bool) -> np.ndarray:
        """The key of each row as it stands, or (``rearrange``) of its rearrangement with
        each role's blocks in the order of their hashes."""
        codes = self.codes
        h = np.zeros(len(rows), np.uint64)
        for c in self.plain:
            h ^= codes[c][rows[:, c]]
        for blocks, places in zip(self.roles, self.places, strict=True):
            hashes = np.zeros((len(rows), len(blocks)), np.uint64)
            for j, cols in enumerate(blocks):
                for c in cols:
                    hashes[:, j] ^= codes[c][rows[:, c]]
            if rearrange:
                hashes.sort(axis=1)
            for j, place in enumerate(places):
                h ^= finalise(hashes[:, j] ^ place)
        return h

    def _sync(self, values: Any) -> None:
        """Codes and renaming flags of the values interned since the last call."""
        for c, column in enumerate(values.values):
            have = len(self.codes[c])
            if have == len(column):
                continue
            fresh = column[have:]
            salt = self.salts[c]
            self.codes[c] = np.concatenate((self.codes[c], np.array(
                [finalise_int(fingerprint(v) ^ salt) for v in fresh], np.uint64)))
            moved = np.array([self.system.renames(v) for v in fresh], bool)
            self.moved[c] = np.concatenate((self.moved[c], moved))
            if moved.any() and c not in self.mentions:
                self.mentions.append(c)


class Reducing:
    """The part of a vector run that keys its seen-set, by orbit under symmetry."""

    def start_symmetry(self) -> None:
        self.orbits = (OrbitKeys(self.system, self.learner)
                       if getattr(self.system, "reduces_symmetry", False) else None)

    def key_fingerprints(self, rows: np.ndarray) -> np.ndarray:
        """The fingerprints under which these rows are kept in the seen-set."""
        if self.orbits is None:
            return self.values.fingerprints(rows)
        return self.orbits.keys(rows, self.values)

    def successor_keys(self, rows: np.ndarray, parents: np.ndarray, ks: np.ndarray,
                       ts: np.ndarray, fps: np.ndarray) -> np.ndarray:
        """The seen-set keys of successors (parent row, step instance, transition) whose
        own fingerprints are ``fps``: those, or under symmetry their orbits' keys, each
        row built and keyed once."""
        if self.orbits is None:
            return fps
        unique, first, inverse = distinct(fps)
        order = np.argsort(first)  # the bfs explorer's order, which meets a bad name first
        at = first[order]
        keys = np.empty(len(unique), np.uint64)
        keys[order] = self.orbits.keys(self.build(rows, parents[at], ks[at], ts[at]),
                                       self.values, unique[order])
        return keys[inverse.reshape(-1)]

    def row_keys(self, rows: list[list[int]], fps: list[int]) -> list[int]:
        """:meth:`successor_keys` of a few rows built already (the plain-Python paths)."""
        if self.orbits is None or not rows:
            return fps
        return self.orbits.keys(np.array(rows, np.int32), self.values,
                                np.array(fps, np.uint64)).tolist()
