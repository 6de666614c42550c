"""Every reported counterexample is certified: replayed with the plain successor function.

* Every kind of violation ``check_spec`` reports (invariant, transition, an action
  that asserts or raises, deadlock, liveness by stutter and by fair loop, and
  ``sometimes``) certifies, on small models written with the public API, on the
  shipped specs (with both engines) and on random systems and random models.
* A tampered counterexample is refused with :class:`Uncertified`: a key that ends
  a step early, a wrong property, a state or step where the property actually
  holds, a deadlock claimed where a step is enabled, a failure claimed where the
  step runs normally, a loop that does not close (or closes only up to ``0 ==
  False``), an unfair loop, a stutter where a fair step is enabled, a goal that
  holds on the loop, a trigger that never held.
"""

from __future__ import annotations

import dataclasses
import itertools
import pickle
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck import (
    Crash,
    Model,
    Options,
    Process,
    Spec,
    Step,
    Strong,
    TransitionSystem,
    Weak,
    action,
    always,
    check_spec,
    durable,
    eventually,
    final,
    holds,
    leads_to,
    require,
    role,
    sometimes,
    transition,
    volatile,
)
from lifecheck.contract import (
    ALWAYS,
    EVENTUALLY,
    LEADS_TO,
    SOMETIMES,
    TRANSITION,
    ActionFailure,
    Fairness,
    Property,
)
from lifecheck.errors import ModelError
from lifecheck.explore.certify import Uncertified, certify, same_state
from lifecheck.explore.verdict import check_system
from lifecheck.modelling.spec import load_specs
from lifecheck.result import Result, Trace, TraceStep, Violation
from lifecheck.values import FrozenMap
from tests import reference as ref
from tests.engines.test_soundness import build_model, model_descs

ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------------------
# Small models written with the public API, one per kind of violation
# --------------------------------------------------------------------------------------


class Node(Process):
    x = durable(0)
    tmp = volatile(0)


class Counter(Model):
    """Invariant: x stays below 2 (it does not)."""

    nodes = role(Node)

    @action(Node)
    def inc(self, p):
        require(p.x < 3)
        p.x = p.x + 1

    @always
    def small(self):
        return all(n.x < 2 for n in self.nodes)

    @always
    def non_negative(self):
        return all(n.x >= 0 for n in self.nodes)

    @final
    def anywhere(self):
        return True


class Forgets(Model):
    """Transition: a volatile flag never drops (a crash drops it)."""

    nodes = role(Node)

    @action(Node)
    def mark(self, p):
        require(p.tmp == 0)
        p.tmp = 1

    @transition
    def mark_kept(before, after):
        return all(a.tmp >= b.tmp for b, a in zip(before.nodes, after.nodes, strict=True))

    @final
    def anywhere(self):
        return True


class Asserts(Model):
    nodes = role(Node)

    @action(Node)
    def inc(self, p):
        require(p.x == 0)
        p.x = 1

    @action(Node)
    def check(self, p):
        require(p.x == 1)
        assert p.x == 2, "x must be two"

    @final
    def anywhere(self):
        return True


class Raises(Model):
    nodes = role(Node)

    @action(Node)
    def inc(self, p):
        require(p.x == 0)
        p.x = 1

    @action(Node)
    def boom(self, p):
        require(p.x == 1)
        {}["missing"]  # raises KeyError

    @final
    def anywhere(self):
        return True


class Stuck(Model):
    nodes = role(Node)

    @action(Node)
    def go(self, p):
        require(p.x == 0)
        p.x = 1


class GivesUp(Model):
    """Eventually done: violated by stopping in "stuck" (a stutter)."""

    phase = durable("start")

    @action
    def finish(self):
        require(self.phase == "start")
        self.phase = "done"

    @action
    def give_up(self):
        require(self.phase == "start")
        self.phase = "stuck"

    @eventually
    def finishes(self):
        return self.phase == "done"

    @final
    def stopped(self):
        return self.phase != "start"


class Flips(Model):
    """Eventually done: violated by flipping for ever (finish is enabled only in "a")."""

    phase = durable("a")

    @action
    def flip(self):
        require(self.phase in ("a", "b"))
        self.phase = "b" if self.phase == "a" else "a"

    @action
    def finish(self):
        require(self.phase == "a")
        self.phase = "done"

    @eventually
    def finishes(self):
        return self.phase == "done"

    @final
    def done(self):
        return self.phase == "done"


