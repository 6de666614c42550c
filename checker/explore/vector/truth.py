"""Learning steps and properties on whole levels: run once per distinct footprint, verify, look up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lifecheck.contract import ActionFailure, Step
from lifecheck.errors import ModelError
from lifecheck.explore.checks import unhashable
from lifecheck.explore.vector.memo import (
    SMALL,
)


class Learning:
    """The part of a vector run that learns step effects and property truth tables."""

    def learn_step(self, k: int, row: list[int], sid: int) -> tuple[set[int], Any]:
        table, values, learner = self.tables[k], self.values, self.learner
        state = learner.decode(values.row(row))
        try:
            touched, results = learner.step(k, state)
        except ModelError as exc:
            raise self.locate(exc.within(step=self.depth + 1), sid) from None
        self.learned += 1
        if not touched <= set(table.cols):
            return touched, None
        start, nonfault = len(table.steps), 0
        news = []
        for step, out in results:
            table.steps.append(step)
            table.classes.append(self.class_of(step))
            nonfault += not step.is_fault
            if isinstance(out, ActionFailure):
                table.failures.append(out)
                news.append((0,) * len(table.cols))
                continue
            table.failures.append(None)
            try:
                news.append(tuple(values.intern(c, learner.value(out, c)) for c in table.cols))
            except TypeError as exc:
                raise unhashable(exc, f"{step.who()} {step.label()}").within(
                    step=self.depth + 1) from None
        table.news.extend(news)
        table.add_transitions(tuple(row[c] for c in table.cols), news)
        return touched, (start, len(results), nonfault)

    def truth(self, name: str, rows: np.ndarray, sid_of: Callable[[int], int]) -> np.ndarray:
        """A property (or "final state") on each row.

        Learned like a step; but a property that reads nearly every field (all the
        philosophers, say) differs on every state, so once nearly every row has to be
        learned it is evaluated as written, and its table is dropped: kept, it would
        hold a key per state.
        """
        memo = self.predicates[name]

        def learn(r: int, logged: bool = True) -> tuple[set[int], bool]:
            state = self.learner.decode(self.values.row(rows[r]))
            try:
                return self.learner.predicate(name, state, logged)
            except ModelError as exc:
                raise self.locate(exc, sid_of(r)) from None

        if memo.direct:
            return np.array([learn(r, logged=False)[1] for r in range(len(rows))], bool)
        known = len(memo.keys)
        if len(rows) <= SMALL:
            listed = rows.tolist()
            entries: Any = memo.lookup_small(listed, learn)
            truth = np.array([memo.payloads[e] for e in entries], bool)
            checks = memo.to_verify(entries, listed)
        else:
            entries = memo.lookup(rows, learn)
            truth = memo.truth(entries)
            checks = memo.to_verify(entries, rows)
        for r, e in checks:
            if learn(r, logged=False)[1] != memo.payloads[e]:
                raise self.locate(ModelError(
                    f"{'a final-state predicate' if name == 'final state' else 'property ' + name}"
                    " is not deterministic: it gave different values on two states that agree "
                    f"on every field it reads ({self.columns_named(memo.cols)}); a property must "
                    "depend only on the state"), sid_of(r))
        memo.looked_up += len(rows)
        memo.learned += max(0, len(memo.keys) - known)
        if memo.looked_up >= 4096 and memo.learned * 2 > memo.looked_up:
            memo.direct = True
            memo.reset(set())
        return truth

    def truth_across(self, name: str, pairs: np.ndarray,
                     where: Callable[[int], tuple[int, int, Step]]) -> np.ndarray:
        """A transition property on rows that are a source row and a target row side by side;
        ``where(r)`` says which state, step index and step pair ``r`` is."""
        memo, width = self.predicates[name], len(self.learner.columns)

        def learn(r: int) -> tuple[set[int], bool]:
            before = self.learner.decode(self.values.row(pairs[r, :width]))
            after = self.learner.decode(self.values.row(pairs[r, width:]))
            try:
                return self.learner.transition(name, before, after)
            except ModelError as exc:
                sid, via, step = where(r)
                raise self.locate_step(exc, sid, via).within(
                    action=f"{step.who()} {step.label()}") from None

        entries = memo.lookup(pairs, learn)
        for r, e in memo.to_verify(entries, pairs):
            if learn(r)[1] != memo.payloads[e]:
                sid, via, step = where(r)
                error = ModelError(f"property {name} is not deterministic: it gave different values "
                                   "across two steps that agree on every field it reads; a property "
                                   "must depend only on the states it compares",
                                   action=f"{step.who()} {step.label()}")
                raise self.locate_step(error, sid, via)
        return memo.truth(entries)

    def columns_named(self, cols: list[int]) -> str:
        names = self.learner.column_names
        return ", ".join(names[c] for c in cols) or "none"

    def verify_step(self, k: int, e: int, row: list[int], sid: int) -> None:
        """Run step instance ``k`` on a state other than the one entry ``e`` was learned on
        (they agree on every column it reads) and insist on the same outcome."""
        table, values, learner = self.tables[k], self.values, self.learner
        state = learner.decode(values.row(row))
        try:
            touched, results = learner.step(k, state)
        except ModelError as exc:
            raise self.locate(exc.within(step=self.depth + 1), sid) from None
        start, count = table.payloads[e][0], table.payloads[e][1]
        same = touched <= set(table.cols) and len(results) == count
        for b, (step, out) in enumerate(results if same else ()):
            t = start + b
            fail = table.failures[t]
            if step != table.steps[t] or isinstance(out, ActionFailure) != (fail is not None):
                same = False
            elif fail is not None:
                same = out == fail
            else:
                same = tuple(values.intern(c, learner.value(out, c)) for c in table.cols) == \
                    table.news[t]
            if not same:
                break
        if not same:
            instances = self.system.instances
            what = instances[k][6] if k < len(instances) else "a fault step"
            raise self.locate(ModelError(
                f"{what} is not deterministic: it did different things on two states that agree "
                f"on every field it reads ({self.columns_named(table.cols)}); actions must depend "
                "only on the state, their parameters and choose()", action=what), sid)
