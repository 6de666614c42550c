"""Worker processes find exactly the sequential explorer's states, on every spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lifecheck import (
    Bounds,
    Crash,
    Fail,
    Model,
    Options,
    Process,
    Spec,
    action,
    always,
    check_spec,
    durable,
    holds,
    require,
    role,
    transition,
)
from lifecheck.explore.parallel import explore_parallel
from lifecheck.modelling.spec import load_specs
from lifecheck.models.classic.philosophers import Philosophers
from lifecheck.models.extraction import UnpackInPlace

ROOT = Path(__file__).resolve().parents[2]
SPECS = load_specs(str(ROOT / "specs"))


def _options(spec: Spec, workers: int) -> Options:
    return Options(bounds=spec.bounds, check_deadlock=spec.deadlock, workers=workers)


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_same_states_verdict_and_shortest_traces_with_two_workers(spec: Spec) -> None:
    twin = spec.safety_only()
    one = check_spec(twin, _options(twin, 1))
    two = check_spec(twin, _options(twin, 2))
    assert one.error == two.error == ""
    assert (two.stats.distinct_states, two.stats.transitions, two.stats.depth) == \
        (one.stats.distinct_states, one.stats.transitions, one.stats.depth)
    assert two.verdict == one.verdict
    assert two.coverage == one.coverage
    # The very counterexamples: the team ranks each level as one process reaches it.
    assert [(v.property, v.message, v.trace.key if v.trace else None) for v in two.violations] \
        == [(v.property, v.message, v.trace.key if v.trace else None) for v in one.violations]


def test_three_workers_agree_and_share_the_work() -> None:
    system = Spec("p", Philosophers(n=6), holds()).system()
    result = explore_parallel(system, Options(), 3)
    assert result.distinct_states == 862 and sum(result.per_worker) == 862
    assert all(n > 0 for n in result.per_worker)


def test_a_parallel_counterexample_replays_to_its_violation() -> None:
    spec = Spec("x", UnpackInPlace(files=2), holds(), properties=["NoPartialLoad"],
                faults=[Crash(max=1), Fail(kind="startup", max=0)])
    result = check_spec(spec, Options(workers=2))
    (v,) = result.violations
    assert v.property == "NoPartialLoad" and any(s.action == "crash" for s in v.trace.steps)
    assert v.observed and v.observed[0][0] == "broker1.complete_files"


LIVE = [s for s in SPECS if any(p.is_liveness for p in s.system().properties)]


def _exactly(result: Any, safety_steps: bool = True) -> tuple:
    """All a result says but its timings: counts, verdict, and each counterexample's steps
    (``safety_steps``: a safety counterexample's very steps, or only how many)."""
    return (result.verdict, result.error, result.stats.distinct_states, result.stats.transitions,
            result.stats.depth, result.coverage,
            [(v.property, v.message, v.trace.loop_start if v.trace else None,
              (v.trace.key if safety_steps or v.kind == "liveness" else len(v.trace.steps))
              if v.trace else None) for v in result.violations])


@pytest.mark.parametrize("engine", ["bfs", "auto"])
@pytest.mark.parametrize("spec", LIVE, ids=[s.name for s in LIVE])
def test_a_spec_that_checks_liveness_gets_the_references_result_from_two_workers(
        spec: Spec, engine: str) -> None:
    """The workers' shares of the graph, joined and numbered as bfs numbers its states,
    give the reference's lassos step for step; bfs workers, which report every violation
    as shallow as the first, also its safety counterexamples (vector workers: as short)."""
    reference = check_spec(spec, Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                                         engine="bfs"))
    two = check_spec(spec, Options(bounds=spec.bounds, check_deadlock=spec.deadlock, workers=2,
                                   engine=engine))
    exact = engine == "bfs"
    assert _exactly(two, exact) == _exactly(reference, exact)
    assert (two.stats.collision_chance is None) == exact


def test_three_workers_find_the_references_lasso() -> None:
    spec = Spec("x", UnpackInPlace(files=1), holds(),
                faults=[Crash(max=1), Fail(kind="startup", max=0)])
    three = check_spec(spec, Options(workers=3))
    assert three.verdict == "violated" and any(v.kind == "liveness" for v in three.violations)
    assert _exactly(three) == _exactly(check_spec(spec, Options(engine="bfs")))


def test_depth_bound_is_incomplete_in_parallel() -> None:
    spec = Spec("p", Philosophers(n=5), holds(), bounds=Bounds(max_depth=3))
    assert check_spec(spec, Options(bounds=spec.bounds, workers=2)).verdict == "incomplete"