class Requests(Model):
    """requested ~> granted: violated by toggling busy, which disables grant half the time."""

    requested = durable(False)
    granted = durable(False)
    busy = durable(0)

    @action
    def request(self):
        require(not self.requested)
        self.requested = True

    @action
    def toggle(self):
        require(not self.granted)
        self.busy = 1 - self.busy

    @action
    def grant(self):
        require(self.requested and not self.busy and not self.granted)
        self.granted = True

    @leads_to(lambda m: m.requested)
    def answered(self):
        return self.granted

    @final
    def done(self):
        return self.granted


SPECS = {
    "always": Spec("counter", Counter(), holds()),
    "transition": Spec("forgets", Forgets(), holds(), faults=[Crash(max=1)]),
    "assertion": Spec("asserts", Asserts(), holds()),
    "exception": Spec("raises", Raises(), holds()),
    "deadlock": Spec("stuck", Stuck(), holds()),
    "stutter": Spec("gives-up", GivesUp(), holds()),
    "loop": Spec("flips", Flips(), holds()),
    "leads_to": Spec("requests", Requests(), holds()),
}

KIND_OF = {"stutter": "liveness", "loop": "liveness", "leads_to": "liveness"}


def reported(name: str) -> tuple[TransitionSystem, Violation]:
    """The violation ``check_spec`` reports for one of the models above, and its system."""
    spec = SPECS[name]
    result = check_spec(spec)
    assert result.verdict == "violated", result.error
    kind = KIND_OF.get(name, name)
    (violation,) = [v for v in result.violations if v.kind == kind]
    return spec.system(), violation


def certify_all(spec: Spec, result: Result) -> None:
    system = spec.system()
    for violation in result.violations:
        certify(system, violation)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_what_check_spec_reports_certifies(name: str) -> None:
    spec = SPECS[name]
    result = check_spec(spec)
    assert result.verdict == "violated", result.error
    assert KIND_OF.get(name, name) in {v.kind for v in result.violations}
    certify_all(spec, result)


def test_reported_lassos_have_the_shape_the_tests_expect() -> None:
    _, stutter = reported("stutter")
    assert stutter.trace is not None and stutter.trace.stutter
    for name in ("loop", "leads_to"):
        _, loop = reported(name)
        assert loop.trace is not None and not loop.trace.stutter
        assert loop.trace.loop_start is not None


def test_a_fault_step_in_the_trace_certifies() -> None:
    system, violation = reported("transition")
    assert violation.trace is not None and violation.trace.steps[-1].fault
    certify(system, violation)


def test_sometimes_has_no_trace_to_certify() -> None:
    class Never(Model):
        x = durable(0)

        @action
        def stay(self):
            self.x = 0

        @sometimes
        def moves(self):
            return self.x == 1

    spec = Spec("never", Never(), holds())
    result = check_spec(spec)
    assert [v.kind for v in result.violations] == [SOMETIMES]
    certify_all(spec, result)


SHIPPED = [s for s in load_specs(str(ROOT / "specs")) if s.expect.verdict == "violated"]


@pytest.mark.parametrize("spec", SHIPPED, ids=[s.name for s in SHIPPED])
def test_every_violation_of_the_shipped_specs_certifies(spec: Spec) -> None:
    result = check_spec(spec)
    assert result.verdict == "violated", result.error
    certify_all(spec, result)


@pytest.mark.parametrize("spec", SHIPPED, ids=[s.name for s in SHIPPED])
def test_every_violation_the_vector_engine_reports_on_the_shipped_specs_certifies(spec: Spec) -> None:
    result = check_spec(spec, Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                                      check_liveness=False, engine="vector"))
    assert result.verdict != "error", result.error  # (some fail liveness only)
    certify_all(spec, result)


# --------------------------------------------------------------------------------------
# Tampered counterexamples are refused
# --------------------------------------------------------------------------------------


def tampered(violation: Violation, *, key: list[int] | None = None,
             steps: list[TraceStep] | None = None, **changes: Any) -> Violation:
    """A copy of ``violation`` with its trace (replay key, printed steps, loop) or its
    property or kind changed."""
    trace = violation.trace
    assert trace is not None
    trace_changes = {k: changes.pop(k) for k in ("loop_start", "stutter") if k in changes}
    new_trace = dataclasses.replace(trace, replay=list(trace.replay if key is None else key),
                                    steps=list(trace.steps if steps is None else steps),
                                    **trace_changes)
    return dataclasses.replace(violation, trace=new_trace, **changes)


def one_step_earlier(violation: Violation) -> Violation:
    trace = violation.trace
    assert trace is not None
    return tampered(violation, key=trace.replay[:-1], steps=trace.steps[:-1])


@pytest.mark.parametrize("name", ["always", "transition", "assertion", "exception", "deadlock",
                                  "loop", "leads_to"])
def test_a_key_ending_one_step_earlier_is_refused(name: str) -> None:
    system, violation = reported(name)
    with pytest.raises(Uncertified):
        certify(system, one_step_earlier(violation))


