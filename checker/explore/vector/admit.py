"""Admitting successors: deduplicate by fingerprint, record parents, check what is new."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lifecheck.contract import ALWAYS, Step
from lifecheck.errors import ModelError
from lifecheck.explore.checks import (
    Found,
    broken_across,
    check_deterministic,
    depth_bound,
    does_not_hold,
    state_bound,
)
from lifecheck.explore.ordering import sorted_order, stable_order
from lifecheck.explore.vector.hashing import distinct, in_sorted
from lifecheck.explore.vector.memo import (
    RECENT,
)


class Admission:
    """The part of a vector run that keeps new states and checks them."""

    def admit_small(self, rows: np.ndarray, sid0: int, cands: list[tuple[int, int, int, Any]],
                    built: Callable[..., list[int]], at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        """Candidates (row, step index, fingerprint, how to build it) in bfs order: keep
        the new ones, as :meth:`admit` does."""
        new_rows, new_fps, new_keys, parents, vias = [], [], [], [], []
        level: set[int] = set()
        max_states = self.bounds.max_states
        fps = [fp for _, _, fp, _ in cands]
        keys = self.row_keys([built(r, *how) for r, _, _, how in cands], fps) \
            if self.orbits is not None else fps
        for (r, via, fp, how), key in zip(cands, keys, strict=True):
            if key in level or self.known(key):
                continue
            level.add(key)
            if at_bound:
                self.complete, self.reason = False, depth_bound(self.bounds.max_depth)
                continue
            if max_states is not None and self.count + len(new_fps) >= max_states:
                self.complete, self.reason = False, state_bound(max_states)
                continue
            new_rows.append(built(r, *how))
            new_fps.append(fp)
            new_keys.append(key)
            parents.append(sid0 + r)
            vias.append(via)
        count0 = self.count
        self.recent.update(new_keys)
        if len(self.recent) >= RECENT:
            self.merge_recent()
        self.record(len(new_fps), parents, vias)
        new = np.array(new_rows, np.int32).reshape(len(new_rows), rows.shape[1])
        if len(new):
            self.check_states(new, count0)
        return new, np.array(new_fps, np.uint64)

    def build(self, rows: np.ndarray, parents: np.ndarray, ks: np.ndarray,
              ts: np.ndarray, packed: Any = None) -> np.ndarray:
        """The rows the steps (parent row, step instance, transition) lead to; in the type
        ``packed`` (:class:`~lifecheck.explore.vector.exact.KeptRows`) keeps rows in, when
        given: a quarter of the bytes to write and compare."""
        order, by_step = sorted_order(ks)  # (each step's successors together: one pass)
        cuts = np.flatnonzero(by_step[1:] != by_step[:-1]) + 1
        starts = np.concatenate(([0], cuts)).tolist() if len(ks) else []
        ends = [*starts[1:], len(ks)] if starts else []
        groups = list(zip(by_step[starts].tolist(), starts, ends, strict=True))
        if packed is not None:
            packed.fit(rows)
            for k, _, _ in groups:
                packed.fit(self.tables[k].new)
            rows = rows.astype(packed.array.dtype)
        out = rows[parents]
        for k, lo, hi in groups:
            table = self.tables[k]
            if table.cols:
                at = order[lo:hi]
                out[np.ix_(at, table.cols)] = table.new[ts[at]]
        return out

    def check_determinism(self, rows: np.ndarray, sid0: int) -> None:
        """The first states are expanded twice by model code, as the bfs explorer does.
        Under symmetry, those and one in ``audit_every`` after them are also checked
        against their mirror images: the states the bfs explorer audits, so that a
        symmetry that does not hold is caught where it catches it."""
        system, options = self.system, self.options
        first = max(0, min(len(rows), options.determinism_checks - sid0))
        audited = list(range(first))
        every = options.audit_every
        if self.orbits is not None and every:
            audited += range(first + (every - 1 - sid0 - first) % every, len(rows), every)
        for r in audited:
            state = self.learner.decode(self.values.row(rows[r]))
            try:
                succs = system.successors(state)
                if r < first:
                    check_deterministic(system, state, succs)
                if self.orbits is not None:
                    system.check_symmetry(state, succs)
            except ModelError as exc:
                raise self.locate(exc.within(step=self.depth + 1), sid0 + r) from None

    def admit(self, rows: np.ndarray, sid0: int, fps: np.ndarray, parents: np.ndarray,
              ks: np.ndarray, ts: np.ndarray, vias: np.ndarray,
              at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        """Keep the successors never seen before, first reached first; check them.

        Successors were generated step instance by step instance; a stable sort by
        parent puts them in the bfs explorer's order (parent, then step index).
        """
        self.merge_recent()
        order = stable_order(parents)
        if self.checks.transitions:
            # Every step is checked, also one into a state a bound keeps out (as bfs does).
            self.check_steps(rows, sid0, parents[order], ks[order], ts[order], vias[order])
        rivals: dict[str, tuple[int, int]] = {}
        if self.constrained:
            inside, rivals = self.within(rows, sid0, parents[order], ks[order], ts[order],
                                         vias[order])
            order = order[inside]
        fps_o = fps[order]
        keys_o = self.successor_keys(rows, parents[order], ks[order], ts[order], fps_o)
        built, groups = None, None
        if self.exact:  # (every successor's row, to compare where keys agree)
            built = self.build(rows, parents[order], ks[order], ts[order], self.kept)
            keys_o, groups = self.exact_keys(built, keys_o)
        unique, first, inverse = distinct(keys_o, self.keeps_graph) if groups is None else groups
        seen = self.seen
        known, pos = in_sorted(seen, unique)
        fresh = np.sort(first[~known])
        if len(fresh) and at_bound:
            self.complete, self.reason = False, depth_bound(self.bounds.max_depth)
            fresh = fresh[:0]
        max_states = self.bounds.max_states
        if max_states is not None and self.count + len(fresh) > max_states:
            self.complete, self.reason = False, state_bound(max_states)
            fresh = fresh[:max(0, max_states - self.count)]
        count0 = self.count
        if self.keeps_graph:
            ids = np.full(len(unique), -1, np.int64)
            ids[known] = self.seen_ids[pos[known]]
            ids[inverse.reshape(-1)[fresh]] = count0 + np.arange(len(fresh))
            self.note_edges(sid0 + parents[order], vias[order], ids[inverse.reshape(-1)],
                            self.classes_of(ks[order], ts[order]))
        if not len(fresh):
            for name in rivals:
                self.note_rival(name, rivals)
            return rows[:0], fps[:0]
        pick = order[fresh]
        new_fps, new_keys = fps_o[fresh], keys_o[fresh]
        if self.keeps_rows:
            self.seen_with_ids(new_keys, count0 + np.arange(len(fresh)))
        else:
            merged = np.concatenate((seen, new_keys))
            merged.sort(kind="stable")
            self.seen = merged
        self.record(len(new_fps), sid0 + parents[pick], vias[pick])
        new = self.build(rows, parents[pick], ks[pick], ts[pick]) if built is None else \
            built[fresh].astype(rows.dtype)
        self.check_states(new, count0, rivals, (sid0 + parents[pick], vias[pick]))
        return new, new_fps

    def record(self, count: int, parents: Any, vias: Any) -> None:
        """Where the next ``count`` states came from (parent ids, step indices)."""
        self.count += count
        if isinstance(parents, np.ndarray):
            self.parents.frombytes(parents.astype(np.int32).tobytes())
            self.vias.frombytes(vias.astype(np.uint32).tobytes())
        else:
            self.parents.extend(parents)
            self.vias.extend(vias)

    def known(self, fp: int) -> bool:
        if fp in self.recent:
            return True
        seen = self.seen
        i = int(seen.searchsorted(np.uint64(fp)))  # (a uint64: a Python int below 2**63 would be
        # compared as a float, the whole array converted; the method: a thin level calls this per state)
        return i < len(seen) and int(seen[i]) == fp

    def merge_recent(self) -> None:
        if self.recent:
            merged = np.concatenate((self.seen, np.fromiter(self.recent, np.uint64, len(self.recent))))
            merged.sort(kind="stable")
            self.seen = merged
            self.recent = set()

    def check_steps(self, rows: np.ndarray, sid0: int, parents: np.ndarray, ks: np.ndarray,
                    ts: np.ndarray, vias: np.ndarray) -> None:
        pairs = np.hstack((rows[parents], self.build(rows, parents, ks, ts)))
        for p in self.checks.transitions:
            if p.name in self.found:
                continue

            def where(r: int) -> tuple[int, int, Step]:
                return sid0 + int(parents[r]), int(vias[r]), self.tables[int(ks[r])].steps[int(ts[r])]

            bad = np.nonzero(~self.truth_across(p.name, pairs, where))[0]
            if len(bad):
                sid, via, step = where(int(bad[0]))
                self.note(Found(*broken_across(p, step), sid, via))

    def check_states(self, rows: np.ndarray, sid0: int, rivals: dict[str, tuple[int, int]] | None = None,
                     origins: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """New states ``sid0``.. checked; ``rivals``: per invariant, a step out of the
        constraints that broke it at this level, reported instead where it came first
        (``origins``: each new state's source and step index)."""
        if self.keeps_rows:
            self.keep_rows(rows)
        if self.keeps_graph:
            self.note_states(rows, sid0)
        rivals = rivals or {}
        for p in self.checks.invariants:
            bad = np.nonzero(~self.truth(p.name, rows, lambda r: sid0 + r))[0]
            if len(bad) and p.name in rivals and origins is not None and \
                    rivals[p.name] < (int(origins[0][bad[0]]), int(origins[1][bad[0]])):
                self.note_rival(p.name, rivals)
            elif len(bad):
                self.note(Found(p.name, ALWAYS, does_not_hold(p), sid0 + int(bad[0])))
            elif p.name in rivals:
                self.note_rival(p.name, rivals)
        for p in self.checks.sometimes:
            if p.name not in self.sometimes_seen and self.truth(p.name, rows, lambda r: sid0 + r).any():
                self.sometimes_seen.add(p.name)
        if self.on_state is not None:
            for r in range(len(rows)):
                self.on_state(sid0 + r, self.learner.decode(self.values.row(rows[r])))
