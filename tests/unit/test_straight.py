"""Translated actions give the interpreter's successors: the same steps, in the same order,
to the same states with the same types, and the interpreter's failures and errors.

The default engine's state-by-state phase runs plain actions as translated code
(:mod:`lifecheck.modelling.straight`); the reference explorer runs them as written. The
law is checked on every spec's first states, and on models written to reach each
corner of the translation.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest

from lifecheck import (
    Crash,
    FrozenMap,
    Model,
    ModelError,
    Options,
    Process,
    Spec,
    action,
    always,
    durable,
    holds,
    parameter,
    require,
    role,
    volatile,
)
from lifecheck.cli.targets import load_targets
from lifecheck.contract import ActionFailure
from lifecheck.explore.bfs import explore
from lifecheck.explore.verdict import check_spec
from lifecheck.typed_values import same_typed

STATES_PER_SPEC = 400


def reachable(spec: Spec, limit: int) -> list[Any]:
    found: list[Any] = []
    options = Options(bounds=spec.bounds, check_deadlock=False, check_liveness=False)
    explore(spec.system(), options, on_state=lambda _, s: found.append(s) if len(found) < limit
            else None)
    return found


def assert_same_successors(system: Any, states: list[Any]) -> None:
    """The law: successors and state properties, translated and as written, agree."""
    straight = system.straight_steps().translate_all()
    predicates = straight.predicates(eager=True)
    as_written = {p.name: p.check for p in system.properties}
    for state in states:
        for name, check in predicates.items():
            assert check(state) is as_written[name](state), (name, state)
        written = system.successors(state)
        translated = straight.successors(state)
        assert [step for step, _ in translated] == [step for step, _ in written], state
        for (step, a), (_, b) in zip(translated, written, strict=True):
            if isinstance(b, ActionFailure):
                assert a == b, (state, step)
            else:
                assert same_typed(a, b), (state, step, a, b)


SPECS = load_targets(["specs"])


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_spec_steps_alike_translated_and_as_written(spec: Spec) -> None:
    system = spec.system()
    assert_same_successors(system, reachable(spec, STATES_PER_SPEC))


def test_the_translation_covers_the_classic_models_and_most_of_the_specs() -> None:
    """Not a law but a guard against the translation quietly covering less."""
    from lifecheck.models.classic.philosophers import Philosophers
    from lifecheck.models.classic.token_ring import TokenRing

    for model in (Philosophers(n=3), TokenRing(n=3, rounds=3)):
        steps = Spec("classic", model, holds()).system().straight_steps()
        assert steps.translated() and not steps.why_not, steps.why_not
    actions = translated = 0
    for spec in SPECS:
        steps = spec.system().straight_steps()
        names = {inst[4] for inst in steps.system.instances}
        actions += len(names)
        translated += len(steps.translated())
    assert translated >= 0.9 * actions, (translated, actions)


# -- corners ------------------------------------------------------------------------------

class Node(Process):
    pc = durable(0)
    seen = volatile(frozenset())
    votes = durable(0, count=2)


class Corners(Model):
    n = parameter(3)
    nodes = role(Node, count="n")
    turn = durable(0)
    log = durable(())
    table = durable(FrozenMap())
    slots = durable(False, count=3)
    LIMIT = 2

    def next_of(self, p: Node) -> int:
        return (p.index + 1) % self.n

    @action(Node)
    def advance(self, p):
        """A docstring, leading requires, a helper, a role indexed, an augmented field."""
        require(p.pc < self.LIMIT)
        require(self.turn == p.index)
        p.pc += 1
        nxt = self.nodes[self.next_of(p)]
        self.turn = nxt.index
        self.log = (*self.log, p.name) if len(self.log) < 2 else self.log
        if nxt.pc == p.pc:
            return
        nxt.seen = nxt.seen | {p.index}

    @action(Node, which=(0, 1))
    def vote(self, p, which):
        require(p.votes[which] == 0 and not all(s for s in self.slots))
        p.votes[which] = 1
        for i in range(len(self.slots)):
            if not self.slots[i]:
                self.slots[i] = True
                break
        self.table = self.table.set(p.name, sum(p.votes))

    @action(Node)
    def reset(self, p):
        require(p.pc == self.LIMIT and any(q.pc == 0 for q in self.nodes))
        for q in self.nodes:
            q.pc = 0 if q.index != p.index else q.pc
        total = sum(q.pc for q in self.nodes)
        assert total < 10, "too many"

    @action(Node)
    def divide(self, p):
        require(p.pc == 1 and self.turn == 2)
        self.turn = 10 // (p.pc - 1)  # fails: the interpreter's failure is the one kept

    @always
    def fine(self):
        return len(self.log) <= 2


def corners_spec() -> Spec:
    return Spec("corners", Corners(), holds(), faults=[Crash(max=1)])


def test_corners_translate_and_step_alike() -> None:
    spec = corners_spec()
    system = spec.system()
    steps = system.straight_steps()
    assert steps.translated() == ["advance", "divide", "reset", "vote"], steps.why_not
    states = reachable(spec, 5000)
    assert len(states) > 200
    assert_same_successors(system, states)
    failures = [out for s in states for _, out in steps.successors(s)
                if isinstance(out, ActionFailure)]
    assert failures and all("ZeroDivisionError" in f.message for f in failures)


def test_the_default_engine_reads_as_the_reference_on_the_corners() -> None:
    spec = corners_spec()
    a = check_spec(spec, Options(bounds=spec.bounds, engine="bfs"))
    b = check_spec(spec, Options(bounds=spec.bounds, engine="auto"))
    assert (a.verdict, a.stats.distinct_states, a.stats.transitions) == \
        (b.verdict, b.stats.distinct_states, b.stats.transitions)
    assert a.verdict == "violated"  # the failing division


class Leaky(Model):
    stash = durable(())

    @action()
    def keep(self):
        require(len(self.stash) == 0)
        self.stash = [1, 2]  # a list: refused as the interpreter refuses it


def test_a_mutable_value_is_refused_with_the_interpreters_error() -> None:
    spec = Spec("leaky", Leaky(), holds())
    system = spec.system()
    assert system.straight_steps().translated() == ["keep"]
    with pytest.raises(ModelError) as written:
        system.successors(system.init_states()[0])
    with pytest.raises(ModelError) as translated:
        system.straight_steps().successors(system.init_states()[0])
    assert str(translated.value) == str(written.value)


class Untranslated(Model):
    flag = durable(False)

    @action()
    def flip(self):
        with contextlib.suppress(ValueError):  # (a with: not translated)
            self.flag = not self.flag


def test_what_is_not_translated_runs_as_written_and_says_why() -> None:
    system = Spec("untranslated", Untranslated(), holds()).system()
    steps = system.straight_steps()
    assert steps.translated() == []
    assert "With" in steps.why_not["flip"]
    state = system.init_states()[0]
    assert steps.successors(state) == system.successors(state)


class Counted(Model):
    count = durable(0)

    @action()
    def tick(self):
        require(self.count < 2)
        self.count += 1

    @always
    def small(self):
        return self.count < 5

    @always
    def ordered(self):
        return sorted([self.count, 3], key=lambda v: -v)[0] == 3  # a lambda, read-only

    @always
    def numeric(self):
        return self.count  # not a bool: a mistake the interpreter words


def test_a_translated_property_answers_as_written_and_errs_as_written() -> None:
    system = Spec("counted", Counted(), holds()).system()
    checks = system.straight_steps().predicates(eager=True)
    assert set(checks) == {"Small", "Ordered", "Numeric"}
    written = {p.name: p.check for p in system.properties}
    state = system.init_states()[0]
    assert checks["Small"](state) is True
    with pytest.raises(ModelError) as translated:
        checks["Numeric"](state)
    with pytest.raises(ModelError) as as_written:
        written["Numeric"](state)
    assert str(translated.value) == str(as_written.value)


class Lazy(Model):
    a = durable(0)
    b = durable(0)

    @action()
    def late_read(self):
        require(self.a == 0)
        later = (x for x in (self.a, self.b) if x)  # made before the write, read after it
        pending = (self.a + 1 for _ in range(1))
        self.a = 1
        self.b = sum(later) + next(pending)


def test_a_generator_made_before_the_first_write_reads_what_is_written() -> None:
    system = Spec("lazy", Lazy(), holds()).system()
    steps = system.straight_steps()
    assert steps.translated() == ["late_read"]
    state = system.init_states()[0]
    assert_same_successors(system, [state])


class Tally(Process):
    level = durable(0)


class Folded(Model):
    """``any``, ``all`` and ``sum`` over a role: written out one term a process up to
    UNROLLED processes, a generator beyond; lazy either way."""

    n = parameter(3)
    tallies = role(Tally, count="n")

    @action(Tally)
    def rise(self, t):
        require(t.level < 2 and not all(u.level == 2 for u in self.tallies))
        require(any(u.level == 0 or 4 // u.level >= t.level for u in self.tallies))
        t.level += 1

    @always
    def bounded(self):
        return sum(t.level for t in self.tallies) <= 2 * self.n

    @always
    def lazy(self):
        # (the first process decides both; a term read past it would divide by zero)
        return any(t.index == 0 or 1 // (t.index - t.index) for t in self.tallies) and \
            not all(t.index > 0 and 1 // (t.index - t.index) == 0 for t in self.tallies)

    @always
    def alone(self):
        return sum(t.level for t in self.tallies) == sum(t.level for t in self.tallies if t.level)


def _generators(code: Any) -> int:
    """How many generator expressions a translated function (and what it nests) makes."""
    inner = [c for c in code.__code__.co_consts if hasattr(c, "co_name")] \
        if hasattr(code, "__code__") else [c for c in code.co_consts if hasattr(c, "co_name")]
    return sum((c.co_name == "<genexpr>") + _generators(c) for c in inner)


@pytest.mark.parametrize("n", [1, 3, 9])
def test_folds_over_a_role_step_alike_written_out_or_not(n: int) -> None:
    from lifecheck.modelling.straight.calls import UNROLLED

    spec = Spec(f"folded-{n}", Folded(n=n), holds(), properties=["Bounded", "Lazy", "Alone"])
    system = spec.system()
    steps = system.straight_steps()
    assert steps.translated() == ["rise"], steps.why_not
    checks = steps.predicates(eager=True)
    assert set(checks) == {"Bounded", "Lazy", "Alone"}
    states = reachable(spec, 3000)
    assert len(states) > n
    assert_same_successors(system, states)
    # Written out up to UNROLLED processes (Alone's second sum filters: a generator still).
    expected = 0 if n <= UNROLLED else 1
    assert _generators(checks["Bounded"].code) == expected
    assert _generators(checks["Lazy"].code) == 2 * expected
    assert _generators(checks["Alone"].code) == 1 + expected
    assert _generators(steps.plan[0][0]) == 2 * expected


def _stamped(x: int) -> int:  # a function of values: translated code calls it as written
    return x + int(time.time() > 0)


class Clocked(Model):
    ticks = durable(0)

    @action()
    def tick(self):
        require(self.ticks < 1)
        self.ticks = _stamped(self.ticks)


def test_a_clock_read_in_a_helper_run_from_translated_code_is_the_interpreters_error() -> None:
    """The read-only context is pushed where translated code follows a run as written, not
    around every instance: a helper run as written from translated code still meets the
    sandbox, the step then runs as written, and the interpreter's error is the one raised;
    the context stack is left as it was."""
    from lifecheck.modelling import runtime

    system = Spec("clocked", Clocked(), holds()).system()
    steps = system.straight_steps().translate_all()
    assert steps.translated() == ["tick"] and steps.plan[0][0] is not None
    state = system.init_states()[0]
    with pytest.raises(ModelError) as written:
        system.successors(state)
    with pytest.raises(ModelError) as translated:
        steps.successors(state)
    assert "time.time() was called in model code" in str(written.value)
    assert str(translated.value) == str(written.value)
    assert runtime._ACTIVE == []


def test_an_instance_is_translated_after_at_most_ten_thousand_runs_however_cheap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The JIT rule counts every run as written for at least LEAST_RUN: an instance whose
    lifted guard answers in a microsecond, and a property as cheap, are translated within
    10,000 runs, not after the 30,000 or so that HOT's seconds would take. On a clock that
    never moves every run counts for the floor alone: the worst case, where 10,000 floors
    subtracted from HOT leave a rounding error above zero."""
    from lifecheck.modelling.straight import steps as straight_steps
    from lifecheck.modelling.straight.steps import HOT, LEAST_RUN
    from lifecheck.models.classic.token_ring import TokenRing

    monkeypatch.setattr(straight_steps, "perf_counter", lambda: 0.0)

    assert HOT / LEAST_RUN == 10_000
    system = Spec("ring", TokenRing(n=3, rounds=10), holds()).system()
    steps = system.straight_steps()
    (_, state), = system.successors(system.init_states()[0])  # station 1 holds the token
    checks = steps.predicates()
    for _ in range(10_000):
        translated = steps.successors(state)
        held = checks["OneToken"](state)
    assert all(entry[0] is not None for entry in steps.plan), \
        [entry[2] for entry in steps.plan if entry[0] is None]
    assert checks["OneToken"].code is not None  # type: ignore[attr-defined]
    assert translated == system.successors(state) and held is True