def test_a_stutter_one_step_earlier_is_refused() -> None:
    system, violation = reported("stutter")
    earlier = one_step_earlier(violation)
    with pytest.raises(Uncertified, match="loop_start"):
        certify(system, earlier)
    # Even with the stutter moved along: the state before has fair steps enabled.
    moved = tampered(earlier, loop_start=len(earlier.trace.steps))  # type: ignore[union-attr]
    with pytest.raises(Uncertified, match="enabled and fair"):
        certify(system, moved)


def test_an_invariant_claimed_one_state_early_is_refused_for_holding_there() -> None:
    system, violation = reported("always")
    with pytest.raises(Uncertified, match="holding in the last state"):
        certify(system, one_step_earlier(violation))


def test_a_key_shortened_under_the_printed_steps_is_refused() -> None:
    system, violation = reported("always")
    trace = violation.trace
    assert trace is not None
    with pytest.raises(Uncertified, match="printed step"):
        certify(system, tampered(violation, key=trace.replay[:-1]))


def test_printed_steps_other_than_the_replayed_ones_are_refused() -> None:
    system, violation = reported("always")
    trace = violation.trace
    assert trace is not None
    steps = [dataclasses.replace(s) for s in trace.steps]
    steps[0].label = "something_else"
    with pytest.raises(Uncertified, match="at step 1"):
        certify(system, tampered(violation, steps=steps))


@pytest.mark.parametrize(("name", "changes", "match"), [
    ("always", {"property": "NoSuchProperty"}, "no such property"),
    ("always", {"property": "NonNegative"}, "holding in the last state"),
    ("transition", {"property": "Small"}, "no such property"),
    ("assertion", {"property": "ExceptionInAction"}, "reported as"),
    ("assertion", {"kind": "exception", "property": "ExceptionInAction"}, "failing with an"),
    ("exception", {"kind": "assertion", "property": "AssertionInAction"}, "failing with an"),
    ("deadlock", {"property": "Stuck"}, "reported as"),
    ("loop", {"property": "NoSuchProperty"}, "no such property"),
    ("always", {"kind": "liveness"}, "no such property"),
])
def test_a_wrong_property_or_kind_is_refused(name: str, changes: dict[str, str],
                                             match: str) -> None:
    system, violation = reported(name)
    with pytest.raises(Uncertified, match=match):
        certify(system, tampered(violation, **changes))


# --------------------------------------------------------------------------------------
# Hand-written systems: precise claims, precisely refused
# --------------------------------------------------------------------------------------

Edge = tuple  # (process, action, target) or (process, action, target, is_fault)


class Table(TransitionSystem):
    """A core system given as labelled edges; a target may be an :class:`ActionFailure`."""

    def __init__(self, edges: dict[Hashable, list[Edge]] | list[tuple[Hashable, list[Edge]]],
                 inits: Sequence[Hashable] = (0,),
                 properties: Sequence[Property] = (), finals: frozenset = frozenset(),
                 unfair: frozenset[str] = frozenset(), strong: frozenset[str] = frozenset()
                 ) -> None:
        self.edges = edges
        self.inits = list(inits)
        self.properties = list(properties)
        self.finals = finals
        self.unfair = unfair
        self.strong = strong
        self.name = "table"

    def init_states(self) -> list[Hashable]:
        return list(self.inits)

    def successors(self, state: Hashable) -> list[tuple[Step, Any]]:
        out = []
        for edge in self._edges_of(state):
            process, act, target, *rest = edge
            is_fault = bool(rest and rest[0])
            out.append((Step(process, act, fault=act if is_fault else ""), target))
        return out

    def _edges_of(self, state: Hashable) -> list[Edge]:
        # Look states up with their types: 0 and False are different states here.
        # (A list of pairs, not a dict, can hold both.)
        rows = self.edges.items() if isinstance(self.edges, dict) else self.edges
        for known, edges in rows:
            if same_state(known, state):
                return edges
        return []

    def is_final(self, state: Hashable) -> bool:
        return state in self.finals

    def fairness(self) -> Fairness:
        unfair, strong = self.unfair, self.strong
        return Fairness(lambda s: None if s.is_fault or s.action in unfair
                        else (s.process, s.action), is_strong=lambda unit: unit[1] in strong)


