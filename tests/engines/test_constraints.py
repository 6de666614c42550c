"""State and action constraints, with TLC's semantics (lifecheck.modelling.constraint)."""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import (
    Model,
    Options,
    Spec,
    action,
    always,
    check_spec,
    durable,
    eventually,
    holds,
    require,
    violated,
)
from lifecheck.errors import ModelError
from lifecheck.walks.simulate import simulate


class Counter(Model):
    """Counts up without a guard: only a constraint bounds it."""

    n = durable(0)

    @action
    def inc(self):
        self.n += 1

    @action
    def jump(self):
        self.n += 2

    @always
    def below_five(self):
        return self.n < 5


class Stopper(Model):
    n = durable(0)

    @action
    def inc(self):
        require(self.n < 3)
        self.n += 1

    @eventually
    def reaches_three(self):
        return self.n == 3


ENGINES: dict[str, dict[str, Any]] = {"bfs": {}, "vector": {"engine": "vector"}, "workers": {"workers": 2},
                                     "bfs workers": {"workers": 2, "engine": "bfs"},
                                     "auto": {"engine": "auto"}}


def _check(spec: Spec, engine: str = "bfs") -> Any:
    return check_spec(spec, Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                                    **ENGINES[engine]))


@pytest.mark.parametrize("engine", ENGINES)
def test_states_outside_are_not_explored_nor_counted_and_are_no_deadlock(engine: str) -> None:
    # n = 0..3 inside (depth 2: 0, then 1 and 2, then 3); from 2 a jump and from 3 both
    # steps leave the bound: 3 steps out, 8 steps in all.
    spec = Spec("c", Counter(), holds(), properties=[], constraint=lambda m: m.n <= 3)
    result = _check(spec, engine)
    assert result.error == "" and result.verdict == "holds"
    assert (result.stats.distinct_states, result.stats.transitions, result.stats.depth) == (4, 8, 2)
    assert result.stats.outside == 3


@pytest.mark.parametrize("engine", ENGINES)
def test_a_state_outside_is_still_checked_against_the_invariants(engine: str) -> None:
    """TLC checks the invariants of a successor outside the constraint, then drops it."""
    spec = Spec("c", Counter(), violated("BelowFive"), constraint=lambda m: m.n <= 3)
    result = _check(spec, engine)
    assert result.error == ""
    (v,) = result.violations
    assert v.property == "BelowFive"
    # 0 -> 1 -> 3 (kept), then the jump out of the bound to 5.
    assert [s.action for s in v.trace.steps] == ["inc", "jump", "jump"]
    assert result.stats.distinct_states == 4


def test_the_action_constraint_drops_steps_by_what_they_change() -> None:
    spec = Spec("c", Counter(), holds(), properties=[], constraint=lambda m: m.n <= 3,
                action_constraint=lambda before, after: after.n - before.n == 1)
    result = _check(spec)
    assert (result.stats.distinct_states, result.stats.transitions, result.stats.depth) == (4, 8, 3)
    assert result.stats.outside == 5  # the four jumps, and the step from 3 to 4
    assert "5 steps left the constraint (checked, not explored)" in _text(result)


def test_a_guard_instead_of_a_constraint_reports_the_deadlock_a_constraint_does_not() -> None:
    guarded = Spec("g", Stopper(), violated("Deadlock"), properties=[])
    assert _check(guarded).verdict == "violated"
    bounded = Spec("b", Counter(), holds(), properties=[], constraint=lambda m: m.n <= 3)
    assert _check(bounded).verdict == "holds"


def test_the_vector_engine_applies_them_as_bfs_does() -> None:
    spec = Spec("c", Counter(), holds(), properties=[], constraint=lambda m: m.n <= 3)
    for engine in ("vector", "auto"):
        result = _check(spec, engine)
        assert (result.error, result.stats.distinct_states, result.stats.outside) == \
            ("", 4, _check(spec).stats.outside)


def test_liveness_under_a_constraint_is_refused() -> None:
    spec = Spec("s", Stopper(), holds(), constraint=lambda m: m.n <= 2)
    result = check_spec(spec)
    assert result.verdict == "error"
    assert "liveness" in result.error and "ReachesThree" in result.error


def test_an_initial_state_outside_the_constraint_is_a_modelling_error() -> None:
    spec = Spec("c", Counter(), holds(), constraint=lambda m: m.n > 0)
    with pytest.raises(ModelError, match="initial state #0 does not satisfy the state constraint"):
        spec.system()


def test_a_constraint_that_raises_names_itself() -> None:
    spec = Spec("c", Counter(), holds(), properties=[], constraint=lambda m: m.n < m.nope)
    result = check_spec(spec)
    assert result.verdict == "error" and "state constraint" in result.error


def test_random_walks_end_where_they_leave_the_constraint() -> None:
    system = Spec("c", Counter(), holds(), properties=[], constraint=lambda m: m.n <= 3).system()
    sim = simulate(system, walks=50, depth=20, seed=1)
    assert not sim.findings  # no deadlock where a walk left the bound
    system = Spec("c", Counter(), violated("BelowFive"), constraint=lambda m: m.n <= 3).system()
    sim = simulate(system, walks=200, depth=20, seed=1)
    assert set(sim.findings) == {"BelowFive"}


def _text(result: Any) -> str:
    from lifecheck.render.text import render_stats

    return render_stats(result, timing=False)
