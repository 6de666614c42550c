"""A spec's fairness rules on real models: strength, units, and what is refused.

Each pair of specs differs only in fairness, and the verdict flips: weak against
strong fairness on a step that other steps keep disabling, one unit per action
against one per parameter value, one unit per process against one per action.
"""

from __future__ import annotations

import pytest

from lifecheck import (
    Model,
    Options,
    Process,
    Spec,
    SpecError,
    Step,
    Strong,
    Weak,
    action,
    check_spec,
    durable,
    eventually,
    final,
    holds,
    require,
    role,
    violated,
)
from lifecheck.errors import ModelError


class Flicker(Model):
    """A light that toggles; ``grab`` works only while it is on."""

    on = durable(False)
    done = durable(False)

    @action
    def toggle(self):
        require(not self.done)
        self.on = not self.on

    @action
    def grab(self):
        require(self.on and not self.done)
        self.done = True

    @eventually
    def grabbed(self):
        return self.done

    @final
    def finished(self):
        return self.done


class Picker(Process):
    done = durable(False)


class Pick(Model):
    """``pick(v=0)`` changes nothing, ``pick(v=1)`` finishes; ``spin`` changes nothing."""

    pickers = role(Picker, count=1)

    @action(Picker, v=lambda m: range(2))
    def pick(self, p, v):
        require(not p.done)
        p.done = v == 1

    @action(Picker)
    def spin(self, p):
        require(not p.done)

    @eventually
    def picked(self):
        return all(p.done for p in self.pickers)

    @final
    def finished(self):
        return all(p.done for p in self.pickers)


def test_weak_fairness_lets_a_flickering_step_starve() -> None:
    result = check_spec(Spec("flicker/weak", Flicker(), violated("Grabbed")))
    assert result.matches, result.violations
    assert result.fairness == "weak fairness on every action"


def test_strong_fairness_takes_a_step_enabled_infinitely_often() -> None:
    result = check_spec(Spec("flicker/strong", Flicker(), holds(),
                             fairness=["toggle", Strong("grab")]))
    assert result.matches, result.error or result.violations
    assert result.fairness == "weak fairness on toggle; strong fairness on grab"
    assert result.fairness_rules == [
        {"strength": "weak", "per": "action", "names": ["toggle"]},
        {"strength": "strong", "per": "action", "names": ["grab"]}]
    assert result.to_json()["fairness_rules"] == result.fairness_rules


def test_a_unit_per_action_is_paid_by_any_parameter_value() -> None:
    result = check_spec(Spec("pick/action", Pick(), violated("Picked"), fairness=["pick"]))
    assert result.matches, result.error or result.violations
    loop = result.violations[0].trace
    assert [s.label for s in loop.steps[loop.loop_start:]] == ["pick(v=0)"]


def test_a_unit_per_instance_forces_every_parameter_value() -> None:
    result = check_spec(Spec("pick/instance", Pick(), holds(),
                             fairness=[Weak("pick", per="instance")]))
    assert result.matches, result.error or result.violations
    assert result.fairness == "weak fairness on pick per instance"


def test_a_unit_per_process_is_paid_by_any_of_its_steps() -> None:
    # Per instance, pick(v=1) is forced: spin and pick(v=0) share no unit with it...
    per_instance = check_spec(Spec("pick/every-instance", Pick(), holds(),
                                   fairness=[Weak(per="instance")]))
    assert per_instance.matches, per_instance.error or per_instance.violations
    # ...per process, spinning pays for the whole process.
    per_process = check_spec(Spec("pick/process", Pick(), violated("Picked"),
                                  fairness=[Weak("picker1", per="process")]))
    assert per_process.matches, per_process.error or per_process.violations
    assert per_process.fairness == "weak fairness on picker1 per process"


def test_a_step_named_by_two_rules_is_refused() -> None:
    with pytest.raises(SpecError, match=r"picker1 pick is named by both Weak\('Picker'\) and "
                                        r"Strong\('pick', per='instance'\)"):
        Spec("two", Pick(), holds(), fairness=[Weak("Picker"), Strong("pick", per="instance")]
             ).system()


def test_plain_names_are_one_weak_rule_and_may_overlap() -> None:
    system = Spec("plain", Pick(), holds(), fairness=["pick", "picker1"]).system()
    assert system.fairness().description == "weak fairness on pick, picker1"


def test_an_unknown_name_in_a_rule_is_refused() -> None:
    with pytest.raises(SpecError, match="fairness names 'grabb'"):
        Spec("typo", Flicker(), holds(), fairness=[Strong("grabb")]).system()


def test_an_unknown_unit_is_refused() -> None:
    with pytest.raises(ModelError, match=r"per='step'.*'process', 'action', 'instance'"):
        Strong("grab", per="step")


def test_a_single_rule_must_be_in_a_list() -> None:
    result = check_spec(Spec("bare", Flicker(), holds(), fairness=Strong("grab")))  # type: ignore[arg-type]
    assert result.verdict == "error"
    assert "fairness must be a list" in result.error


def test_no_fairness_at_all_lets_every_behaviour_stop() -> None:
    result = check_spec(Spec("none", Flicker(), violated("Grabbed"), fairness=[]))
    assert result.matches
    assert result.fairness == "no fairness"
    assert result.violations[0].trace.stutter


def test_faults_are_never_fair_whatever_the_rules() -> None:
    system = Spec("every", Pick(), holds(), fairness=[Strong(per="instance")]).system()
    fairness = system.fairness()
    assert fairness.classify(Step("picker1", "crash", fault="crash")) is None
    unit = fairness.classify(Step("picker1", "pick", (("v", 1),)))
    assert unit == ("picker1", "pick", (("v", 1),)) and fairness.is_strong(unit)


def test_a_lasso_under_strong_fairness_says_so() -> None:
    """With toggle strongly fair and grab not fair at all, toggling for ever is a fair
    loop, and the message says what it respects."""
    result = check_spec(Spec("flicker/strong-toggle", Flicker(), violated("Grabbed"),
                             fairness=[Strong("toggle")]))
    assert result.matches, result.error or result.violations
    assert result.violations[0].message.endswith(
        "each fair action taken or disabled on the way (each strongly fair one enabled on "
        "the way taken)")


FAIRNESS = pytest.mark.parametrize(
    "fairness", [[Strong("grab"), Weak("toggle")], [Strong("grab")], [Strong("toggle")],
                 ["grab", "toggle"]], ids=["holds", "strong-grab", "strong-toggle", "weak"])


@FAIRNESS
@pytest.mark.parametrize("engine", [{"engine": "vector"}, {"workers": 2}], ids=["vector", "workers"])
def test_every_engine_finds_the_same_lasso_under_any_fairness(fairness: list, engine: dict) -> None:
    spec = Spec("flicker", Flicker(), holds(), fairness=fairness)
    bfs, other = check_spec(spec, Options()), check_spec(spec, Options(**engine))
    assert other.error == "" and other.verdict == bfs.verdict
    assert [(v.message, v.trace.loop_start, [s.action for s in v.trace.steps])
            for v in other.violations] == \
        [(v.message, v.trace.loop_start, [s.action for s in v.trace.steps]) for v in bfs.violations]
