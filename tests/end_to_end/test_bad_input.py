"""Bad input gets a clear error, never a bare traceback and never a wrong verdict.

A design that is wrong gives ``violated`` with a trace (an action that raises or
fails an ``assert``). An input that is wrong (a malformed model or spec, an action
that is not deterministic, a mutable value in the state, a property with side
effects) gives ``verdict == "error"`` with a message naming the spec, the action
or property, and the step; malformed spec objects and files are refused when they
are built or loaded, with a :class:`SpecError` that says what to write instead.
"""

from __future__ import annotations

import itertools
import random
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lifecheck import (
    Crash,
    Model,
    ModelError,
    Options,
    Process,
    Spec,
    SpecError,
    Step,
    TransitionSystem,
    action,
    always,
    check_spec,
    choose,
    durable,
    final,
    holds,
    require,
    role,
    transition,
    violated,
    volatile,
)
from lifecheck.explore.verdict import check_system
from lifecheck.modelling.spec import load_specs
from lifecheck.result import Result


class Node(Process):
    x = durable(0)


def check(name: str, model: Model, expect: Any = None, **kwargs: Any) -> Result:
    result = check_spec(Spec(name, model, expect or holds(), **kwargs))
    if result.verdict == "error":
        assert result.error.startswith(f"spec {name}"), result.error
    return result


# --------------------------------------------------------------------------------------
# A design that is wrong: violated, with a trace
# --------------------------------------------------------------------------------------


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


class Asserts(Model):
    nodes = role(Node)

    @action(Node)
    def check(self, p):
        require(p.x == 0)
        assert p.x == 1, "x must be one"


def test_action_that_raises_is_a_violation_with_a_trace() -> None:
    result = check("raises", Raises(), violated("ExceptionInAction"))
    assert result.verdict == "violated" and result.matches
    (violation,) = result.violations
    assert violation.property == "ExceptionInAction"
    assert "KeyError" in violation.message and "boom" in violation.message
    steps = violation.trace.steps
    assert [s.action for s in steps] == ["inc", "boom"]
    assert steps[-1].process == "node1"
    assert "KeyError" in steps[-1].failure and "missing" in steps[-1].failure
    assert steps[0].failure == ""


def test_failed_assert_is_assertion_in_action() -> None:
    result = check("asserts", Asserts(), violated("AssertionInAction"))
    assert result.verdict == "violated" and result.matches
    (violation,) = result.violations
    assert violation.property == "AssertionInAction"
    assert violation.trace.steps[-1].action == "check"
    # (pytest's assertion rewriting may append its own explanation to the message)
    assert violation.trace.steps[-1].failure.startswith("x must be one")


# --------------------------------------------------------------------------------------
# Actions that are not deterministic
# --------------------------------------------------------------------------------------

_COUNTER = itertools.count()


class Counter(Model):
    nodes = role(Node)

    @action(Node)
    def tick(self, p):
        p.x = next(_COUNTER) % 3


class Dice(Model):
    roll = durable(0.0)

    @action
    def throw(self):
        self.roll = random.random()


@pytest.mark.parametrize(("model", "what", "why"), [
    (Counter(), "tick", "not deterministic"),
    (Dice(), "throw", "random.random() was called in model code"),  # (lifecheck.modelling.sandbox)
])
def test_nondeterministic_action_is_an_error(model: Model, what: str, why: str) -> None:
    result = check("nondet", model)
    assert result.verdict == "error"
    assert why in result.error
    assert what in result.error
    assert "step 1" in result.error
    assert result.violations == []


_LATE = itertools.count()


class LateSurprise(Model):
    """Deterministic for 300 steps, then an action's outcome follows a hidden counter."""

    n = durable(0)
    x = durable(0)

    @action
    def tick(self):
        require(self.n < 600)
        self.n += 1
        if self.n > 300:
            self.x = next(_LATE) % 2


def test_nondeterminism_after_the_first_states_is_still_caught() -> None:
    """Regression: only the first 200 states were re-run, so this held with varying counts."""
    result = check("late", LateSurprise(), deadlock=False)
    assert result.verdict == "error"
    assert "not deterministic" in result.error and "tick" in result.error