def claim(system: TransitionSystem, prop: str, kind: str, key: list[int],
          loop_start: int | None = None, stutter: bool = False) -> Violation:
    """A violation as an engine would report it: its printed steps are what the key takes."""
    steps: list[TraceStep] = []
    state: Any = system.init_states()[key[0]] if key and 0 <= key[0] < len(
        system.init_states()) else None
    for n, k in enumerate(key[1:], start=1):
        if state is None or isinstance(state, ActionFailure):
            break
        succs = system.successors(state)
        if not 0 <= k < len(succs):
            break
        step, state = succs[k]
        steps.append(TraceStep(n, step.process, step.action, step.label(), step.fault))
    return Violation(prop, kind, "claimed", Trace({}, steps, list(key), loop_start, stutter))


BOOM = ActionFailure("assertion", "boom", "AssertionError")
CRASH = ActionFailure("exception", "crash", "KeyError")


def inv(bad: set[Hashable]) -> Property:
    return Property("Inv", ALWAYS, lambda s: s not in bad)


def test_an_invariant_claimed_where_it_holds_is_refused() -> None:
    system = Table({0: [("p", "a", 1)], 1: [("p", "a", 2)]}, properties=[inv({2})])
    certify(system, claim(system, "Inv", ALWAYS, [0, 0, 0]))
    with pytest.raises(Uncertified, match="holding in the last state"):
        certify(system, claim(system, "Inv", ALWAYS, [0, 0]))


def test_a_transition_claimed_across_a_fine_step_is_refused() -> None:
    prop = Property("NoDrop", TRANSITION, lambda a, b: b >= a)
    system = Table({0: [("p", "up", 1)], 1: [("p", "stay", 1), ("p", "down", 0)]},
                   properties=[prop])
    certify(system, claim(system, "NoDrop", TRANSITION, [0, 0, 1]))
    with pytest.raises(Uncertified, match="holding across p stay"):
        certify(system, claim(system, "NoDrop", TRANSITION, [0, 0, 0]))
    with pytest.raises(Uncertified, match="initial state only"):
        certify(system, claim(system, "NoDrop", TRANSITION, [0]))


def test_a_failure_claimed_where_the_step_runs_normally_is_refused() -> None:
    # The vector engine's false alarm: an action reported as failing that runs normally.
    system = Table({0: [("p", "fine", 1), ("p", "bad", BOOM), ("p", "worse", CRASH)]})
    certify(system, claim(system, "AssertionInAction", "assertion", [0, 1]))
    certify(system, claim(system, "ExceptionInAction", "exception", [0, 2]))
    with pytest.raises(Uncertified, match="the step running normally"):
        certify(system, claim(system, "AssertionInAction", "assertion", [0, 0]))
    with pytest.raises(Uncertified, match="failing with an assertion"):
        certify(system, claim(system, "ExceptionInAction", "exception", [0, 1]))


def test_a_deadlock_claimed_where_a_step_is_enabled_is_refused() -> None:
    system = Table({0: [("p", "a", 1)], 1: [("p", "b", 2)], 2: [("env", "crash", 0, True)]},
                   finals=frozenset({3}))
    certify(system, claim(system, "Deadlock", "deadlock", [0, 0, 0]))  # only a fault left
    with pytest.raises(Uncertified, match="enabled step"):
        certify(system, claim(system, "Deadlock", "deadlock", [0, 0]))
    final_system = Table({0: [("p", "a", 3)]}, finals=frozenset({3}))
    with pytest.raises(Uncertified, match="final state"):
        certify(final_system, claim(final_system, "Deadlock", "deadlock", [0, 0]))


def test_a_deadlock_claimed_after_a_failed_step_is_refused() -> None:
    system = Table({0: [("p", "bad", BOOM)]})
    with pytest.raises(Uncertified, match="failing"):
        certify(system, claim(system, "Deadlock", "deadlock", [0, 0]))


def goal(states: set[Hashable]) -> Property:
    return Property("Goal", EVENTUALLY, lambda s: s in states)


def p_leads_to_q(p: set[Hashable], q: set[Hashable]) -> Property:
    return Property("PQ", LEADS_TO, lambda s: s in q, trigger=lambda s: s in p)


# 0 -> 1 -> 2 -> 1 (a loop), 2 -> 3 is the goal; "escape" is enabled only in 2.
CYCLE = {0: [("p", "a", 1)], 1: [("p", "b", 2)], 2: [("p", "c", 1), ("p", "escape", 3)]}


def test_a_lasso_whose_loop_does_not_close_is_refused() -> None:
    system = Table(CYCLE, properties=[goal({3})])
    certify(system, claim(system, "Goal", "liveness", [0, 0, 0, 0], loop_start=1))
    with pytest.raises(Uncertified, match="loop to close"):
        certify(system, claim(system, "Goal", "liveness", [0, 0, 0], loop_start=1))
    with pytest.raises(Uncertified, match="loop to close"):
        certify(system, claim(system, "Goal", "liveness", [0, 0, 0, 0], loop_start=0))


