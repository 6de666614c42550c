"""Crash-stop, crashes and stops with a ``when`` guard, and pauses: state counts worked out by
hand on tiny models, two-phase commit's blocking case, and the mistakes that must read as
errors naming the fault."""

from __future__ import annotations

import pytest

from lifecheck import (
    Crash,
    Model,
    Options,
    Pause,
    PowerLoss,
    Process,
    Spec,
    Stop,
    action,
    always,
    check_spec,
    durable,
    eventually,
    final,
    holds,
    paused,
    require,
    role,
    stopped,
    violated,
    volatile,
)
from lifecheck.modelling.compile import ModelSystem
from lifecheck.models.two_phase_blocking import TwoPhaseBlocking as TwoPhase


class Counter(Process):
    n = durable(0)


class Count(Model):
    """One process counts to 2 (3 states without faults)."""

    workers = role(Counter, count=1)

    @action(Counter)
    def step(self, c):
        require(c.n < 2)
        c.n += 1

    @final
    def done(self):
        return all(c.n == 2 for c in self.workers)


def states(faults, model=None, **spec) -> int:
    result = check_spec(Spec("count", model or Count(), holds(), faults=faults, **spec))
    assert result.error == ""
    return result.stats.distinct_states


def test_no_faults_counts_three_states():
    assert states([]) == 3


def test_a_stop_adds_one_dead_state_per_live_one():
    # Running at n=0,1,2 (3); stopped at n=0,1,2 with the budget spent (3 more).
    assert states([Stop(max=1)]) == 6


def test_a_stopped_process_takes_no_step_and_its_stranded_state_is_a_deadlock():
    result = check_spec(Spec("count/stop", Count(), violated("Deadlock"), faults=[Stop(max=1)]))
    assert result.verdict == "violated" and result.matches, result.error
    trace = result.violations[0].trace
    assert [s.action for s in trace.steps] == ["stop"]  # stopped at n=0: nothing left to do
    assert trace.steps[-1].fault == "stop"


def test_when_limits_where_a_crash_or_stop_may_hit():
    # Stopped only at n=1: 3 running + 1 stopped.
    assert states([Stop(max=1, when=lambda m, p: p.n == 1)]) == 4
    # A crash keeps durable n and changes nothing else: only the budget moves, so a crash
    # where n == 1 adds (1, n) for n = 1, 2: 3 + 2.
    assert states([Crash(max=1, when=lambda m, p: p.n == 1)]) == 5
    assert states([Crash(max=1)]) == 6


def test_a_pause_disables_the_process_until_it_resumes():
    # Running with budget 0 (3), paused at n=0,1,2 (3), resumed with budget 1 (3).
    assert states([Pause(max=1)]) == 9
    system = ModelSystem(Count(), [Pause(max=1)])
    init = system.init_states()[0]
    pause = next(o for s, o in system.successors(init) if s.action == "pause")
    assert [s.action for s, _ in system.successors(pause)] == ["resume"]
    assert system.describe(pause)["counter1.status"] == "paused"
    assert system.actions() == ["step", "pause", "resume"]


def test_a_crash_ends_a_pause_and_a_power_loss_too_but_not_a_stop():
    system = ModelSystem(Count(), [Pause(max=1), Crash(max=1), Stop(max=1), PowerLoss(max=1)])
    init = system.init_states()[0]
    after = {s.action: o for s, o in system.successors(init)}
    paused_state = after["pause"]
    by_action = {s.action: o for s, o in system.successors(paused_state)}
    assert set(by_action) == {"resume", "crash", "stop", "power_loss"}
    assert system.describe(by_action["crash"])["counter1.status"] == "running"
    assert system.describe(by_action["power_loss"])["counter1.status"] == "running"
    stopped_state = after["stop"]
    assert [s.action for s, _ in system.successors(stopped_state)] == ["power_loss"]
    lost = next(o for s, o in system.successors(stopped_state) if s.action == "power_loss")
    assert system.describe(lost)["counter1.status"] == "stopped"


class Watched(Count):
    @always
    def alive_or_done(self):
        return all(not stopped(c) or c.n == 2 for c in self.workers)

    @always
    def never_paused(self):
        return not any(paused(c) for c in self.workers)


def test_properties_see_stopped_and_paused():
    result = check_spec(Spec("watched", Watched(), violated("AliveOrDone", "NeverPaused", "Deadlock"),
                             faults=[Stop(max=1), Pause(max=1)]))
    assert result.matches, (result.error, result.violated_properties)
    # Without the faults, the same properties read every process as running.
    assert check_spec(Spec("watched/none", Watched(), holds())).verdict == "holds"