class ReplayDiverges(TransitionSystem):
    """Successors differ between calls; determinism checks are off, so replay must notice."""

    def __init__(self) -> None:
        from lifecheck.contract import ALWAYS, Property
        self.calls = 0
        self.properties = [Property("Small", ALWAYS, lambda s: s < 2)]

    def init_states(self) -> list[int]:
        return [0]

    def successors(self, state: int) -> list[tuple[Step, int]]:
        self.calls += 1
        if state >= 3:
            return []
        return [(Step(None, "up"), state + 1 + (self.calls > 3))]


def test_replay_that_diverges_is_an_error_naming_the_step() -> None:
    with pytest.raises(ModelError, match=r"not deterministic") as info:
        check_system(ReplayDiverges(), Options(determinism_checks=0, check_deadlock=False),
                     Result("t", "t", "error"))
    assert "step" in str(info.value)


# --------------------------------------------------------------------------------------
# Values and attributes that would leak between states
# --------------------------------------------------------------------------------------


class PutList(Model):
    nodes = role(Node)

    @action(Node)
    def put(self, p):
        p.x = [1, 2]


class PutDict(Model):
    log = durable(())

    @action
    def put(self):
        require(self.log == ())
        self.log = {"a": 1}


class PutSet(Model):
    nodes = role(Node)

    @action(Node)
    def put(self, p):
        p.x = (1, {2})


@pytest.mark.parametrize(("model", "field", "kind", "hint"), [
    (PutList(), "node1.x", "list", "tuple"),
    (PutDict(), "log", "dict", "FrozenMap"),
    (PutSet(), "node1.x", "set", "frozenset"),
])
def test_mutable_value_in_a_field_is_an_error(model: Model, field: str, kind: str,
                                              hint: str) -> None:
    result = check("mutable", model)
    assert result.verdict == "error"
    assert f"field '{field}'" in result.error
    assert f"a {kind}" in result.error
    assert f"use {'lifecheck.' if hint == 'FrozenMap' else 'a '}{hint}" in result.error
    assert "action put" in result.error and "step 1" in result.error


class SetsProcessAttribute(Model):
    nodes = role(Node)

    @action(Node)
    def put(self, p):
        p.y = 1


class SetsModelAttribute(Model):
    nodes = role(Node)

    @action(Node)
    def put(self, p):
        self.cache = 1


@pytest.mark.parametrize(("model", "attr"), [(SetsProcessAttribute(), "node1.y"),
                                             (SetsModelAttribute(), "cache")])
def test_undeclared_attribute_set_in_an_action_is_an_error(model: Model, attr: str) -> None:
    result = check("undeclared", model)
    assert result.verdict == "error"
    assert f"set {attr}, which is not a declared field" in result.error
    assert "durable(...) or volatile(...)" in result.error
    assert "action put of node1" in result.error and "step 1" in result.error


class Unclassified(Process):
    x = durable(0)
    counter = 0


class UsesUnclassified(Model):
    nodes = role(Unclassified)

    @action(Unclassified)
    def inc(self, p):
        p.x = 1


def test_process_attribute_neither_durable_nor_volatile_is_an_error() -> None:
    result = check("unclassified", UsesUnclassified(), faults=[Crash(max=1)])
    assert result.verdict == "error"
    assert "Unclassified" in result.error and "'counter'" in result.error
    assert "neither durable(...) nor volatile(...)" in result.error


# --------------------------------------------------------------------------------------
# Properties must be side-effect free and total
# --------------------------------------------------------------------------------------


class Counting(Model):
    nodes = role(Node)

    @action(Node)
    def inc(self, p):
        require(p.x < 3)
        p.x += 1


class WritesInProperty(Counting):
    @always
    def sneaky(self):
        self.nodes[0].x = 5
        return True


class WritesInTransition(Counting):
    @transition
    def grows(before, after):
        before.nodes[0].x = 3
        return True


class RaisesInProperty(Counting):
    @always
    def fragile(self):
        return 1 / (2 - self.nodes[0].x) != 7


class ChoosesInProperty(Counting):
    @always
    def chooser(self):
        return choose(True, False)