def test_a_loop_that_closes_only_up_to_zero_equals_false_is_refused() -> None:
    # False -> 0 -> False: a loop of two states that Python's == calls one.
    system = Table([(False, [("p", "to_int", 0)]), (0, [("p", "to_bool", False)])],
                   inits=[False], properties=[goal({5})])
    certify(system, claim(system, "Goal", "liveness", [0, 0, 0], loop_start=0))
    with pytest.raises(Uncertified, match="loop to close"):
        certify(system, claim(system, "Goal", "liveness", [0, 0], loop_start=0))


def test_a_loop_where_a_fair_action_enabled_throughout_is_never_taken_is_refused() -> None:
    system = Table({0: [("p", "spin", 0), ("q", "escape", 1)]}, properties=[goal({1})])
    with pytest.raises(Uncertified, match="never taken"):
        certify(system, claim(system, "Goal", "liveness", [0, 0], loop_start=0))
    # Not fair, it may be ignored for ever.
    lazy = Table(system.edges, properties=[goal({1})], unfair=frozenset({"escape"}))
    certify(lazy, claim(lazy, "Goal", "liveness", [0, 0], loop_start=0))


def test_a_fair_class_enabled_only_on_part_of_the_loop_is_not_owed() -> None:
    system = Table(CYCLE, properties=[goal({3})])
    certify(system, claim(system, "Goal", "liveness", [0, 0, 0, 0], loop_start=1))


def test_a_strongly_fair_class_enabled_on_part_of_the_loop_is_owed() -> None:
    """``escape`` is enabled in state 2 only: weak fairness lets the loop 1 -> 2 -> 1
    ignore it, strong fairness does not."""
    weak = Table(CYCLE, properties=[goal({3})])
    certify(weak, claim(weak, "Goal", "liveness", [0, 0, 0, 0], loop_start=1))
    strong = Table(CYCLE, properties=[goal({3})], strong=frozenset({"escape"}))
    with pytest.raises(Uncertified, match=r"strongly fair loop.*'p', 'escape'.* never taken"):
        certify(strong, claim(strong, "Goal", "liveness", [0, 0, 0, 0], loop_start=1))


def test_a_fair_class_enabled_throughout_and_taken_once_is_paid() -> None:
    # Both steps of p's move are one fairness class: taking either pays for it.
    edges = {0: [("p", "move", 1), ("q", "poke", 0)], 1: [("p", "move", 0), ("q", "poke", 1)]}
    system = Table(edges, properties=[goal({5})])
    with pytest.raises(Uncertified, match="'q', 'poke'"):
        certify(system, claim(system, "Goal", "liveness", [0, 0, 0], loop_start=0))
    certify(system, claim(system, "Goal", "liveness", [0, 0, 1, 0], loop_start=0))


def test_a_stutter_claimed_where_a_fair_step_is_enabled_is_refused() -> None:
    system = Table({0: [("p", "a", 1)], 1: [("p", "spin", 1)]}, properties=[goal({2})])
    with pytest.raises(Uncertified, match="p spin enabled and fair"):
        certify(system, claim(system, "Goal", "liveness", [0, 0], loop_start=1, stutter=True))
    # A fault or an unfair step may never happen: stopping there is a behaviour.
    faulty = Table({0: [("p", "a", 1)], 1: [("env", "crash", 0, True)]}, properties=[goal({2})])
    certify(faulty, claim(faulty, "Goal", "liveness", [0, 0], loop_start=1, stutter=True))
    lazy = Table(system.edges, properties=[goal({2})], unfair=frozenset({"spin"}))
    certify(lazy, claim(lazy, "Goal", "liveness", [0, 0], loop_start=1, stutter=True))


def test_a_fair_step_that_fails_still_forbids_a_stutter() -> None:
    # The engine counts a step whose action raises as enabled: it is taken, and fails.
    system = Table({0: [("p", "bad", BOOM)]}, properties=[goal({2})])
    with pytest.raises(Uncertified, match="enabled and fair"):
        certify(system, claim(system, "Goal", "liveness", [0], loop_start=0, stutter=True))


def test_a_stutter_must_start_at_the_last_state() -> None:
    system = Table({0: [("p", "a", 1)]}, properties=[goal({2})])
    certify(system, claim(system, "Goal", "liveness", [0, 0], loop_start=1, stutter=True))
    certify(system, claim(system, "Goal", "liveness", [0, 0], stutter=True))
    with pytest.raises(Uncertified, match="loop_start"):
        certify(system, claim(system, "Goal", "liveness", [0, 0], loop_start=0, stutter=True))


