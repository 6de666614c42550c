"""Fault budgets per role, and model mistakes that must read as errors, not verdicts."""

from lifecheck import (
    Crash,
    FrozenMap,
    Model,
    Process,
    Spec,
    action,
    always,
    check_spec,
    durable,
    holds,
    require,
    role,
    volatile,
)
from lifecheck.modelling.compile import ModelSystem


class Worker(Process):
    step = volatile(0)


class Boss(Process):
    step = volatile(0)


class Shop(Model):
    workers = role(Worker, count=2)
    bosses = role(Boss, count=1)

    @action(Worker)
    def work(self, w):
        require(w.step == 0)
        w.step = 1

    @action(Boss)
    def boss(self, b):
        require(b.step == 0)
        b.step = 1


def test_each_crash_entry_has_its_own_budget_and_victims():
    system = ModelSystem(Shop(), [Crash(max=1, roles=("bosses",)), Crash(max=2, roles=("workers",))])
    init = system.init_states()[0]
    crashes = [s for s, _ in system.successors(init) if s.action == "crash"]
    assert [s.process for s in crashes] == ["boss1", "worker1", "worker2"]
    # After the boss's one crash, only workers can crash, twice.
    after = next(o for s, o in system.successors(init) if s.process == "boss1" and s.action == "crash")
    assert [s.process for s, _ in system.successors(after) if s.action == "crash"] == ["worker1", "worker2"]
    assert [f.key for f in system.faults] == ["crash of bosses", "crash of workers"]


def test_overlapping_crash_entries_are_an_error():
    result = check_spec(Spec("overlap", Shop(), holds(),
                             faults=[Crash(max=1, roles=("workers",)), Crash(max=1)]))
    assert result.verdict == "error" and "both" in result.error and "worker1" in result.error


def test_crash_coverage_counts_role_limited_crashes():
    result = check_spec(Spec("cov", Shop(), holds(), faults=[Crash(max=1, roles="bosses")],
                             deadlock=False))
    assert result.coverage["crash"] > 0
    assert result.warnings == [w for w in result.warnings if "checks no property" in w]


class Base(Model):
    workers = role(Worker, count=1)

    @action(Worker)
    def work(self, w):
        require(w.step == 0)
        w.step = 1


class Extended(Base):
    log = durable(())

    @action(Worker)
    def work(self, w):
        super().work(w)
        self.log = (*self.log, w.name)

    @always
    def short_log(self):
        return len(self.log) <= 1


def test_an_overriding_action_can_run_its_base_effect():
    result = check_spec(Spec("super", Extended(), holds(), deadlock=False))
    assert result.verdict == "holds", result.error
    assert result.stats.distinct_states == 2


class Leaky(Model):
    table = durable(FrozenMap())

    @action
    def put(self):
        require("k" not in self.table)
        self.table = self.table.set("k", [1])


def test_a_mutable_value_put_into_a_frozenmap_is_an_error_not_a_violation():
    result = check_spec(Spec("leaky", Leaky(), holds(), deadlock=False))
    assert result.verdict == "error"
    assert "put" in result.error and "list" in result.error


def test_a_process_may_name_its_control_field_for_diagrams():
    from lifecheck import ModelError

    class Stepper(Process):
        phase = volatile("a")
        count = durable(0)
        control = "phase"

    class Uses(Model):
        steppers = role(Stepper)

    assert ModelSystem(Uses()).describe(ModelSystem(Uses()).init_states()[0]) == {
        "stepper1.phase": "a", "stepper1.count": 0}

    class Wrong(Process):
        phase = volatile("a")
        control = "stage"

    class UsesWrong(Model):
        wrongs = role(Wrong)

    try:
        ModelSystem(UsesWrong())
    except ModelError as exc:
        assert "control field" in str(exc) and "stage" in str(exc)
    else:
        raise AssertionError("an unknown control field must be refused")