@pytest.mark.parametrize(("model", "name", "words"), [
    (WritesInProperty(), "Sneaky", "must not change the state"),
    (WritesInTransition(), "Grows", "must not change the state"),
    (RaisesInProperty(), "Fragile", "raised ZeroDivisionError"),
])
def test_property_that_writes_or_raises_is_an_error(model: Model, name: str, words: str) -> None:
    result = check("bad-property", model)
    assert result.verdict == "error"
    assert f"property {name}" in result.error
    assert words in result.error


def test_choose_in_a_property_is_an_error() -> None:
    result = check("choose-in-property", ChoosesInProperty())
    assert result.verdict == "error"
    assert "can only be called inside an action" in result.error


def test_choose_in_a_property_names_the_property() -> None:
    result = check("choose-in-property", ChoosesInProperty())
    assert "Chooser" in result.error


def test_property_error_names_the_step() -> None:
    result = check("bad-property", RaisesInProperty())
    assert "step 2" in result.error or result.error_trace is not None


# --------------------------------------------------------------------------------------
# Core-level systems with unhashable states
# --------------------------------------------------------------------------------------


class ListInit(TransitionSystem):
    def init_states(self) -> list[Any]:
        return [[0]]

    def successors(self, state: Any) -> list[Any]:
        return []


class ListSuccessor(TransitionSystem):
    def init_states(self) -> list[Any]:
        return [(0,)]

    def successors(self, state: Any) -> list[Any]:
        return [(Step(None, "grow"), [1])]


@pytest.mark.parametrize(("system", "words"), [(ListInit(), "initial state"),
                                               (ListSuccessor(), "grow")])
def test_unhashable_core_state_is_an_error(system: TransitionSystem, words: str) -> None:
    with pytest.raises(ModelError, match="not hashable") as info:
        check_system(system, Options(), Result("t", "t", "error"))
    assert words in str(info.value)
    assert "tuple, frozenset, FrozenMap" in str(info.value)


# --------------------------------------------------------------------------------------
# Malformed specs
# --------------------------------------------------------------------------------------


def test_unknown_model_parameter_is_refused_when_the_model_is_built() -> None:
    with pytest.raises(ModelError, match=r"Raises has no parameter size \(its parameters: none\)"):
        Raises(size=3)


def test_expecting_an_unknown_property_is_an_error() -> None:
    result = check("unknown-expect", Raises(), violated("NoSuchThing"))
    assert result.verdict == "error"
    assert "expects NoSuchThing to be violated" in result.error


def test_selecting_an_unknown_property_is_an_error() -> None:
    result = check("unknown-select", Raises(), properties=["NoSuchThing"])
    assert result.verdict == "error"
    assert "unknown property NoSuchThing" in result.error


def test_crash_naming_an_unknown_role_is_an_error() -> None:
    result = check("crash-role", Raises(), faults=[Crash(max=1, roles=("brokers",))])
    assert result.verdict == "error"
    assert "Crash(roles=...)" in result.error and "'brokers'" in result.error
    assert "'nodes'" in result.error  # says which roles exist


def test_the_same_fault_kind_twice_is_an_error() -> None:
    result = check("twice", Raises(), faults=[Crash(max=1), Crash(max=2)])
    assert result.verdict == "error"
    assert "listed twice" in result.error


@pytest.mark.parametrize("faults", [["crash"], [Crash], [1]])
def test_faults_that_are_not_fault_objects_are_refused(faults: list[Any]) -> None:
    with pytest.raises(SpecError, match=r"faults must be Crash\(...\), Stop\(...\), Pause\(...\), "
                                         r"PowerLoss\(...\) or Fail"):
        Spec("faults", Raises(), holds(), faults=faults)


def test_negative_fault_budget_is_refused() -> None:
    with pytest.raises(SpecError, match="whole number >= 0"):
        Spec("budget", Raises(), holds(), faults=[Crash(max=-1)])


def test_a_single_fault_object_is_accepted_or_refused_clearly() -> None:
    try:
        spec = Spec("single", Raises(), violated("ExceptionInAction"), faults=Crash(max=1))
    except SpecError as exc:
        assert "faults" in str(exc)
        return
    assert check_spec(spec).verdict == "violated"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


