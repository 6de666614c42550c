"""Liveness under weak and strong fairness on small hand-built systems with known answers.

Each lasso the checker prints is checked independently of the checker: its replay
key is followed with ``successors`` step by step, every state it passes violates
the goal, the loop comes back to the state it started from, the loop is itself
fair (each weakly fair class enabled all around it is taken on it, each strongly
fair class enabled anywhere on it is taken on it), and a stutter ends where no
fair step is enabled. A random test compares the verdict with a brute-force search
over every set of states (tests/reference.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck import Options, Step, TransitionSystem
from lifecheck.contract import EVENTUALLY, LEADS_TO, Fairness, Property
from lifecheck.explore import liveness, strong_components
from lifecheck.explore.verdict import check_system
from lifecheck.replay import replay
from lifecheck.result import Result, Violation
from tests import liveness_by_state as by_state
from tests import reference as ref

# An edge: (process, action, target, is_fault), or with parameter values after them.
Edge = tuple[Any, ...]


class GraphSystem(TransitionSystem):
    """A core system given as a table of labelled edges over int states.

    Every step that is not a fault is fair: strongly for the actions in ``strong``,
    weakly otherwise, one unit per (process, action), or per (process, action,
    parameter values) when ``per`` is ``"instance"``.
    """

    def __init__(self, inits: list[int], edges: dict[int, list[Edge]],
                 properties: list[Property], strong: frozenset[str] = frozenset(),
                 per: str = "action") -> None:
        self.inits = inits
        self.edges = edges
        self.properties = properties
        self.name = "graph"
        self.strong = strong
        self.per = per

    def init_states(self) -> list[int]:
        return list(self.inits)

    def successors(self, state: int) -> list[tuple[Step, int]]:
        out = []
        for process, act, target, is_fault, *params in self.edges.get(state, []):
            out.append((Step(process, act, tuple(("v", v) for v in params),
                             fault=act if is_fault else ""), target))
        return out

    def fairness(self) -> Fairness:
        strong, per = self.strong, self.per

        def classify(step: Step) -> Hashable | None:
            if step.is_fault:
                return None
            if per == "instance":
                return (step.process, step.action, step.params)
            return (step.process, step.action)

        return Fairness(classify, "test fairness", is_strong=lambda unit: unit[1] in strong)


def eventually(goal: set[int]) -> Property:
    return Property("Goal", EVENTUALLY, lambda s: s in goal)


def leads_to(trigger: set[int], goal: set[int]) -> Property:
    return Property("PLeadsToQ", LEADS_TO, lambda s: s in goal, trigger=lambda s: s in trigger)


def check(system: TransitionSystem) -> Result:
    result = Result("liveness", "graph", "error")
    check_system(system, Options(check_deadlock=False), result)
    return result


def check_both_ways(system: TransitionSystem) -> Result:
    """The result, which must be the same with the components found by scipy (as
    graphs of ``COMPILED_FROM`` steps or more are) as by the Python search, and the
    same as the state-by-state search's (tests/liveness_by_state.py) to the very lasso."""
    result = check(system)
    with mock.patch.object(strong_components, "COMPILED_FROM", 0):
        compiled = check(system)
    with mock.patch.object(liveness, "_leads_to", by_state.leads_to):
        by_states = check(system)
    assert lasso_keys(compiled) == lasso_keys(result) == lasso_keys(by_states)
    assert compiled.verdict == result.verdict == by_states.verdict
    return result


def lasso_keys(result: Result) -> list[tuple[str, Any, Any]]:
    """Each violation's property, replay key, where its loop starts and whether it stutters."""
    return [(v.property, v.trace.replay, v.trace.loop_start, v.trace.stutter) if v.trace
            else (v.property, None, None, None) for v in result.violations]


def walk(system: TransitionSystem, key: list[int]) -> tuple[list[Hashable], list[Step]]:
    """Follow a replay key with ``successors`` alone: the states passed and the steps taken."""
    states = [system.init_states()[key[0]]]
    steps = []
    for k in key[1:]:
        step, out = system.successors(states[-1])[k]
        steps.append(step)
        states.append(out)
    return states, steps