# -- two-phase commit's blocking case (models/two_phase_blocking.py) --------------------------
def test_two_phase_commit_blocks_when_its_coordinator_stops():
    assert check_spec(Spec("2pc", TwoPhase(), holds())).verdict == "holds"
    assert check_spec(Spec("2pc/crash", TwoPhase(), holds(), faults=[Crash(max=1)])).verdict == "holds"
    result = check_spec(Spec("2pc/stop", TwoPhase(), violated("Deadlock", "AllDecided"),
                             faults=[Stop(max=1, roles=("coordinators",))]))
    assert result.matches, (result.error, result.violated_properties)
    assert "Consistent" not in result.violated_properties  # safety holds; progress does not
    trace = next(v for v in result.violations if v.property == "AllDecided").trace
    assert any(s.action == "stop" and s.process == "coordinator1" for s in trace.steps)


def test_a_stopped_participants_actions_need_no_fairness():
    # Without deadlock checking only liveness speaks: a stopped participant is not
    # owed its steps, the other participant still cannot commit alone: violated.
    result = check_spec(Spec("2pc/participant-stops", TwoPhase(), violated("AllDecided"),
                             faults=[Stop(max=1, roles=("participants",))], deadlock=False))
    assert result.matches, (result.error, result.violated_properties)


# -- mistakes ----------------------------------------------------------------------------------
def test_a_when_that_raises_is_a_model_error_naming_the_fault():
    result = check_spec(Spec("bad", Count(), holds(), faults=[Crash(max=1, when=lambda m, p: p.nn)]))
    assert result.verdict == "error"
    assert "Crash()'s when= predicate" in result.error and "test_process_faults.py" in result.error
    assert "counter1" in result.error


def test_a_when_that_returns_no_bool_is_a_model_error():
    result = check_spec(Spec("bad", Count(), holds(),
                             faults=[Stop(max=1, roles=("workers",), when=lambda m, p: p.n)]))
    assert result.verdict == "error"
    assert "Stop(roles=('workers',))'s when= predicate" in result.error
    assert "must return True or False" in result.error


def test_a_when_that_writes_is_a_model_error():
    def writes(m, p):
        p.n = 5
        return True

    result = check_spec(Spec("bad", Count(), holds(), faults=[Pause(max=1, when=writes)]))
    assert result.verdict == "error" and "must not change the state" in result.error


def test_a_when_that_is_not_callable_is_refused():
    result = check_spec(Spec("bad", Count(), holds(), faults=[Stop(max=1, when=True)]))
    assert result.verdict == "error" and "when= must be a function" in result.error


def test_a_field_named_status_clashes_with_stop_and_pause_only():
    class Holder(Process):
        status = volatile("a")

    class Clash(Model):
        holders = role(Holder, count=1)

        @action(Holder)
        def go(self, h):
            require(h.status == "a")
            h.status = "b"

    ok = check_spec(Spec("ok", Clash(), holds(), faults=[Crash(max=1)], deadlock=False))
    assert ok.verdict == "holds"
    result = check_spec(Spec("clash", Clash(), holds(), faults=[Stop(max=1)]))
    assert result.verdict == "error" and "declares a field 'status'" in result.error


def test_an_action_named_like_an_added_step_is_refused():
    class Resuming(Count):
        @action(Counter)
        def resume(self, c):
            require(c.n == 0)

    assert check_spec(Spec("ok", Resuming(), holds(), faults=[Stop(max=1)], deadlock=False)
                      ).error == ""
    result = check_spec(Spec("clash", Resuming(), holds(), faults=[Pause(max=1)]))
    assert result.verdict == "error" and "action resume" in result.error


def test_stopped_takes_a_process_view():
    class Asks(Count):
        @always
        def odd(self):
            return not stopped(self)

    result = check_spec(Spec("bad", Asks(), holds(), faults=[Stop(max=1)]))
    assert result.verdict == "error" and "take a process" in result.error


def test_overlapping_stop_entries_are_an_error_but_a_crash_and_a_stop_may_share():
    with pytest.raises(Exception, match="both"):
        ModelSystem(Count(), [Stop(max=1), Stop(max=1, roles=("workers",))])
    ModelSystem(Count(), [Stop(max=1), Crash(max=1)])


def test_every_engine_agrees_on_the_new_faults():
    for faults in ([Stop(max=1)], [Pause(max=1)], [Crash(max=1, when=lambda m, p: p.n == 1)]):
        counts = {engine: check_spec(Spec("e", Count(), holds(), faults=faults),
                                     Options(engine=engine, check_deadlock=False)
                                     ).stats.distinct_states
                  for engine in ("bfs", "vector")}
        assert len(set(counts.values())) == 1, (faults, counts)


# -- the bridges and symmetry ---------------------------------------------------------------
def test_the_stateful_bridge_finds_the_stale_write_through_a_pause():
    from lifecheck.stateful import find_violation, machine
    from specs.fencing import SPECS

    spec = next(s for s in SPECS if s.name == "fencing/lease-only/pause")
    assert {"pause", "resume"} <= machine(spec).rule_names
    found = find_violation(spec, seed=0)
    assert found is not None and found.property == "NoStaleWrite"
    assert any(action == "pause" for _, action in found.actions())
    fixed = next(s for s in SPECS if s.name == "fencing/tokens/pause")
    assert find_violation(fixed, seed=0) is None