def test_runs_as_written_are_timed_one_state_in_eight(monkeypatch: pytest.MonkeyPatch) -> None:
    """Timing every run as written (two clock reads, the arithmetic, the context taken off
    and put back per instance) cost a spec whose steps mostly run as written a third of
    its successors' time. One state in TIMED_EVERY is timed, each of its runs counting
    TIMED_EVERY times: the same heat in the long run, an eighth of the clock reads."""
    from lifecheck.modelling import runtime
    from lifecheck.modelling.straight import steps as straight_steps
    from lifecheck.modelling.straight.steps import HOT, LEAST_RUN, TIMED_EVERY
    from lifecheck.models.classic.token_ring import TokenRing

    reads: list[int] = []
    monkeypatch.setattr(straight_steps, "perf_counter", lambda: reads.append(1) or 0.0)
    system = Spec("ring", TokenRing(n=3, rounds=10), holds()).system()
    steps = system.straight_steps()
    (_, state), = system.successors(system.init_states()[0])
    checks = steps.predicates()
    states = 10 * TIMED_EVERY
    for _ in range(states):
        assert steps.successors(state) == system.successors(state)
        assert checks["OneToken"](state) is True
    assert len(reads) == 2 * 10 * (len(steps.plan) + 1)
    # (each run took no time on this clock: it counts for LEAST_RUN)
    assert [entry[4] for entry in steps.plan] == pytest.approx([HOT - states * LEAST_RUN] * len(steps.plan))
    assert checks["OneToken"].countdown == pytest.approx(HOT - states * LEAST_RUN)  # type: ignore[attr-defined]
    assert runtime._ACTIVE == []