def assert_valid_lasso(system: TransitionSystem, violation: Violation,
                       goal: Callable[[Hashable], bool], whole_trace_bad: bool) -> None:
    trace = violation.trace
    assert trace is not None and trace.loop_start is not None
    key = trace.replay
    # The replay key rebuilds the trace the checker printed.
    rebuilt, end = replay(system, key)
    assert [s.label for s in rebuilt.steps] == [s.label for s in trace.steps]
    states, steps = walk(system, key)
    assert end == states[-1]
    start = trace.loop_start
    assert all(not goal(s) for s in states[start:]), "a state on the loop satisfies the goal"
    if whole_trace_bad:
        assert all(not goal(s) for s in states), "eventually: no state may satisfy the goal"
    classify = system.fairness().classify
    if trace.stutter:
        assert len(trace.steps) == start
        enabled = {classify(s) for s, _ in system.successors(states[-1])} - {None}
        assert not enabled, "a stutter must end where no fair step is enabled"
        return
    assert len(trace.steps) > start, "a loop has at least one step"
    _, loop_start_state = replay(system, key[: start + 1])
    assert hash(loop_start_state) == hash(end) and loop_start_state == end
    loop_states = states[start:-1]
    enabled = [{classify(s) for s, _ in system.successors(st_)} - {None} for st_ in loop_states]
    always_enabled = set.intersection(*enabled)
    taken = {classify(s) for s in steps[start:]} - {None}
    assert always_enabled <= taken, "the printed loop is not weakly fair"
    is_strong = system.fairness().is_strong
    assert {c for c in set().union(*enabled) if is_strong(c)} <= taken, \
        "the printed loop is not strongly fair"


def only(result: Result) -> Violation:
    (violation,) = result.violations
    return violation


# --------------------------------------------------------------------------------------
# Known answers
# --------------------------------------------------------------------------------------


def test_fair_cycle_that_never_reaches_the_goal_is_violated() -> None:
    system = GraphSystem([0], {0: [("p", "a", 1, False)], 1: [("p", "b", 0, False)],
                               9: [("p", "x", 9, False)]}, [eventually({9})])
    result = check(system)
    assert result.verdict == "violated"
    violation = only(result)
    assert violation.property == "Goal" and violation.kind == "liveness"
    assert not violation.trace.stutter
    assert [s.action for s in violation.trace.steps[violation.trace.loop_start:]]
    assert_valid_lasso(system, violation, lambda s: s == 9, whole_trace_bad=True)


def test_escape_enabled_only_on_part_of_a_cycle_is_not_forced() -> None:
    """0 <-> 1, and ``c`` to the goal only from 1: weak fairness does not force ``c``."""
    system = GraphSystem([0], {0: [("p", "a", 1, False)],
                               1: [("p", "b", 0, False), ("p", "c", 2, False)],
                               2: [("p", "idle", 2, False)]}, [eventually({2})])
    result = check(system)
    assert result.verdict == "violated"
    violation = only(result)
    assert_valid_lasso(system, violation, lambda s: s == 2, whole_trace_bad=True)
    # The printed loop passes state 0, where c is disabled (a reader can check fairness).
    states, _ = walk(system, violation.trace.replay)
    assert 0 in states[violation.trace.loop_start:]


def test_cycle_is_unfair_when_an_always_enabled_action_is_never_taken() -> None:
    system = GraphSystem([0], {0: [("p", "spin", 0, False), ("p", "go", 1, False)],
                               1: [("p", "idle", 1, False)]}, [eventually({1})])
    assert check(system).verdict == "holds"


def test_one_fair_class_enabled_all_around_a_longer_cycle_is_forced() -> None:
    """``p.go`` is enabled in both 0 and 1 (one class): the cycle 0 <-> 1 is unfair."""
    system = GraphSystem([0], {0: [("p", "a", 1, False), ("p", "go", 2, False)],
                               1: [("p", "b", 0, False), ("p", "go", 2, False)],
                               2: [("p", "idle", 2, False)]}, [eventually({2})])
    assert check(system).verdict == "holds"


def test_different_processes_are_different_fairness_classes() -> None:
    """The same escape by two processes, each enabled on only half of the cycle: violated."""
    system = GraphSystem([0], {0: [("p", "a", 1, False), ("p", "go", 2, False)],
                               1: [("p", "b", 0, False), ("q", "go", 2, False)],
                               2: [("p", "idle", 2, False)]}, [eventually({2})])
    result = check(system)
    assert result.verdict == "violated"
    assert_valid_lasso(system, only(result), lambda s: s == 2, whole_trace_bad=True)