@pytest.mark.parametrize("loop_start", [None, -1, 3, 4])
def test_a_loop_start_outside_the_trace_is_refused(loop_start: int | None) -> None:
    system = Table(CYCLE, properties=[goal({3})])
    with pytest.raises(Uncertified, match="loop start"):
        certify(system, claim(system, "Goal", "liveness", [0, 0, 0, 0], loop_start=loop_start))


def test_a_goal_that_holds_on_the_loop_or_before_it_is_refused() -> None:
    system = Table(CYCLE, properties=[goal({2})])
    with pytest.raises(Uncertified, match="goal holding"):
        certify(system, claim(system, "Goal", "liveness", [0, 0, 0, 0], loop_start=1))
    # eventually: the goal may not hold anywhere, the stem included.
    stem = Table(CYCLE, properties=[goal({0})])
    with pytest.raises(Uncertified, match="goal holding"):
        certify(stem, claim(stem, "Goal", "liveness", [0, 0, 0, 0], loop_start=1))


def test_leads_to_needs_the_trigger_after_the_goal_last_held() -> None:
    edges = {**CYCLE, 3: [("p", "d", 3)]}
    ok = Table(edges, properties=[p_leads_to_q({0}, {3})])
    certify(ok, claim(ok, "PQ", "liveness", [0, 0, 0, 0], loop_start=1))
    # A trigger on the loop itself is a trigger visited for ever.
    on_loop = Table(edges, properties=[p_leads_to_q({2}, {3})])
    certify(on_loop, claim(on_loop, "PQ", "liveness", [0, 0, 0, 0], loop_start=1))
    never = Table(edges, properties=[p_leads_to_q({3}, {4})])
    with pytest.raises(Uncertified, match="trigger never holding"):
        certify(never, claim(never, "PQ", "liveness", [0, 0, 0, 0], loop_start=1))
    # The trigger held only before the goal did: that request was answered.
    answered = Table(edges, properties=[p_leads_to_q({0}, {1})])
    with pytest.raises(Uncertified):
        certify(answered, claim(answered, "PQ", "liveness", [0, 0, 0, 0], loop_start=1))


def test_a_lasso_through_a_failed_step_is_refused() -> None:
    system = Table({0: [("p", "bad", BOOM)]}, properties=[goal({2})])
    with pytest.raises(Uncertified, match="failing"):
        certify(system, claim(system, "Goal", "liveness", [0, 0], loop_start=1, stutter=True))


@pytest.mark.parametrize(("key", "match"), [
    ([], "empty replay key"),
    ([1], "initial state #1"),
    ([-1], "initial state #-1"),
    ([0, 1], "enabled step #1"),
    ([0, -1], "enabled step #-1"),
    ([0, True], "enabled step #True"),
    ([0, 0, 0], "failure of step 1"),
])
def test_a_key_that_cannot_be_followed_is_refused(key: list[Any], match: str) -> None:
    system = Table({0: [("p", "bad", BOOM)]})
    violation = Violation("AssertionInAction", "assertion", "claimed", Trace({}, [], key))
    with pytest.raises(Uncertified, match=match):
        certify(system, violation)


def test_unknown_kinds_missing_traces_and_misplaced_loops_are_refused() -> None:
    system = Table({0: [("p", "a", 1)]}, properties=[inv({1})])
    good = claim(system, "Inv", ALWAYS, [0, 0])
    certify(system, good)
    with pytest.raises(Uncertified, match="kind 'divergence'"):
        certify(system, tampered(good, kind="divergence"))
    with pytest.raises(Uncertified, match="no trace"):
        certify(system, dataclasses.replace(good, trace=None))
    with pytest.raises(Uncertified, match="marked as a lasso"):
        certify(system, tampered(good, loop_start=0))


def test_sometimes_is_checked_only_for_naming_a_sometimes_property() -> None:
    system = Table({0: []}, properties=[Property("Ever", SOMETIMES, lambda s: False)])
    certify(system, Violation("Ever", SOMETIMES, "no reachable state satisfies it"))
    with pytest.raises(Uncertified, match="no such property"):
        certify(system, Violation("Never", SOMETIMES, "no reachable state satisfies it"))


def test_the_message_says_what_where_and_that_it_is_an_engine_bug() -> None:
    system = Table({0: [("p", "a", 1)], 1: [("p", "a", 2)]}, properties=[inv({2})])
    with pytest.raises(Uncertified) as info:
        certify(system, claim(system, "Inv", ALWAYS, [0, 0]))
    error = info.value
    text = str(error)
    assert "Inv" in text and "at step 1" in text
    assert "a state where Inv is false" in text and "Inv holding in the last state" in text
    assert "bug in lifecheck's engine" in text and "report it" in text and "spec" in text
    assert (error.property, error.step) == ("Inv", 1)
    assert not isinstance(error, ModelError)  # an internal error, never bad input
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == text and copy.step == 1