@pytest.mark.parametrize("engine", ["bfs", "auto"])
@pytest.mark.parametrize("limit", [1, 2, 7, 100, 260, 261])
def test_a_state_bound_admits_the_references_first_states(engine: str, limit: int) -> None:
    """The first N states in breadth-first order: ranked by the coordinator as one process
    reaches them, so the same states, counts and reason as the reference (261 states in all)."""
    spec = Spec("p", Philosophers(n=5), holds(), bounds=Bounds(max_states=limit))
    one = check_spec(spec, Options(bounds=spec.bounds, engine="bfs"))
    two = check_spec(spec, Options(bounds=spec.bounds, engine=engine, workers=2))
    assert two.error == one.error == ""
    assert (two.verdict, two.incomplete_reason, two.stats.distinct_states,
            two.stats.transitions, two.stats.depth) == \
        (one.verdict, one.incomplete_reason, one.stats.distinct_states, one.stats.transitions,
         one.stats.depth)
    assert [(v.property, v.trace.key) for v in two.violations] == \
        [(v.property, v.trace.key) for v in one.violations]
    assert one.incomplete_reason == ("" if limit == 261 else f"state bound {limit} reached")


@pytest.mark.parametrize("engine", ["bfs", "auto"])
@pytest.mark.parametrize("limit", [250, 300, 560])
def test_a_state_bound_keeps_the_references_violations(engine: str, limit: int) -> None:
    """A bound that cuts a level between the states breaking two invariants at once and
    the one breaking a third: the same violations, listed in the same order, each by the
    same path."""
    (spec,) = [s.safety_only() for s in SPECS
               if s.name == "topic-recreate/delete-offsets/controller-crash"]
    bounds = Bounds(max_states=limit)
    one = check_spec(spec, Options(bounds=bounds, check_deadlock=spec.deadlock, engine="bfs"))
    two = check_spec(spec, Options(bounds=bounds, check_deadlock=spec.deadlock, engine=engine,
                                   workers=2))
    assert (two.verdict, two.incomplete_reason, two.stats.distinct_states) == \
        (one.verdict, one.incomplete_reason, one.stats.distinct_states)
    assert [(v.property, v.message, v.trace.key) for v in two.violations] == \
        [(v.property, v.message, v.trace.key) for v in one.violations]
    assert len(one.violations) == {250: 0, 300: 2, 560: 3}[limit]


def test_workers_count_the_graph_they_keep_for_liveness() -> None:
    """A benchmark that cannot flatter: the graph a liveness run keeps is in its bytes."""
    spec = Spec("x", UnpackInPlace(files=2), holds(),
                faults=[Crash(max=1), Fail(kind="startup", max=0)])
    with_graph = check_spec(spec, Options(workers=2, measure_memory=True))
    without = check_spec(spec, Options(workers=2, measure_memory=True, check_liveness=False))
    assert with_graph.stats.distinct_states == without.stats.distinct_states
    assert with_graph.stats.stored_bytes > 2 * without.stats.stored_bytes > 0


class _Lamp(Process):
    on = durable(False)


class _Lamps(Model):
    """Six lamps; a property that raises on every state with exactly one lamp on."""

    lamps = role(_Lamp, count=6)

    @action(_Lamp)
    def switch_on(self, lamp):
        require(not lamp.on)
        lamp.on = True

    @always
    def fragile(self):
        lit = sum(lamp.on for lamp in self.lamps)
        return lit == 0 or 1 / (lit - 1) != 0


class _LampSteps(_Lamps):
    """A transition property that raises on every step that lights a second lamp."""

    @always
    def fragile(self):
        return True

    @transition
    def fragile_step(before, after):
        lit = sum(lamp.on for lamp in after.lamps)
        return lit != 2 or 1 / (lit - 2) != 0


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("engine", ["bfs", "auto"])
@pytest.mark.parametrize(("model", "key"), [(_Lamps, "0.0"), (_LampSteps, "0.0.0")],
                         ids=["state", "step"])
def test_an_error_met_by_several_workers_is_the_one_the_reference_meets(
        model: type, key: str, engine: str, workers: int) -> None:
    """Bad input met at several states of a level, on several workers, by a state property
    (met as states are admitted) or a transition property (met as a level is expanded):
    the error reported, its words, and the path to it, are the reference's."""
    spec = Spec("lamps", model(), holds())
    one = check_spec(spec, Options(engine="bfs"))
    team = check_spec(spec, Options(engine=engine, workers=workers))
    assert one.verdict == team.verdict == "error"
    assert team.error == one.error
    assert one.error_trace is not None and team.error_trace is not None
    assert team.error_trace.key == one.error_trace.key == key