def test_terminal_state_without_the_goal_is_violated_by_stuttering() -> None:
    system = GraphSystem([0], {0: [("p", "a", 1, False)], 1: []}, [eventually({2})])
    result = check(system)
    assert result.verdict == "violated"
    violation = only(result)
    assert violation.trace.stutter
    assert len(violation.trace.steps) == 1
    assert_valid_lasso(system, violation, lambda s: s == 2, whole_trace_bad=True)


def test_state_with_only_fault_steps_is_violated_by_stuttering() -> None:
    """Faults are not fair: they may stop happening, so the behaviour may stay in state 1."""
    system = GraphSystem([0], {0: [("p", "a", 1, False)],
                               1: [("p", "crash", 2, True)],
                               2: [("p", "idle", 2, False)]}, [eventually({2})])
    result = check(system)
    assert result.verdict == "violated"
    violation = only(result)
    assert violation.trace.stutter
    _, end = replay(system, violation.trace.replay)
    assert end == 1
    assert_valid_lasso(system, violation, lambda s: s == 2, whole_trace_bad=True)


def test_leads_to_whose_trigger_never_holds_holds() -> None:
    system = GraphSystem([0], {0: [("p", "a", 1, False)], 1: [("p", "b", 0, False)]},
                         [leads_to(set(), {5})])
    assert check(system).verdict == "holds"


def test_leads_to_violated_after_the_trigger() -> None:
    """0 -> 1 (trigger) -> 2 <-> 3, goal 4 never reached: violated from the trigger on."""
    system = GraphSystem([0], {0: [("p", "a", 1, False)], 1: [("p", "b", 2, False)],
                               2: [("p", "c", 3, False)], 3: [("p", "d", 2, False)]},
                         [leads_to({1}, {4})])
    result = check(system)
    assert result.verdict == "violated"
    violation = only(result)
    states, _ = walk(system, violation.trace.replay)
    assert 1 in states, "the trace passes the state where the trigger holds"
    assert_valid_lasso(system, violation, lambda s: s == 4, whole_trace_bad=False)


def test_leads_to_with_goal_in_the_trigger_state_holds() -> None:
    system = GraphSystem([0], {0: [("p", "a", 1, False)], 1: [("p", "b", 1, False)]},
                         [leads_to({1}, {1})])
    assert check(system).verdict == "holds"


def test_eventually_holds_when_every_path_reaches_the_goal() -> None:
    system = GraphSystem([0], {0: [("p", "a", 1, False), ("p", "b", 2, False)],
                               1: [("p", "c", 3, False)], 2: [("p", "d", 3, False)],
                               3: [("p", "idle", 3, False)]}, [eventually({3})])
    assert check(system).verdict == "holds"


def test_eventually_holds_when_the_initial_state_is_the_goal() -> None:
    system = GraphSystem([0], {0: [("p", "a", 1, False)], 1: []}, [eventually({0})])
    assert check(system).verdict == "holds"


def test_every_initial_state_is_checked() -> None:
    """The second initial state is stuck without the goal: violated, and the trace starts there."""
    system = GraphSystem([0, 1], {0: [("p", "a", 2, False)], 1: [],
                                  2: [("p", "idle", 2, False)]}, [eventually({2})])
    result = check(system)
    assert result.verdict == "violated"
    violation = only(result)
    assert violation.trace.replay == [1]
    assert_valid_lasso(system, violation, lambda s: s == 2, whole_trace_bad=True)


# --------------------------------------------------------------------------------------
# Weak against strong fairness, and units per action against per instance
# --------------------------------------------------------------------------------------


def _flicker(strong: frozenset[str]) -> GraphSystem:
    """0 <-> 1, and ``r`` to the goal only from 1: ``r`` is enabled infinitely often
    on the cycle but not continuously."""
    return GraphSystem([0], {0: [("p", "a", 1, False)],
                             1: [("p", "b", 0, False), ("q", "r", 2, False)],
                             2: [("p", "idle", 2, False)]}, [eventually({2})], strong=strong)


def test_weak_fairness_does_not_force_an_action_enabled_only_now_and_then() -> None:
    system = _flicker(frozenset())
    result = check(system)
    assert result.verdict == "violated"
    assert_valid_lasso(system, only(result), lambda s: s == 2, whole_trace_bad=True)


def test_strong_fairness_forces_an_action_enabled_infinitely_often() -> None:
    assert check(_flicker(frozenset({"r"}))).verdict == "holds"