def test_a_property_that_raises_is_bad_input_not_an_engine_bug() -> None:
    def refuses(state: Any) -> bool:
        raise ModelError("the property cannot read this")

    def divides(state: Any) -> bool:
        return 1 / state > 0

    system = Table({1: [("p", "a", 0)]}, inits=[1],
                   properties=[Property("Refuses", ALWAYS, refuses),
                               Property("Divides", ALWAYS, divides)])
    with pytest.raises(ModelError, match="cannot read this"):
        certify(system, claim(system, "Refuses", ALWAYS, [0]))
    with pytest.raises(ModelError, match="Divides raised ZeroDivisionError"):
        certify(system, claim(system, "Divides", ALWAYS, [0, 0]))


# --------------------------------------------------------------------------------------
# Comparing states with their types
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Pair:
    a: Any
    b: Any


@pytest.mark.parametrize(("a", "b"), [
    (0, False),
    (1, True),
    (1, 1.0),
    (0.0, -0.0),
    ((0, 1), (False, 1)),
    (("x", (0,)), ("x", (False,))),
    (frozenset({0, 2}), frozenset({False, 2})),
    (frozenset({(0,)}), frozenset({(False,)})),
    (FrozenMap({1: "a"}), FrozenMap({True: "a"})),
    (FrozenMap({"k": 0}), FrozenMap({"k": False})),
    (Pair(0, "x"), Pair(False, "x")),
    (Pair((1,), None), Pair((1.0,), None)),
    ((1, 2), [1, 2]),
    ((1,), (1, 2)),
    (FrozenMap({"k": 0}), FrozenMap({"k": 0, "j": 0})),
])
def test_same_state_tells_apart_what_only_type_separates(a: Any, b: Any) -> None:
    assert not same_state(a, b)
    assert not same_state(b, a)


@pytest.mark.parametrize("value", [
    0, False, 1.5, "s", None, (0, (False, "x")), frozenset({0, (1, True)}),
    FrozenMap({0: (False,), "k": frozenset({1})}), Pair(0, FrozenMap({True: 0})), float("nan"),
])
def test_same_state_is_equality_on_equal_types(value: Any) -> None:
    assert same_state(value, value)
    assert same_state(value, pickle.loads(pickle.dumps(value))) or value != value


_ATOMS = st.sampled_from([0, 1, 2, False, True, 0.0, -0.0, 1.0, "a", b"", None])
_VALUES = st.recursive(_ATOMS, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(tuple), st.frozensets(inner, max_size=3),
    st.dictionaries(inner, inner, max_size=2).map(FrozenMap), st.builds(Pair, inner, inner)),
    max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(_VALUES, _VALUES)
def test_same_state_agrees_with_the_dedup_key_where_there_is_one(a: Any, b: Any) -> None:
    # Written apart on purpose (certification must not share the engine's code), and
    # checked against the typed equality deduplication uses, when the tree has one.
    typed_values = pytest.importorskip("lifecheck.typed_values")
    same_typed = getattr(typed_values, "same_typed", None)
    if same_typed is None:
        pytest.skip("lifecheck.typed_values has no same_typed")
    assert same_state(a, b) == same_typed(a, b)
    assert same_state(a, a)


def test_certification_does_not_use_the_engines_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    system, violation = reported("loop")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("certify must walk the key itself")

    import lifecheck.replay

    monkeypatch.setattr(lifecheck.replay, "replay", broken)
    certify(system, violation)


# --------------------------------------------------------------------------------------
# Random systems: whatever the engine reports certifies
# --------------------------------------------------------------------------------------


class RandomSystem(TransitionSystem):
    """Random edges over int states, with failing steps, faults, unfair and strongly fair actions,
    finals and one property of every kind."""

    def __init__(self, n: int, inits: list[int], edges: list[list[tuple[int, int, int, bool]]],
                 sets: dict[str, frozenset[int]], forbidden: frozenset[tuple[int, int]],
                 unfair: frozenset[str], strong: frozenset[str]) -> None:
        self.n = n
        self.inits = inits
        self.table = edges
        self.finals = sets["final"]
        self.unfair = unfair
        self.strong = strong
        self.name = "random"
        self.properties = [
            Property("Inv", ALWAYS, lambda s: s not in sets["bad"]),
            Property("Ever", SOMETIMES, lambda s: s in sets["seen"]),
            Property("Step", TRANSITION, lambda a, b: (a, b) not in forbidden),
            Property("Goal", EVENTUALLY, lambda s: s in sets["goal"]),
            Property("PQ", LEADS_TO, lambda s: s in sets["q"], trigger=lambda s: s in sets["p"]),
        ]

    def init_states(self) -> list[int]:
        return list(self.inits)

    def successors(self, state: int) -> list[tuple[Step, Any]]:
        out: list[tuple[Step, Any]] = []
        for process, act, target, is_fault in self.table[state]:
            if is_fault:
                out.append((Step("env", "crash", fault="crash"), target % self.n))
            elif target < 0:
                out.append((Step(f"p{process}", f"a{act}"), BOOM if target == -1 else CRASH))
            else:
                out.append((Step(f"p{process}", f"a{act}"), target))
        return out

    def is_final(self, state: int) -> bool:
        return state in self.finals

    def fairness(self) -> Fairness:
        unfair, strong = self.unfair, self.strong
        return Fairness(lambda s: None if s.is_fault or s.action in unfair
                        else (s.process, s.action), is_strong=lambda unit: unit[1] in strong)


