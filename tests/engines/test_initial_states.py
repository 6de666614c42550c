"""Several initial states: Init as a set of states, counted as TLC counts them.

The counts and depths here are worked out by hand (in each test's docstring). lifecheck's
depth is the number of steps from an initial state, so an initial state is at depth 0
(TLC's "depth of the complete state graph search" counts it as 1): every depth below is
TLC's minus one. Every engine must give the same figures and counterexamples.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from lifecheck import (
    Component,
    Crash,
    Model,
    ModelError,
    Options,
    PowerLoss,
    Process,
    Spec,
    action,
    always,
    check_spec,
    choose,
    durable,
    eventually,
    final,
    holds,
    initial,
    one_of,
    parameter,
    require,
    role,
    violated,
    volatile,
)
from lifecheck.cli import main
from lifecheck.explore.bfs import explore
from lifecheck.modelling.compile import ModelSystem
from lifecheck.replay import replay
from lifecheck.result import Result
from lifecheck.stateful import find_violation
from lifecheck.walks.simulate import simulate

ENGINES: list[dict[str, Any]] = [{}, {"engine": "vector"}, {"fingerprints": True},
                                 {"workers": 2}]


def run(spec: Spec, **options: Any) -> Result:
    return check_spec(spec, Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                                    check_liveness=False, **options))


def figures(result: Result) -> tuple:
    assert result.error == "", result.error
    return (result.verdict, result.stats.distinct_states, result.stats.transitions,
            result.stats.depth)


# -- HourClock (Specifying Systems, ch. 2): Init == hr \in 1..12 ------------------------------

class HourClock(Model):
    """TLC: 12 distinct states, 24 generated (12 initial + 12 successors), depth 1."""

    hr = durable(one_of(range(1, 13)))

    @action
    def tick(self):
        self.hr = self.hr % 12 + 1

    @always
    def type_ok(self):
        return self.hr in range(1, 13)


@pytest.mark.parametrize("options", ENGINES, ids=str)
def test_hour_clock_counts_as_tlc(options: dict[str, Any]) -> None:
    """Every state is an initial state and each has one successor (another initial
    state): 12 states, 12 transitions, depth 0 (TLC's 1)."""
    result = run(Spec("hour-clock", HourClock(), holds()), **options)
    assert figures(result) == ("holds", 12, 12, 0)


def test_initial_states_come_in_domain_order() -> None:
    system = ModelSystem(HourClock())
    assert [system.describe(s)["hr"] for s in system.init_states()] == list(range(1, 13))


# -- AsynchInterface (Specifying Systems, ch. 3) ---------------------------------------------

class AsynchInterface(Model):
    """Init == val \\in Data /\\ rdy \\in {0, 1} /\\ ack = rdy: a field domain for ``val`` and
    ``rdy``, and an @initial hook for the constraint between ``rdy`` and ``ack``."""

    data = parameter(2)
    val = durable(one_of(lambda m: range(m.data)))
    rdy = durable(one_of((0, 1)))
    ack = durable(0)

    @initial
    def handshake_idle(self):
        self.ack = self.rdy

    @action
    def send(self):
        require(self.rdy == self.ack)
        self.val = choose(*range(self.data))
        self.rdy = 1 - self.rdy

    @action
    def rcv(self):
        require(self.rdy != self.ack)
        self.ack = 1 - self.ack

    @always
    def type_ok(self):
        return self.rdy in (0, 1) and self.ack in (0, 1)


@pytest.mark.parametrize("options", ENGINES, ids=str)
@pytest.mark.parametrize(("data", "expected"), [(2, (8, 12)), (3, (12, 24))])
def test_asynch_interface_counts_as_tlc(options: dict[str, Any], data: int,
                                        expected: tuple[int, int]) -> None:
    """|Data| * 2 initial states (rdy = ack); Send from each gives one of |Data| values with
    rdy != ack (|Data| * 2 more states, depth 1), and Rcv brings each back: 4|Data| states,
    transitions 2|Data| * |Data| (Send) + 2|Data| (Rcv). With a setup step instead of Init,
    it would be one state more and depth 2."""
    result = run(Spec("asynch", AsynchInterface(data=data), holds()), **options)
    assert figures(result) == ("holds", *expected, 1)


# -- processes choose independently; symmetry counts orbits -----------------------------------

class Member(Process):
    mode = volatile(one_of(("a", "b")))
    done = durable(False)


class Pair(Model):
    members = role(Member, count=2)

    @action(Member)
    def finish(self, m):
        require(not m.done)
        m.done = True

    @final
    def all_done(self):
        return all(m.done for m in self.members)

    @always
    def fine(self):
        return True


def test_each_process_chooses_independently() -> None:
    """2 processes x 2 modes: 4 initial states, and the two done flags make 16 states. Each
    mode pair has finish steps from its 4 done pairs: 2 + 1 + 1 + 0, so 16 transitions;
    depth 2."""
    assert len(ModelSystem(Pair()).init_states()) == 4
    for options in ENGINES:
        assert figures(run(Spec("pair", Pair(), holds()), **options)) == ("holds", 16, 16, 2)


def test_each_element_of_an_array_field_chooses_independently() -> None:
    class Bits(Model):
        bits = durable(one_of((0, 1)), count=2)

    system = ModelSystem(Bits())
    assert [system.describe(s)["bits[0]"] * 10 + system.describe(s)["bits[1]"]
            for s in system.init_states()] == [0, 1, 10, 11]


def test_equal_values_of_different_types_are_different_initial_states() -> None:
    """0 and False compare equal but are two states, as everywhere else in lifecheck."""
    class Typed(Model):
        x = durable(one_of((0, False, 0.0)))

        @always
        def fine(self):
            return True

    assert len(ModelSystem(Typed()).init_states()) == 3
    for options in ENGINES:
        assert figures(run(Spec("typed", Typed(), holds(), deadlock=False), **options)) \
            == ("holds", 3, 0, 0)


def test_symmetry_counts_initial_orbits() -> None:
    """aa, ab ~ ba, bb: 3 initial orbits. All 16 states fall in 10 orbits: a state is a
    multiset of two (mode, done) pairs out of 4 kinds, 4 * 5 / 2 = 10."""
    system = ModelSystem(Pair(), symmetry=("members",))
    seen: list[tuple] = []
    explore(system, Options(check_liveness=False), on_state=lambda _sid, s: seen.append(s))
    assert len(seen) == 10
    result = run(Spec("pair/sym", Pair(), holds(), symmetry=("members",)))
    assert figures(result) == ("holds", 10, result.stats.transitions, 2)
    first = [s for s in seen if s[2][1] is False and s[3][1] is False]
    assert len(first) == 3  # the initial orbits: aa, ab, bb


def test_symmetry_holds_across_a_power_loss_that_chooses_for_every_process() -> None:
    """A power loss re-chooses both members' modes; its branch labels must rename onto the
    mirror image's (found by the differential harness): one state per true orbit."""
    from lifecheck.typed_values import typed_key
    from tests import reference as ref

    def spec(symmetry: tuple[str, ...] = ()) -> Spec:
        return Spec("pair/power", Pair(), holds(), faults=[PowerLoss(max=1)], symmetry=symmetry)

    full = run(spec())
    reduced = run(spec(("members",)))
    assert figures(full)[0] == figures(reduced)[0] == "holds"
    system = spec().system()
    seen: list[tuple] = []
    explore(system, Options(check_liveness=False), on_state=lambda _sid, s: seen.append(s))
    parts = [p.index for p in system._role_parts["members"]]
    assert reduced.stats.distinct_states == ref.true_orbits(seen, parts, system.process_names(),
                                                            key=typed_key)


# -- crash and restart: a volatile field with several initial values is chosen again -----------

class Restarter(Process):
    phase = volatile(one_of(("x", "y")))


class Restart(Model):
    procs = role(Restarter, count=1)

    @action(Restarter)
    def go(self, p):
        require(p.phase != "z")
        p.phase = "z"

    @always
    def fine(self):
        return True


@pytest.mark.parametrize("options", ENGINES, ids=str)
def test_a_restart_chooses_the_initial_value_again(options: dict[str, Any]) -> None:
    """States (phase, crashes): x0 y0 z0 x1 y1 z1 = 6. Transitions: x0 and y0 have go and a
    crash to x or to y (3 each), z0 two crashes, x1 and y1 one go each: 10. z1 is two steps
    from an initial state: depth 2."""
    spec = Spec("restart", Restart(), holds(), faults=[Crash(max=1)], deadlock=False)
    assert figures(run(spec, **options)) == ("holds", 6, 10, 2)


def test_the_restart_branches_are_labelled() -> None:
    system = ModelSystem(Restart(), faults=[Crash(max=1)])
    crashes = [step.label() for step, _ in system.successors(system.init_states()[0])
               if step.is_fault]
    assert crashes == ["crash -> restarter1.phase='x'", "crash -> restarter1.phase='y'"]


class Counter(Component):
    ticks = volatile(one_of((0, 10)))


class Powered(Model):
    counter = Counter()
    level = volatile(one_of((1, 2)))

    @always
    def fine(self):
        return True


def test_a_power_loss_chooses_every_volatile_value_again() -> None:
    """A component's fields and the model's choose too: 2 x 2 initial states, and a power
    loss from each of them may land in any of the 4 (with the budget spent): 8 states."""
    system = ModelSystem(Powered(), faults=[PowerLoss(max=1)])
    assert len(system.init_states()) == 4
    spec = Spec("powered", Powered(), holds(), faults=[PowerLoss(max=1)], deadlock=False)
    assert figures(run(spec)) == ("holds", 8, 16, 1)
    assert figures(run(spec, engine="vector")) == ("holds", 8, 16, 1)


# -- a counterexample that starts from a later initial state ----------------------------------

class Climb(Model):
    x = durable(one_of((0, 1, 2)))

    @action
    def up(self):
        require(self.x < 5)
        self.x += 1

    @always
    def below_four(self):
        return self.x != 4

    @final
    def top(self):
        return self.x == 5


@pytest.mark.parametrize("options", ENGINES, ids=str)
def test_a_counterexample_from_a_later_initial_state_replays(options: dict[str, Any]) -> None:
    """The shortest way to x = 4 starts at x = 2 (the third initial state): two steps."""
    spec = Spec("climb", Climb(), violated("BelowFour"))
    result = run(spec, **options)
    assert result.verdict == "violated", result.error
    trace = result.violations[0].trace
    assert trace is not None and trace.replay[0] == 2 and len(trace.steps) == 2
    assert trace.initial == {"x": 2}
    rebuilt, last = replay(spec.system(), trace.replay)
    assert spec.system().describe(last) == {"x": 4}
    assert [s.action for s in rebuilt.steps] == ["up", "up"]


def test_simulation_starts_from_every_initial_state() -> None:
    sim = simulate(ModelSystem(Climb()), walks=50, depth=5, seed=1)
    assert sim.violated == ["BelowFour"]
    finding = sim.findings["BelowFour"]
    assert finding.key[0] == 2 and len(finding.steps) == 2


class ClimbFromTwo(Climb):
    @action
    def up(self):
        require(2 <= self.x < 5)
        self.x += 1


def test_the_stateful_bridge_draws_the_initial_state() -> None:
    """Only the third initial state can climb: the test must draw it to find the bug."""
    found = find_violation(Spec("climb", ClimbFromTwo(), violated("BelowFour"), deadlock=False))
    assert found is not None
    trace = found.violation.trace
    assert trace is not None and trace.replay[0] == 2 and len(trace.steps) == 2


class Settle(Model):
    x = durable(one_of((0, 1)))

    @action
    def spin(self):
        require(self.x == 1)

    @eventually
    def zero(self):
        return self.x == 0

    @final
    def done(self):
        return self.x == 0


def test_liveness_holds_for_every_initial_state() -> None:
    """``eventually`` is about every behaviour from every initial state: from x = 1 the
    model spins forever, a lasso whose stem starts at the second initial state."""
    result = check_spec(Spec("settle", Settle(), violated("Zero")))
    assert result.verdict == "violated", result.error
    trace = result.violations[0].trace
    assert trace is not None and trace.replay[0] == 1 and trace.loop_start is not None


# -- errors ----------------------------------------------------------------------------------

class Empty(Model):
    n = parameter(0)
    slot = durable(one_of(lambda m: range(m.n)))


def test_an_empty_domain_is_a_model_error_naming_field_and_model() -> None:
    with pytest.raises(ModelError, match=r"field 'slot' of model Empty.*empty"):
        ModelSystem(Empty())
    result = check_spec(Spec("empty", Empty(), holds()))
    assert result.verdict == "error" and "'slot'" in result.error and "Empty" in result.error


class NoStart(Model):
    x = durable(one_of((1, 2)))

    @initial
    def never(self):
        require(self.x > 5)


def test_an_initial_hook_that_allows_nothing_is_a_model_error() -> None:
    with pytest.raises(ModelError, match=r"NoStart has no initial state"):
        ModelSystem(NoStart())


def test_a_second_initial_hook_is_refused() -> None:
    class Twice(HourClock):
        @initial
        def again(self):
            pass

        @initial
        def more(self):
            pass

    with pytest.raises(ModelError, match=r"@initial"):
        ModelSystem(Twice())


def test_one_of_refuses_mutable_options() -> None:
    class Mutable(Model):
        x = durable(one_of(([1], [2])))

    with pytest.raises(ModelError, match=r"'x'"):
        ModelSystem(Mutable())


def test_the_cli_exits_2_on_an_empty_domain(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "empty.py").write_text(textwrap.dedent('''
        from lifecheck import Model, Spec, durable, holds, one_of

        class Empty(Model):
            slot = durable(one_of(()))

        SPECS = [Spec("empty", Empty(), holds())]
    '''))
    assert main(["check", str(tmp_path)]) == 2
    out = capsys.readouterr()
    assert "'slot'" in out.out + out.err and "Empty" in out.out + out.err


# -- one initial state: nothing changes -------------------------------------------------------

def test_a_model_without_domains_has_its_one_initial_state() -> None:
    class Plain(Model):
        x = durable(3)

    assert ModelSystem(Plain()).init_states() == [((), (3,))]


# -- diagrams ---------------------------------------------------------------------------------

def test_diagrams_mark_every_initial_state() -> None:
    """The explored graph keeps each initial state under its position (what a replay key's
    first number names), and a role's machine starts in every control state they hold."""
    from lifecheck.diagrams.control import ControlStates, choose_rule
    from lifecheck.diagrams.explored import explored_graph
    from lifecheck.diagrams.roles import role_machine

    system = ModelSystem(Pair())
    exploration = explore(system, Options(check_liveness=False, record_graph=True))
    graph = explored_graph(system, exploration)
    assert sorted(graph.initial) == [0, 1, 2, 3]
    assert [graph.states[sid]["member1.mode"] + graph.states[sid]["member2.mode"]
            for _, sid in sorted(graph.initial.items())] == ["aa", "ab", "ba", "bb"]
    role = graph.roles[0]
    controls = ControlStates(graph, {r.name: choose_rule(r, [graph]) for r in graph.roles})
    assert role_machine(role, [controls]).initial == ["a", "b"]