def _refined(strong: frozenset[str]) -> GraphSystem:
    """One component 0 <-> 1 <-> 2; ``r`` (to the goal) is enabled only in 2."""
    return GraphSystem([0], {0: [("p", "a", 1, False)],
                             1: [("p", "b", 0, False), ("p", "c", 2, False)],
                             2: [("p", "d", 1, False), ("q", "r", 9, False)],
                             9: [("p", "idle", 9, False)]}, [eventually({9})], strong=strong)


def test_a_strongly_fair_action_never_taken_cuts_its_states_out_of_the_component() -> None:
    """The whole component is unfair (``r`` is enabled in 2 and never taken), but the
    cycle 0 <-> 1 that avoids 2 is fair: ``c`` is weakly fair and disabled in 0."""
    system = _refined(frozenset({"r"}))
    result = check(system)
    assert result.verdict == "violated"
    violation = only(result)
    assert_valid_lasso(system, violation, lambda s: s == 9, whole_trace_bad=True)
    states, _ = walk(system, violation.trace.replay)
    assert 2 not in states[violation.trace.loop_start:]


def test_refinement_repeats_until_no_cycle_is_left() -> None:
    """With ``c`` strongly fair too, cutting state 2 leaves 0 <-> 1 where ``c`` is enabled
    in 1 and never taken: cutting 1 leaves no cycle."""
    assert check(_refined(frozenset({"r", "c"}))).verdict == "holds"


def _two_values(per: str) -> GraphSystem:
    """``send`` with two parameter values: ``send(v=0)`` loops, ``send(v=1)`` reaches the goal."""
    return GraphSystem([0], {0: [("p", "send", 0, False, 0), ("p", "send", 1, False, 1)],
                             1: [("p", "idle", 1, False)]}, [eventually({1})], per=per)


def test_one_unit_per_action_is_paid_by_any_parameter_value() -> None:
    system = _two_values("action")
    result = check(system)
    assert result.verdict == "violated"
    violation = only(result)
    assert_valid_lasso(system, violation, lambda s: s == 1, whole_trace_bad=True)
    assert [s.label for s in violation.trace.steps] == ["send(v=0)"]


def test_one_unit_per_instance_forces_each_parameter_value() -> None:
    assert check(_two_values("instance")).verdict == "holds"


# --------------------------------------------------------------------------------------
# Random graphs against a brute-force fairness search
# --------------------------------------------------------------------------------------

LABELS = [("p", "a"), ("p", "b"), ("q", "a")]


@st.composite
def graphs(draw: Any) -> tuple[GraphSystem, set[int], set[int]]:
    """Random graphs; some actions strongly fair, and units per action or per instance
    (each step carries a parameter value 0 or 1)."""
    n = draw(st.integers(1, 6))
    edges: dict[int, list[Edge]] = {}
    for s in range(n):
        out = []
        for _ in range(draw(st.integers(0, 3))):
            target = draw(st.integers(0, n - 1))
            # Faults only move forward: like a spent budget, they never lie on a cycle.
            is_fault = target > s and draw(st.booleans())
            process, act = ("p", "crash") if is_fault else draw(st.sampled_from(LABELS))
            out.append((process, act, target, is_fault, draw(st.integers(0, 1))))
        edges[s] = out
    inits = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2))
    goal = draw(st.sets(st.integers(0, n - 1)))
    trigger = draw(st.sets(st.integers(0, n - 1)))
    strong = frozenset(draw(st.sets(st.sampled_from(["a", "b"]))))
    per = draw(st.sampled_from(["action", "instance"]))
    return GraphSystem(inits, edges, [], strong=strong, per=per), goal, trigger


def _reference_edges(system: GraphSystem) -> list[ref.Edge]:
    classify = system.fairness().classify
    return [ref.Edge(s, t, classify(step)) for s in system.edges
            for step, t in system.successors(s)]


def _strong_units(system: GraphSystem) -> set[Hashable]:
    is_strong = system.fairness().is_strong
    return {e.fair_class for e in _reference_edges(system)
            if e.fair_class is not None and is_strong(e.fair_class)}