@st.composite
def random_systems(draw: Any) -> RandomSystem:
    n = draw(st.integers(1, 7))
    states = st.integers(0, n - 1)
    edge = st.tuples(st.integers(0, 1), st.integers(0, 2),
                     st.one_of(states, states, states, st.integers(-2, -1)),
                     st.sampled_from([False, False, False, True]))
    edges = draw(st.lists(st.lists(edge, max_size=4), min_size=n, max_size=n))
    inits = draw(st.lists(states, min_size=1, max_size=2))
    subset = st.frozensets(states, max_size=n)
    sets = {name: draw(subset) for name in ("final", "bad", "seen", "goal", "p", "q")}
    forbidden = draw(st.frozensets(st.tuples(states, states), max_size=3))
    unfair = draw(st.frozensets(st.sampled_from(["a0", "a1", "a2"]), max_size=2))
    strong = draw(st.frozensets(st.sampled_from(["a0", "a1", "a2"]), max_size=2))
    return RandomSystem(n, inits, edges, sets, forbidden, unfair, strong)


@settings(max_examples=150, deadline=None)
@given(random_systems())
def test_every_violation_reported_on_a_random_system_certifies(system: RandomSystem) -> None:
    result = Result("random", "random", "error")
    check_system(system, Options(), result)
    for violation in result.violations:
        certify(system, violation)


def _checked(desc: ref.ModelDesc, data: Any) -> Model:
    """A random model with an invariant, a transition property, an eventually and an
    action that asserts, over its first process's first field."""
    base = type(build_model(desc))
    attr = desc.roles[0].attr
    domain = desc.roles[0].fields[0].domain
    bad, goal_value, fail_at = (data.draw(st.integers(0, domain - 1)) for _ in range(3))

    def first(m: Any) -> Any:
        return getattr(m, attr)[0].f0

    def checks(m: Any) -> None:
        assert first(m) != fail_at, "f0 hit the failing value"

    namespace: dict[str, Any] = {
        "inv": always(lambda m: first(m) != bad, name="Inv"),
        "up": transition(lambda a, b: first(b) >= first(a), name="Up"),
        "reaches": eventually(lambda m: first(m) == goal_value, name="Reaches"),
        "checks": action(checks),
    }
    return type("Checked", (base,), namespace)()


def _random_fairness(model: Model, data: Any) -> list[Any] | None:
    """None (every action weakly fair), or each action under at most one rule of a drawn
    strength and unit: rules never overlap, so the spec is accepted."""
    if data.draw(st.booleans()):
        return None
    groups: dict[tuple[type, str], list[str]] = {}
    for name in model.action_decls():
        choice = data.draw(st.sampled_from([None, *itertools.product(
            (Weak, Strong), ("process", "action", "instance"))]))
        if choice is not None:
            groups.setdefault(choice, []).append(name)
    return [kind(*names, per=per) for (kind, per), names in groups.items()]


@settings(max_examples=30, deadline=None)
@given(model_descs(), st.data())
def test_every_violation_reported_on_a_random_model_certifies(desc: ref.ModelDesc,
                                                              data: Any) -> None:
    model = _checked(desc, data)
    fairness = _random_fairness(model, data)
    for budget in (0, 1):
        spec = Spec("random", model, holds(), faults=[Crash(max=budget)], fairness=fairness)
        system = spec.system()
        runs: list[tuple[str, Callable[[], Result]]] = [
            ("bfs", lambda s=spec: check_spec(s)),
            ("vector", lambda s=spec: check_spec(s, Options(check_liveness=False,
                                                            engine="vector"))),
        ]
        for engine, run in runs:
            result = run()
            assert result.verdict != "error", (engine, result.error)
            for violation in result.violations:
                certify(system, violation)
