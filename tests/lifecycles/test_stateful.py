"""Models run as Hypothesis stateful tests (lifecheck.stateful).

Each lifecycle's shipped design is found out within Hypothesis's default number
of examples, with a seed, and the failure reads like the checker's own
counterexample; each fixed design passes as a one-line test; bad definitions are
refused with a message that says what to do; and the walk every explorer-free
tool steps with is held to the explorer.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck import Model, ModelError, Process, Spec, action, require, role, violated, volatile
from lifecheck.contract import Options, Property, Step, TransitionSystem
from lifecheck.explore.bfs import explore
from lifecheck.explore.verdict import check_spec
from lifecheck.modelling.spec import load_specs
from lifecheck.render.text import render_violation
from lifecheck.replay import replay
from lifecheck.stateful import StatefulViolation, find_violation, lifecycle_settings, machine, stateful_test
from lifecheck.walks.walk import Walk, model_rerun, shorten
from tests.snapshot import assert_snapshot

ROOT = Path(__file__).resolve().parents[2]


def spec(target: str) -> Spec:
    file, name = target.split("::")
    return load_specs(f"{ROOT / 'specs' / file}::{name}")[0]


def shape(steps: list[tuple[str | None, str]]) -> Counter:
    return Counter(steps)


def checker_trace(s: Spec, prop: str) -> list[tuple[str | None, str]]:
    result = check_spec(s)
    violation = next(v for v in result.violations if v.property == prop)
    assert violation.trace is not None
    return [(t.process, t.action) for t in violation.trace.steps]


# -- the shipped design of each lifecycle is found out -----------------------------------------

SHIPPED = [
    "extraction.py::extraction/in-place/crash",
    "segment_commit.py::segment-commit/fire-and-forget/remote-failures",
    "topic_recreate.py::topic-recreate/by-name/no-crash",
    "cluster_shutdown.py::cluster-shutdown/shipped/no-crash",
]


@pytest.mark.parametrize("target", SHIPPED)
def test_the_shipped_design_fails_its_stateful_test_like_the_checker_says(target):
    s = spec(target)
    found = find_violation(s, seed=0)  # Hypothesis's default number of examples
    assert found is not None, f"{s.name}: no violation in the default number of examples"
    assert found.property in s.expect.properties
    ours = found.actions()
    theirs = checker_trace(s, found.property)
    # The same steps as the checker's shortest counterexample, up to the order of steps that
    # commute (a producer's send and a consumer's connect, say).
    assert len(ours) == len(theirs) and shape(ours) == shape(theirs)
    # The program Hypothesis prints names a rule per action, one line per step taken, after the
    # line that says which actions the run put off (swarm testing).
    assert found.program[0].startswith("state.put_off(actions=")
    rules = [line.split("(")[0].removeprefix("state.") for line in found.program[1:]]
    assert rules == [step.action for step in found.steps]


def test_a_failure_is_printed_in_lifecheck_trace_format():
    found = find_violation(spec("extraction.py::extraction/in-place/crash"), seed=0)
    assert found is not None
    text = str(found)
    assert text.startswith("NoPartialLoad violated in a stateful run of extraction/in-place/crash")
    assert "=> NoPartialLoad is violated: it sees broker1.complete_files=0" in text
    assert "replay   0.0.0.1.0.0.0" in text  # the checker's own replay key: the same trace
    assert_snapshot("stateful_in_place.txt", "\n".join(render_violation(found.violation)) + "\n")


def test_the_same_seed_gives_the_same_failure():
    s = spec("extraction.py::extraction/in-place/2-brokers/crash")
    first, second = find_violation(s, seed=3), find_violation(s, seed=3)
    assert first is not None and second is not None
    assert first.key == second.key and first.program == second.program


# -- fixed designs pass: one line each makes a pytest test -----------------------------------------
# (Half Hypothesis's default number of examples here, to keep the suite quick; the default is 100.)

HALF = lifecycle_settings(max_examples=50)
TestRenameFsyncPowerLoss = stateful_test(spec("extraction.py::extraction/rename-fsync/power-loss"),
                                         seed=0, settings=HALF)
TestBackgroundRecommitCrash = stateful_test(
    spec("segment_commit.py::segment-commit/background-recommit/crash"), seed=0, settings=HALF)
TestIncarnationControllerCrash = stateful_test(
    spec("topic_recreate.py::topic-recreate/incarnation/controller-crash"), seed=0, settings=HALF)
TestClusterShutdownFixedCrash = stateful_test(spec("cluster_shutdown.py::cluster-shutdown/fixed/crash"),
                                              seed=0, settings=HALF)


def test_a_one_line_test_of_a_shipped_design_fails_with_the_trace():
    case = stateful_test(spec("extraction.py::extraction/in-place/crash"), seed=0)
    result = case("runTest").run()
    assert len(result.failures) == 1
    report = result.failures[0][1]
    assert "NoPartialLoad violated in a stateful run" in report
    assert "broker1  !! crash" in report


def test_a_spec_can_be_named_by_path_and_its_actions_become_the_rules():
    cls = machine(f"{ROOT / 'specs' / 'extraction.py'}::extraction/in-place/crash")
    assert cls.__name__ == "ExtractionInPlaceCrash"
    assert cls.rule_names == {"lock", "boot", "unpack_create", "unpack_write", "load", "restart", "crash"}
    rules = {r.function.__name__ for r in cls.setup_state().rules}
    assert rules == set(cls.rule_names) | {"start_again"}


# -- a small model of our own for the edges ---------------------------------------------------------

class Worker(Process):
    phase = volatile("idle")


class Stuck(Model):
    """Starts, then nothing more can happen, and that is not a final state: a deadlock."""

    workers = role(Worker)

    @action(Worker)
    def start(self, w):
        require(w.phase == "idle")
        w.phase = "started"


class Raises(Model):
    workers = role(Worker)

    @action(Worker)
    def start(self, w):
        require(w.phase == "idle")
        raise ValueError("boom")


def test_a_deadlock_is_a_failure():
    found = find_violation(Spec("stuck", Stuck(), violated("Deadlock")), seed=0)
    assert found is not None and found.property == "Deadlock"
    assert found.actions() == [("worker1", "start")]


def test_an_action_that_raises_is_a_failure_with_its_trace():
    found = find_violation(Spec("raises", Raises(), violated("ExceptionInAction")), seed=0)
    assert found is not None and found.property == "ExceptionInAction"
    assert "ValueError: boom" in str(found)


class Counting(TransitionSystem):
    """A bare core-contract system: counts up from one of two starts; 3 is bad."""

    name = "counting"

    def __init__(self, actions=("up",), bad=3):
        self._actions = actions
        self.properties = [Property("BelowBad", "always", lambda s: s < bad)]

    def init_states(self):
        return [0, 1]

    def successors(self, state):
        return [(Step(None, "up"), state + 1)] if state < 5 else []

    def is_final(self, state):
        return True

    def actions(self):
        return list(self._actions)


def test_a_bare_transition_system_with_several_initial_states_runs():
    found = find_violation(Counting(), seed=0)
    assert found is not None and found.property == "BelowBad"
    trace = found.violation.trace
    start = trace.replay[0]
    assert start in (0, 1) and len(trace.steps) == 3 - start  # straight up to 3


def test_bad_definitions_are_refused_with_what_to_do():
    with pytest.raises(ModelError, match=r"actions\(\) lists no action"):
        machine(Counting(actions=()))
    with pytest.raises(ModelError, match=r"clash.*rename the action"):
        machine(Counting(actions=("teardown",)))
    with pytest.raises(ModelError, match="Python identifiers"):
        machine(Counting(actions=("go up",)))
    with pytest.raises(ModelError, match="needs a Spec"):
        machine(42)
    with pytest.raises(ModelError, match="names 30 specs"):
        machine(str(ROOT / "specs" / "extraction.py"))
    unlisted = machine(Counting(actions=("down",)))
    with pytest.raises(ModelError, match="does not list 'up'"):
        find_violation(unlisted, seed=0)


# -- laws of the walk every stateful tool steps with -------------------------------------------------

IN_PLACE = spec("extraction.py::extraction/in-place/2-brokers/crash")
SYSTEM = IN_PLACE.system()
REACHABLE = set(explore(SYSTEM, Options(check_liveness=False)).states)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50), max_size=40))
def test_a_walk_only_reaches_reachable_states_and_replays_to_where_it_is(choices):
    walk = Walk(SYSTEM)
    for c in choices:
        succs = walk.successors()
        if not succs or walk.failure is not None:
            break
        walk.take(c % len(succs))
        assert walk.state in REACHABLE
    trace, last = replay(SYSTEM, walk.key)
    assert last == walk.state
    assert [(s.process, s.action) for s in trace.steps] == [(s.process, s.action) for s in walk.steps]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50), min_size=5, max_size=60))
def test_shortening_keeps_the_violation_and_never_lengthens(choices):
    walk = Walk(SYSTEM)
    found = []
    for c in choices:
        succs = walk.successors()
        if found or not succs:
            break
        found = walk.take(c % len(succs))
    if not found:
        return
    prop = found[0].property
    key, problem, _ = shorten(walk.steps, prop, model_rerun(SYSTEM))
    assert problem.property == prop and len(key) <= len(walk.key)
    # It really breaks the property where it ends.
    _, last = replay(SYSTEM, key)
    assert not next(p for p in SYSTEM.properties if p.name == prop).check(last)


def test_settings_leave_out_the_explain_phase_and_keep_the_profile():
    from hypothesis import Phase

    s = lifecycle_settings(max_examples=7)
    assert Phase.explain not in s.phases and s.max_examples == 7 and s.deadline is None


def test_a_violation_is_rebuilt_from_its_replay_key_like_the_checker_does():
    s = spec("extraction.py::extraction/in-place/crash")
    system = s.system()
    assert model_rerun(system)([]) is None  # the initial state breaks nothing
    walk = Walk(system)
    found = []
    for k in [0, 0, 1, 0, 0, 0]:  # the checker's replay key after the initial state
        found = walk.take(k)
    err = StatefulViolation(system, walk.key, walk.steps, found[0])
    assert err.property == "NoPartialLoad"
    assert err.actions() == checker_trace(s, "NoPartialLoad")
