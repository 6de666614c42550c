"""Modelling mistakes are errors (exit 2), never design verdicts; each small hole is closed.

A design that is wrong gives ``violated`` (exit 1 when not expected). A model or
spec that cannot be checked as written gives ``error`` (exit 2) with a message
that names the spec, the action or property, the step and what to write instead:
a property that returns something other than True or False, a name typo on a
view, ``fault(kind)`` with no budget for that kind, an ambiguous ``choose``, an
unknown fairness name. An exception raised by the model's own logic stays a
violation (it may be a real bug of the design), located at the user's line.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from lifecheck import (
    Bounds,
    Fail,
    Model,
    Options,
    Process,
    Spec,
    SpecError,
    action,
    always,
    check_spec,
    choose,
    durable,
    holds,
    require,
    role,
    transition,
    violated,
)
from lifecheck.cli import main
from lifecheck.modelling.runtime import choose_from

ENGINES = {
    "bfs": {},
    "vector": {"engine": "vector"},
    "2 workers": {"workers": 2},
    "fingerprints": {"fingerprints": True},
}


def _check(spec: Spec, engine: str = "bfs"):
    return check_spec(spec, Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                                    **ENGINES[engine]))


# -- a property must return True or False -----------------------------------------------

class Counter(Model):
    n = durable(0)

    @action
    def up(self):
        require(self.n < 3)
        self.n += 1


class ForgetsReturn(Counter):
    @always
    def small(self):
        self.n < 5  # noqa: B015 - the mistake under test: no return


class ReturnsInt(Counter):
    @always
    def small(self):
        return 5 - self.n


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("model", "words"), [(ForgetsReturn(), "returned None"),
                                              (ReturnsInt(), "returned 5 (int)")])
def test_a_property_that_returns_no_bool_is_a_modelling_error(model: Model, words: str,
                                                              engine: str) -> None:
    """Regression: None was taken as False and blamed on the design."""
    result = _check(Spec("nobool", model, holds(), deadlock=False), engine)
    assert result.verdict == "error"
    assert "Small" in result.error and words in result.error and "True or False" in result.error


# -- a name typo on a view ----------------------------------------------------------------

class Node(Process):
    phase = durable("idle")


class Typo(Model):
    nodes = role(Node)

    @action(Node)
    def go(self, p):
        require(p.phsae == "idle")
        p.phase = "busy"


class TypoInProperty(Model):
    nodes = role(Node)

    @action(Node)
    def go(self, p):
        require(p.phase == "idle")
        p.phase = "busy"

    @always
    def idle_or_busy(self):
        return all(n.phsae in ("idle", "busy") for n in self.nodes)


@pytest.mark.parametrize("model", [Typo(), TypoInProperty()], ids=["action", "property"])
def test_a_name_that_is_not_a_field_is_a_modelling_error_with_a_suggestion(model: Model) -> None:
    result = check_spec(Spec("typo", model, holds(), deadlock=False))
    assert result.verdict == "error"
    assert "node1.phsae" in result.error and "did you mean 'phase'" in result.error


class NoneAttribute(Model):
    nodes = role(Node)

    @action(Node)
    def go(self, p):
        require(p.phase == "idle")
        owner = None
        owner.release()  # the design's own bug: a violation, at this line


def test_an_exception_of_the_models_own_logic_is_a_violation_naming_its_line() -> None:
    result = check_spec(Spec("own", NoneAttribute(), violated("ExceptionInAction"),
                             deadlock=False))
    assert result.verdict == "violated"
    (v,) = result.violations
    assert "AttributeError" in v.message
    assert "test_modelling_errors.py:" in v.message
    line = next(n for n, text in enumerate(Path(__file__).read_text().splitlines(), 1)
                if "owner.release()" in text)
    assert f"test_modelling_errors.py:{line}" in v.trace.steps[-1].failure
    row = result.to_json()["violations"][0]
    assert f"test_modelling_errors.py:{line}" in row["message"]


# -- fault(kind) needs a budget for that kind ---------------------------------------------

class Flaky(Model):
    sent = durable(0)

    @action
    def send(self):
        require(self.sent == 0)
        self.sent = 2 if fault_net() else 1


def fault_net() -> bool:
    from lifecheck import fault

    return fault("net")


def test_fault_of_a_kind_the_spec_does_not_budget_is_an_error() -> None:
    """Regression: fault("net") with no Fail(kind="net") silently never fired."""
    result = check_spec(Spec("flaky", Flaky(), holds(), deadlock=False))
    assert result.verdict == "error"
    assert "fault('net')" in result.error and "Fail(kind='net'" in result.error
    with_budget = check_spec(Spec("flaky", Flaky(), holds(), deadlock=False,
                                  faults=[Fail(kind="net", max=1)]))
    assert with_budget.verdict == "holds" and with_budget.stats.distinct_states == 3
    none = check_spec(Spec("flaky", Flaky(), holds(), deadlock=False,
                           faults=[Fail(kind="net", max=0)]))
    assert none.verdict == "holds" and none.stats.distinct_states == 2


# -- choose: one option per argument; choose_from(collection) -----------------------------

class Picks(Model):
    got = durable(None)

    @action
    def pick(self):
        require(self.got is None)
        self.got = choose(("1a", 0))


class PicksFrom(Model):
    got = durable(None)

    @action
    def pick(self):
        require(self.got is None)
        self.got = choose_from(frozenset({"b", "a", "c"}))


def test_choose_with_one_collection_is_ambiguous_and_refused() -> None:
    """Regression: choose(("1a", 0)) explored "1a" and 0, not the tuple."""
    result = check_spec(Spec("pick", Picks(), holds(), deadlock=False))
    assert result.verdict == "error"
    assert "choose_from(" in result.error and "choose(('1a', 0))" in result.error


def test_choose_from_explores_each_member_in_a_fixed_order() -> None:
    """A set's iteration order follows the string hash salt: choices are sorted instead, so
    replay keys mean the same thing in every process."""
    result = check_spec(Spec("pick", PicksFrom(), holds(), deadlock=False))
    assert result.verdict == "holds" and result.stats.distinct_states == 4
    system = Spec("pick", PicksFrom(), holds()).system()
    steps = [step for step, _ in system.successors(system.init_states()[0])]
    assert [s.choices for s in steps] == [("a",), ("b",), ("c",)]


class Two(Model):
    got = durable(None)

    @action
    def pick(self):
        require(self.got is None)
        self.got = choose("1a", 0)

    @always
    def never_zero(self):
        return self.got != 0


def test_choose_with_several_arguments_explores_each_argument() -> None:
    result = check_spec(Spec("two", Two(), violated("NeverZero"), deadlock=False))
    assert result.matches and result.stats.distinct_states == 3


# -- specs --------------------------------------------------------------------------------

class Worker(Process):
    done = durable(False)


class Job(Model):
    workers = role(Worker)

    @action(Worker)
    def finish(self, w):
        require(not w.done)
        w.done = True

    @always
    def fine(self):
        return True


def test_an_unknown_fairness_name_is_refused() -> None:
    """Regression: a typo in fairness made nothing fair, silently."""
    result = check_spec(Spec("fair", Job(), holds(), fairness=["finsh"], deadlock=False))
    assert result.verdict == "error"
    assert "finsh" in result.error and "finish" in result.error


def test_a_spec_that_checks_no_property_says_so() -> None:
    result = check_spec(Spec("none", Job(), holds(), properties=[], deadlock=False))
    assert result.verdict == "holds"
    assert any("checks no property" in w for w in result.warnings)


# -- one rule for steps into states beyond a bound ----------------------------------------

class Chain(Model):
    n = durable(0)

    @action
    def up(self):
        require(self.n < 10)
        self.n += 1

    @transition
    def no_jump_to_four(before, after):
        return after.n != 4


@pytest.mark.parametrize("engine", ["bfs", "vector", "2 workers", "fingerprints"])
@pytest.mark.parametrize("bounds", [Bounds(max_depth=3), Bounds(max_states=4)],
                         ids=["depth", "states"])
def test_a_step_out_of_an_explored_state_is_checked_whatever_bound_its_target_is_beyond(
        engine: str, bounds: Bounds) -> None:
    """Regression: bfs and vector said incomplete here, --workers 2 said violated."""
    result = _check(Spec("chain", Chain(), holds(), bounds=bounds, deadlock=False), engine)
    assert result.verdict == "violated", (engine, result.error)
    (v,) = result.violations
    assert v.property == "NoJumpToFour" and len(v.trace.steps) == 4


# -- exit codes -----------------------------------------------------------------------------

SPECS = textwrap.dedent('''
    import itertools

    from lifecheck import Model, Spec, action, always, durable, fault, holds, require, violated

    TICKS = itertools.count()

    class Counter(Model):
        n = durable(0)

        @action
        def up(self):
            require(self.n < 3)
            self.n += 1

        @always
        def small(self):
            return self.n < 3

    class NoReturn(Counter):
        @always
        def quiet(self):
            pass

    class Raises(Counter):
        @always
        def quiet(self):
            return {}["missing"]

    class Mutable(Counter):
        @action
        def keep(self):
            require(self.n == 1)
            self.n = [1]

    class Undeclared(Counter):
        @action
        def keep(self):
            require(self.n == 1)
            self.extra = 1

    class Typo(Counter):
        @action
        def peek(self):
            require(self.nn == 1)

    class Ticks(Counter):
        @action
        def tick(self):
            require(self.n == 1)
            self.n = 1 + next(TICKS) % 2

    class Unbudgeted(Counter):
        @action
        def call(self):
            require(self.n == 1)
            self.n = 2 if fault("net") else 3

    SPECS = [
        Spec("right", Counter(), violated("Small"), deadlock=False),
        {extra}
    ]
''')


def _spec(name: str, model: str) -> str:
    return f'Spec("{name}", {model}(), holds(), deadlock=False),'


@pytest.mark.parametrize(("extra", "code", "words"), [
    ("", 0, ""),
    (_spec("wrong", "Counter"), 1, ""),
    (_spec("model-error", "NoReturn"), 2, "returned None"),
    (_spec("wrong", "Counter") + _spec("model-error", "NoReturn"), 2, "returned None"),
    (_spec("model-error", "Raises"), 2, "raised KeyError"),
    (_spec("model-error", "Mutable"), 2, "was given a list"),
    (_spec("model-error", "Undeclared"), 2, "not a declared field"),
    (_spec("model-error", "Typo"), 2, "did you mean"),
    (_spec("model-error", "Ticks"), 2, "not deterministic"),
    (_spec("model-error", "Unbudgeted"), 2, "Fail(kind='net'"),
    ('Spec("model-error", Counter(), holds(), fairness=["upp"]),', 2, "upp"),
], ids=["expected", "design wrong", "property returns None", "both", "property raises",
        "mutable value", "undeclared field", "name typo", "non-determinism", "fault without budget",
        "unknown fairness name"])
def test_exit_status_says_which_kind_of_problem(tmp_path: Path, extra: str, code: int, words: str,
                                               capsys: Any) -> None:
    (tmp_path / "counter.py").write_text(SPECS.replace("{extra}", extra))
    assert main(["check", str(tmp_path)]) == code
    captured = capsys.readouterr()
    assert words in captured.out + captured.err


def test_a_spec_error_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("SPECS = [1]\n")
    assert main(["check", str(tmp_path)]) == 2


def test_fairness_is_validated_when_the_spec_is_built_into_a_system() -> None:
    with pytest.raises(SpecError, match="finsh"):
        Spec("fair", Job(), holds(), fairness=["finsh"]).system()