class Pair(Count):
    workers = role(Counter, count=2)


def test_a_when_that_tells_processes_apart_is_caught_by_the_symmetry_audit():
    alike = check_spec(Spec("alike", Pair(), holds(), symmetry=("workers",), deadlock=False,
                            faults=[Stop(max=1, when=lambda m, p: p.n == 1)]))
    assert alike.error == "" and alike.verdict == "holds"
    result = check_spec(Spec("apart", Pair(), holds(), symmetry=("workers",), deadlock=False,
                             faults=[Stop(max=1, when=lambda m, p: p.name == "counter1")]))
    assert result.verdict == "error" and "symmetr" in result.error


# -- liveness ---------------------------------------------------------------------------------
class CountsToTwo(Count):
    @eventually
    def reaches_two(self):
        return all(c.n == 2 for c in self.workers)


def test_a_pause_ends_so_liveness_survives_it_whatever_the_fairness():
    for fairness in (None, ["step"]):
        result = check_spec(Spec("live/pause", CountsToTwo(), holds(), faults=[Pause(max=1)],
                                 fairness=fairness))
        assert result.verdict == "holds", (fairness, result.error, result.violated_properties)


def test_a_stop_is_forever_so_liveness_does_not_survive_it():
    result = check_spec(Spec("live/stop", CountsToTwo(), violated("ReachesTwo"), faults=[Stop(max=1)],
                             deadlock=False))
    assert result.matches, (result.error, result.violated_properties)
    lasso = result.violations[0].trace
    assert any(s.action == "stop" for s in lasso.steps) and lasso.stutter


# -- how the new steps read: stories and sequence diagrams --------------------------------------
def test_stories_and_sequence_diagrams_name_a_stop_and_a_pause():
    from lifecheck.diagrams.sequence import sequence_diagram
    from lifecheck.diagrams.sequence_mermaid import sequence_mermaid
    from lifecheck.render.story import tell
    from tests.snapshot import assert_snapshot

    blocked = check_spec(Spec("2pc/stop", TwoPhase(), violated("Deadlock", "AllDecided"),
                              faults=[Stop(max=1, roles=("coordinators",))]))
    deadlock = next(v for v in blocked.violations if v.property == "Deadlock")
    assert "!! coordinator1 stops for good (step 3)" in tell(deadlock)
    d = sequence_diagram(deadlock, ["coordinator1", "participant1", "participant2"], [])
    stop = next(item for row in d.rows for item in row.items if item.style == "crash")
    assert stop.lines == ("✗ 3 coordinator1 stops for good",)  # no "forgets status=..."
    assert_snapshot("diagram_sequence_stop.mmd", sequence_mermaid(d))

    from specs.fencing import SPECS

    spec = next(s for s in SPECS if s.name == "fencing/lease-only/pause")
    stale = check_spec(spec).violations[0]
    assert "!! client1 pauses (step 3): it takes no step until it resumes" in tell(stale)
    d = sequence_diagram(stale, ["client1", "client2"], [])
    pause = next(item for row in d.rows for item in row.items if item.style == "crash")
    assert pause.lines == ("‖ 3 client1 pauses",)
    assert_snapshot("diagram_sequence_pause.mmd", sequence_mermaid(d))


def test_simulation_injects_pauses_and_finds_the_stale_write():
    from lifecheck.walks.simulate import fault_kinds, simulate
    from specs.fencing import SPECS

    spec = next(s for s in SPECS if s.name == "fencing/lease-only/pause")
    system = spec.system()
    assert fault_kinds(system) == ["pause"]
    sim = simulate(system, walks=300, seed=0, expected=spec.expect)
    assert "NoStaleWrite" in sim.findings
    stopping = ModelSystem(TwoPhase(), [Stop(max=1, roles=("coordinators",))])
    assert fault_kinds(stopping) == ["stop"] and "stop" in stopping.actions()


def test_a_guarded_entry_says_so_where_the_faults_are_listed():
    def decided(m, c):
        return True

    assert Stop(max=1, roles="coordinators").describe() == "stop of coordinators<=1"
    assert Stop(max=1, when=decided).describe() == "stop<=1 (only where when=decided holds)"
    assert Pause(max=2, when=lambda m, p: True).describe() == "pause<=2 (only where when= holds)"
    assert Crash(max=1).describe() == "crash<=1"


def test_a_when_that_chooses_is_a_model_error_naming_it():
    from lifecheck import choose

    result = check_spec(Spec("bad", Count(), holds(),
                             faults=[Crash(max=1, when=lambda m, p: choose(True, False))]))
    assert result.verdict == "error"
    assert "choose() was called in Crash()'s when= predicate" in result.error
