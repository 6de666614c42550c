"""Lifted guards are an optimisation only: same successors, same counts, same errors."""

from __future__ import annotations

import pytest

from lifecheck import Model, Process, action, choose, durable, require, role
from lifecheck.contract import Options
from lifecheck.explore.bfs import explore
from lifecheck.modelling.compile import ModelSystem
from lifecheck.modelling.guards import lift_guard
from lifecheck.models.classic.philosophers import Philosophers
from lifecheck.models.classic.twophase import TwoPhaseCommit


class Node(Process):
    x = durable(0)


class Guarded(Model):
    nodes = role(Node, count=2)

    @action(Node, k=range(3))
    def bump(self, n, k):
        """Docstrings are skipped; both leading requires are lifted."""
        require(n.x < 2)
        require(k != n.x)
        n.x = k

    @action(Node)
    def pick(self, n):
        require(choose(True, False))  # a choice in a guard: never lifted
        n.x = 0

    @action(Node)
    def divide(self, n):
        require(1 // (n.x - 1) >= 0)  # raises at x == 1: the action must still report it
        n.x = 2


def test_leading_requires_become_one_predicate():
    guard = lift_guard(Guarded.bump.fn)
    assert guard is not None
    assert lift_guard(Guarded.pick.fn) is None


def test_a_closure_is_not_lifted():
    limit = 3

    def act(self, n):
        require(n.x < limit)

    assert lift_guard(act) is None


def _without_guards(system: ModelSystem) -> ModelSystem:
    system.instances = [(*i[:-1], None) for i in system.instances]
    return system


@pytest.mark.parametrize("model", [Guarded(), Philosophers(n=5), TwoPhaseCommit(rms=3)],
                         ids=["guarded", "philosophers", "twophase"])
def test_same_successors_with_and_without_lifted_guards(model):
    lifted, plain = ModelSystem(model), _without_guards(ModelSystem(model))
    options = Options(check_deadlock=False, determinism_checks=0)
    a, b = explore(lifted, options), explore(plain, options)
    assert a.states == b.states and a.transitions == b.transitions
    for state in a.states:
        assert lifted.successors(state) == plain.successors(state)


def test_a_guard_that_raises_still_reports_the_failure():
    system = ModelSystem(Guarded())
    state = system.init_states()[0]
    for step, out in system.successors(state):
        if step.action == "bump" and dict(step.params)["k"] == 1:
            state = out
            break
    failures = [out for step, out in system.successors(state) if step.action == "divide"
                and step.process == "node1"]
    assert failures and "ZeroDivisionError" in failures[0].message