MODEL_SOURCE = """\
from lifecheck import Model, Spec, durable, holds

class M(Model):
    x = durable(0)
"""


def test_spec_file_that_raises_on_import_names_the_file_and_line(tmp_path: Path) -> None:
    file = write(tmp_path / "broken.py", """\
        from lifecheck import Spec

        x = 1
        raise RuntimeError("boom at import")
        """)
    with pytest.raises(SpecError) as info:
        load_specs(str(file))
    message = str(info.value)
    assert f"{file}:4" in message
    assert "RuntimeError: boom at import" in message


def test_spec_file_with_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    file = write(tmp_path / "syntax.py", 'from lifecheck import Spec\n\nSPECS = [\n    Spec("a",\n')
    with pytest.raises(SpecError) as info:
        load_specs(str(file))
    assert str(file) in str(info.value) and "line 4" in str(info.value)


def test_spec_file_building_a_model_with_an_unknown_parameter(tmp_path: Path) -> None:
    file = write(tmp_path / "param.py", MODEL_SOURCE + 'SPECS = [Spec("p", M(size=2), holds())]\n')
    with pytest.raises(SpecError, match="has no parameter size") as info:
        load_specs(str(file))
    assert str(file) in str(info.value)


@pytest.mark.parametrize("specs", ['"nope"', "[1, 2]", "{}"])
def test_specs_that_is_not_a_list_of_spec(tmp_path: Path, specs: str) -> None:
    file = write(tmp_path / "notspecs.py", f"SPECS = {specs}\n")
    with pytest.raises(SpecError, match="SPECS must be a list of Spec objects") as info:
        load_specs(str(file))
    assert str(file) in str(info.value)


def test_duplicate_spec_names_are_refused(tmp_path: Path) -> None:
    for name in ("a.py", "b.py"):
        write(tmp_path / name, MODEL_SOURCE + 'SPECS = [Spec("same", M(), holds())]\n')
    with pytest.raises(SpecError, match="spec names must be unique; repeated: same"):
        load_specs(str(tmp_path))


def test_load_specs_on_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing.py"
    with pytest.raises(SpecError, match="no such spec file or folder") as info:
        load_specs(str(missing))
    assert str(missing) in str(info.value)


def test_path_with_an_unknown_spec_name(tmp_path: Path) -> None:
    file = write(tmp_path / "one.py", MODEL_SOURCE + 'SPECS = [Spec("real", M(), holds())]\n')
    assert [s.name for s in load_specs(f"{file}::real")] == ["real"]
    with pytest.raises(SpecError, match=r"no spec named 'other'.*\(there: real\)"):
        load_specs(f"{file}::other")


# --------------------------------------------------------------------------------------
# Gaps: bad input that still gives a bare traceback or a verdict
# --------------------------------------------------------------------------------------


class MissingProcessArgument(Model):
    nodes = role(Node)

    @action(Node)
    def go(self):  # forgot the process argument
        pass


class WrongParameterName(Model):
    nodes = role(Node)

    @action(Node, v=range(2))
    def go(self, p, value):  # the domain is called v
        p.x = value


@pytest.mark.parametrize("model", [MissingProcessArgument(), WrongParameterName()])
def test_action_signature_mismatch_is_an_error_not_a_verdict(model: Model) -> None:
    result = check("signature", model)
    assert result.verdict == "error"
    assert "go" in result.error


class FinalRaises(Counting):
    @final
    def done(self):
        return 1 / 0


class CountFromMissingParameter(Model):
    nodes = role(Node, count="missing")


class DomainRaises(Model):
    nodes = role(Node)

    @action(Node, v=lambda m: range(m.nope))
    def go(self, p, v):
        pass


class InitialRaises(Model):
    x = volatile(lambda m: m.nope)


@pytest.mark.parametrize("model", [FinalRaises(), CountFromMissingParameter(), DomainRaises(),
                                   InitialRaises()],
                         ids=["final", "role-count", "domain", "initial"])
def test_model_code_outside_actions_that_raises_is_an_error(model: Model) -> None:
    result = check("outside-actions", model)
    assert result.verdict == "error"