@settings(max_examples=500, deadline=None)
@given(graphs())
def test_eventually_matches_brute_force(case: tuple[GraphSystem, set[int], set[int]]) -> None:
    system, goal, _ = case
    system.properties = [eventually(goal)]
    expected = ref.fair_lasso_exists(sorted(system.edges), _reference_edges(system),
                                     system.inits, lambda s: s not in goal,
                                     _strong_units(system))
    result = check_both_ways(system)
    assert result.verdict == ("violated" if expected else "holds")
    if expected:
        assert_valid_lasso(system, only(result), lambda s: s in goal, whole_trace_bad=True)


@settings(max_examples=500, deadline=None)
@given(graphs())
def test_leads_to_matches_brute_force(case: tuple[GraphSystem, set[int], set[int]]) -> None:
    system, goal, trigger = case
    system.properties = [leads_to(trigger, goal)]
    reach = ref.reachable(system)
    sources = [s for s in reach if s in trigger and s not in goal]
    expected = ref.fair_lasso_exists(sorted(system.edges), _reference_edges(system), sources,
                                     lambda s: s not in goal, _strong_units(system))
    result = check_both_ways(system)
    assert result.verdict == ("violated" if expected else "holds")
    if expected:
        violation = only(result)
        assert_valid_lasso(system, violation, lambda s: s in goal, whole_trace_bad=False)
        states, _ = walk(system, violation.trace.replay)
        # Some state of the trace has P and not Q, and Q never holds from there on.
        assert any(s in trigger and all(t not in goal for t in states[i:])
                   for i, s in enumerate(states))


def test_the_lasso_goes_to_the_fair_state_first_reached_from_the_triggers() -> None:
    """Triggers 1 and 2; 1 leads to 4 and 2 to 3, both dead ends (a behaviour may stop
    there). The explorer numbered 3 before 4 (0 reaches it directly), but from the
    triggers 4 is reached first: through 1, the first trigger. A search that took the
    reached states in the order of their numbers would go to 3."""
    edges = {0: [("p", "a", 1, False), ("p", "a", 2, False), ("p", "a", 3, False)],
             1: [("p", "a", 4, False)], 2: [("p", "a", 3, False)], 3: [], 4: []}
    result = check_both_ways(GraphSystem([0], edges, [leads_to({1, 2}, set())]))
    assert lasso_keys(result) == [("PLeadsToQ", [0, 0, 0], 2, True)]


@st.composite
def larger_graphs(draw: Any) -> tuple[GraphSystem, set[int], set[int]]:
    """Graphs of up to 16 states with several steps each: levels wide enough that the
    order a state is first reached in differs from the order of the explorer's ids."""
    n = draw(st.integers(4, 16))
    edges = {s: [(*draw(st.sampled_from(LABELS)), draw(st.integers(0, n - 1)), False,
                  draw(st.integers(0, 1))) for _ in range(draw(st.integers(0, 4)))]
             for s in range(n)}
    goal = draw(st.sets(st.integers(0, n - 1), max_size=n // 2))
    trigger = draw(st.sets(st.integers(0, n - 1)))
    strong = frozenset(draw(st.sets(st.sampled_from(["a", "b"]))))
    per = draw(st.sampled_from(["action", "instance"]))
    return GraphSystem([0], edges, [], strong=strong, per=per), goal, trigger


@settings(max_examples=400, deadline=None)
@given(larger_graphs(), st.booleans())
def test_the_array_search_finds_the_lassos_of_the_search_state_by_state(
        case: tuple[GraphSystem, set[int], set[int]], eventual: bool) -> None:
    system, goal, trigger = case
    system.properties = [eventually(goal) if eventual else leads_to(trigger, goal)]
    check_both_ways(system)


def test_one_fair_loop_is_built_per_lasso_however_big_the_component(monkeypatch: Any) -> None:
    """A ring of 300 states never reaching the goal: one fair component. Only the loop
    of the state the lasso goes through is searched for; a loop built for every state
    of the component cost its size squared (15 minutes on 100,000 states)."""
    from lifecheck.explore import liveness

    calls: list[int] = []
    original = liveness._fair_loop

    def counted(graph: Any, arrays: Any, members: Any, start: int) -> list[tuple[int, int]]:
        calls.append(start)
        return original(graph, arrays, members, start)

    monkeypatch.setattr(liveness, "_fair_loop", counted)
    ring = {s: [("p", "a", (s + 1) % 300, False)] for s in range(300)}
    result = check(GraphSystem([0], ring, [eventually({1000})]))
    assert result.verdict == "violated" and len(calls) == 1
    assert len(only(result).trace.steps) == 300  # the whole ring, once round
