"""Expanding a level: in numpy for big chunks, in plain Python for small ones and thin spaces."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from lifecheck.contract import ActionFailure
from lifecheck.errors import ModelError
from lifecheck.explore.checks import (
    Found,
    audit,
    deadlock,
    depth_bound,
    failed_step,
    state_bound,
    stuck,
    unhashable,
)
from lifecheck.explore.vector.memo import RECENT, SMALL, learning_fails
from lifecheck.modelling.runtime import BUDGET_PART

# Per property, the first failed step of a level: (row, step index, (property, kind, message)).
Failures = dict[str, tuple[int, int, tuple[str, str, str]]]


class _Decided(Exception):
    """A trial's verdict is settled: no lookup still to come can change it."""


class Expansion:
    """The part of a vector run that turns a frontier into candidate successors."""

    def expand(self, rows: np.ndarray, fps: np.ndarray, sid0: int,
               at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        """Successors of one chunk of the frontier: the rows and fingerprints of new states.

        Successors are kept as (parent, step instance, transition, step index) and their
        fingerprints; rows are built only for the states that turn out to be new.
        """
        if (len(rows) <= SMALL and not self.checks.transitions and not self.keeps_rows
                and not self.constrained):
            return self.expand_small(rows, fps, sid0, at_bound)
        n = len(rows)
        offset = np.zeros(n, np.int64)
        nonfault = np.zeros(n, np.int64)
        got: list[tuple[np.ndarray, ...]] = []
        failures: Failures = {}
        columns = np.ascontiguousarray(rows.T)  # (each table reads a few columns of every row)
        for k, table in enumerate(self.tables):
            entry = table.lookup(rows, lambda r, k=k: self.learn_step(k, rows[r].tolist(), sid0 + r),
                                 columns)
            for r, e in table.to_verify(entry, rows):
                self.verify_step(k, e, rows[r].tolist(), sid0 + r)
            table.arrays()
            count = table.count[entry]
            total = int(count.sum())
            if not total:
                continue
            self.transitions += total
            nonfault += table.nonfault[entry]
            first = table.first[entry]
            for b in range(table.max_count):
                at = np.nonzero(count > b)[0]
                t = first[at] + b
                via = offset[at] + b
                used = np.bincount(t, minlength=len(table.steps))
                for ti in np.nonzero(used)[0].tolist():
                    action = table.steps[ti].action
                    self.coverage[action] = self.coverage.get(action, 0) + int(used[ti])
                if self.keeps_graph:  # a failing step is enabled too
                    self.note_enabled(sid0 + at, table.cls[t])
                failed = table.failed[t]
                if failed.any():
                    for i in np.nonzero(failed)[0].tolist():
                        step, fail = table.steps[t[i]], table.failures[t[i]]
                        key = (int(at[i]), int(via[i]))
                        name = fail.property_name  # type: ignore[union-attr]
                        if name not in failures or key < failures[name][:2]:
                            failures[name] = (*key, failed_step(step, fail))  # type: ignore[arg-type]
                    keep = ~failed
                    at, t, via = at[keep], t[keep], via[keep]
                got.append((fps[at] ^ table.delta[t], at, np.full(len(at), k, np.int32), t, via))
            offset += count
        self.looked_up += n * len(self.tables)
        if learning_fails(self.learned, self.looked_up):
            self.direct_wide = True
        self.after_expansion(rows, sid0, failures, np.nonzero(nonfault == 0)[0])
        if not got:
            return rows[:0], fps[:0]
        cand = [np.concatenate(parts) for parts in zip(*got, strict=True)]
        return self.admit(rows, sid0, *cand, at_bound)

    def rows_of(self, states: list[Any]) -> np.ndarray:
        """States encoded as rows of this run's value ids."""
        learner, values = self.learner, self.values
        return np.array([[values.intern(c, v) for c, v in enumerate(learner.encode(state))]
                         for state in states], np.int32).reshape(len(states), len(learner.columns))

    def learning_pays(self, states: list[Any]) -> bool:
        """Whether learning the steps out of ``states`` is repaid, by the rule a wide level
        turns to running steps as written by (:func:`~lifecheck.explore.vector.memo.learning_fails`);
        True where too few lookups tell. The lookups are all counted before any is made,
        so once more than the rule allows have learned, no later one can undo the
        verdict: learning stops there (a trial that fails costs a tenth of the sample's
        steps, not all of them). What is learned is kept for the levels to come, and this
        run's own judgement starts afresh."""
        rows = self.rows_of(states)
        lookups = len(rows) * len(self.tables)
        before = self.learned

        def learn(k: int, r: int) -> tuple[set[int], Any]:
            if learning_fails(self.learned - before, lookups):
                raise _Decided  # (before the run: the memo holds only what was learned)
            return self.learn_step(k, rows[r].tolist(), 0)

        try:
            for k, table in enumerate(self.tables):
                table.lookup(rows, lambda r, k=k: learn(k, r))
            fails = learning_fails(self.learned - before, lookups)
        except _Decided:
            fails = True
        self.learned = before
        return not fails

    def after_expansion(self, rows: np.ndarray, sid0: int,
                        failures: Failures, stuck: np.ndarray) -> None:
        """Failed steps, determinism, deadlocks (``stuck``: rows with no step but faults;
        the rule of :func:`~lifecheck.explore.checks.stuck`, for a whole level at once)."""
        for r, via, failure in sorted(failures.values(), key=lambda f: f[:2]):
            self.note(Found(*failure, sid0 + r, via))
        self.check_determinism(rows, sid0)
        if self.options.check_deadlock and len(stuck):
            final = self.truth("final state", rows[stuck], lambda r: sid0 + int(stuck[r]))
            dead = stuck[~final]
            if len(dead):
                self.note(Found(*deadlock(), sid0 + int(dead[0])))

    def expand_small(self, rows: np.ndarray, fps: np.ndarray, sid0: int,
                     at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`expand` and :meth:`admit` in plain Python, for a chunk of a few rows."""
        rows_l, fps_l = rows.tolist(), fps.tolist()
        n = len(rows_l)
        learned = self.learned
        offset, nonfault = [0] * n, [0] * n
        cands: list[tuple[int, int, int, int, int]] = []  # (row, step index, fp, instance, t)
        failures: Failures = {}
        coverage = self.coverage
        for k, table in enumerate(self.tables):
            entries = table.lookup_small(rows_l, lambda r, k=k: self.learn_step(k, rows_l[r], sid0 + r))
            for r, e in table.to_verify(entries, rows_l):
                self.verify_step(k, e, rows_l[r], sid0 + r)
            payloads, steps, fails, deltas = table.payloads, table.steps, table.failures, table.deltas
            for r, e in enumerate(entries):
                start, count, nf = payloads[e]
                if not count:
                    continue
                self.transitions += count
                nonfault[r] += nf
                for b in range(count):
                    t = start + b
                    step = steps[t]
                    coverage[step.action] = coverage.get(step.action, 0) + 1
                    fail = fails[t]
                    if fail is None:
                        cands.append((r, offset[r] + b, fps_l[r] ^ deltas[t], k, t))
                        continue
                    key = (r, offset[r] + b)
                    name = fail.property_name
                    if name not in failures or key < failures[name][:2]:
                        failures[name] = (*key, failed_step(step, fail))
                offset[r] += count
        self.after_expansion(rows, sid0, failures,
                             np.array([r for r in range(n) if not nonfault[r]], np.int64))
        # Steps that keep being learned are cheaper run as written than learned: a
        # counter read by every step (a long, thin state space) gives no reuse.
        self.looked_up += n * len(self.tables)
        if self.looked_up >= 4096 and (self.learned - learned) * 50 > n * len(self.tables):
            self.direct = self.learned * 50 > self.looked_up
        cands.sort()

        def built(r: int, k: int, t: int) -> list[int]:
            row = list(rows_l[r])
            table = self.tables[k]
            for c, v in zip(table.cols, table.news[t], strict=True):
                row[c] = v
            return row

        return self.admit_small(rows, sid0, [(r, via, fp, (k, t)) for r, via, fp, k, t in cands],
                                built, at_bound)

    def thin(self, until: float | None) -> None:
        """Levels one after another with steps run as written (as bfs runs them): levels
        of a few states, where numpy's cost per call would dominate, or any level once
        learning has not paid (``direct_wide``). Returns when a level grows past
        :data:`SMALL` states (unless ``direct_wide``), or at ``until`` (so that a
        checkpoint can be saved)."""
        system, learner, values, coverage = self.system, self.learner, self.values, self.coverage
        bounds, options = self.bounds, self.options
        rows_l, fps_l = self.frontier[0].tolist(), self.frontier[1].tolist()
        states = [learner.decode(values.row(row)) for row in rows_l]
        while rows_l and (len(rows_l) <= SMALL or self.direct_wide) and not self.stopped:
            at_bound = bounds.max_depth is not None and self.depth >= bounds.max_depth
            sid0 = self.level_starts[-1]
            self.level_starts.append(self.count)
            level: set[int] = set()
            new_rows, new_fps, new_keys, new_states, parents, vias = [], [], [], [], [], []
            reached: list[tuple[int, int, tuple, list[int], int]] = []  # (sid, via, state, row, fp)
            for r, state in enumerate(states):
                sid = sid0 + r
                if r % 256 == 255 and self.must_stop(len(reached)):
                    break  # (a wide level: the bounds are looked at as often as bfs does)
                try:
                    succs = self.successors(state)
                    audit(system, options, sid, state, succs)
                    if options.check_deadlock and stuck(system, state, succs):
                        self.note(Found(*deadlock(), sid))
                except ModelError as exc:
                    raise self.locate(exc.within(step=self.depth + 1), sid) from None
                self.transitions += len(succs)
                row, parent_fp = rows_l[r], fps_l[r]
                for via, (step, out) in enumerate(succs):
                    coverage[step.action] = coverage.get(step.action, 0) + 1
                    if isinstance(out, ActionFailure):
                        self.note(Found(*failed_step(step, out), sid, via))
                        continue
                    try:
                        new, fp = self.successor_row(state, row, parent_fp, out)
                    except TypeError as exc:
                        raise unhashable(exc, f"{step.who()} {step.label()}").within(
                            step=self.depth + 1) from None
                    reached.append((sid, via, out, new, fp))
            keys = self.row_keys([new for _, _, _, new, _ in reached], [fp for *_, fp in reached])
            for (sid, via, out, new, fp), key in zip(reached, keys, strict=True):
                if key in level or self.known(key):
                    continue
                level.add(key)
                if at_bound:
                    self.complete, self.reason = False, depth_bound(bounds.max_depth)
                    continue
                if bounds.max_states is not None and self.count + len(new_fps) >= bounds.max_states:
                    self.complete, self.reason = False, state_bound(bounds.max_states)
                    continue
                new_rows.append(new)
                new_fps.append(fp)
                new_keys.append(key)
                new_states.append(out)
                parents.append(sid)
                vias.append(via)
            count0 = self.count
            self.recent.update(new_keys)
            if len(self.recent) >= RECENT:
                self.merge_recent()
            self.record(len(new_fps), parents, vias)
            for i, state in enumerate(new_states):
                self.check_state(count0 + i, state)
            if new_fps:
                self.depth += 1
            rows_l, fps_l, states = new_rows, new_fps, new_states
            if self.must_stop(len(rows_l)) or (until is not None and time.perf_counter() >= until):
                break  # (after one level at least, so that every call makes progress)
        self.frontier = (np.array(rows_l, np.int32).reshape(len(rows_l), len(learner.columns)),
                         np.array(fps_l, np.uint64))

    def successor_row(self, state: tuple, row: list[int], fp: int, out: tuple) -> tuple[list[int], int]:
        """The row and fingerprint of ``out``, a successor of ``state`` (whose are ``row`` and
        ``fp``). Model code leaves a part it does not write the very object it was, so
        only the parts a step wrote are interned again."""
        new = list(row)
        intern, code = self.values.intern, self.values.code
        if out[BUDGET_PART] is not state[BUDGET_PART]:
            i = intern(0, out[BUDGET_PART])
            if i != new[0]:
                fp ^= code(0, new[0]) ^ code(0, i)
                new[0] = i
        for index, lo, hi in self.learner.part_slices:
            part = out[index]
            if part is state[index]:
                continue
            for c, v in zip(range(lo, hi), part, strict=False):  # (as encode: the fields only)
                i = intern(c, v)
                if i != new[c]:
                    fp ^= code(c, new[c]) ^ code(c, i)
                    new[c] = i
        return new, fp

    def check_state(self, sid: int, state: tuple) -> None:
        """One new state, checked by the model's compiled properties (the thin path)."""
        try:
            for broken in self.checks.broken(state):
                self.note(Found(*broken, sid))
            self.checks.witness(state, self.sometimes_seen)
        except ModelError as exc:
            raise self.locate(exc, sid) from None
        if self.on_state is not None:
            self.on_state(sid, state)
