"""The key-value store component's semantics, driven through tiny models.

Most tests run a fixed script of store calls, one call per step (the script is data,
a model parameter, so it must be immutable), and look at the results and at the
state the script leaves. A few check what faults do: a crash or a power loss loses
nothing, and a store built with ``fail=...`` has writes that fail within a budget.
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import (
    Crash,
    Fail,
    FrozenMap,
    Model,
    ModelError,
    PowerLoss,
    Process,
    Spec,
    action,
    always,
    check_spec,
    durable,
    final,
    holds,
    parameter,
    require,
    role,
)
from lifecheck.components.kv_store import KeyValueStore, has_prefix
from lifecheck.contract import ActionFailure
from lifecheck.modelling.compile import ModelSystem

Line = tuple[str, tuple, tuple, bool, Any]
"""One line of a script: (method, arguments, keyword arguments, check?, expected result)."""


def do(method: str, *args: Any, **kwargs: Any) -> Line:
    return (method, args, tuple(sorted(kwargs.items())), False, None)


def gives(expected: Any, method: str, *args: Any, **kwargs: Any) -> Line:
    """A line whose result must be ``expected`` (else the step fails with an assertion)."""
    return (method, args, tuple(sorted(kwargs.items())), True, expected)


PREDICATES = {"big": lambda key, value: value > 4, "three": lambda key, value: value == 3}
"""Predicates for ``where=``, named in scripts: a function is no immutable parameter value."""


class Worker(Process):
    """Runs the script; keeps nothing of its own."""


class Script(Model):
    """Runs ``lines`` in order against ``store``, one per step."""

    lines = parameter(())
    crew = role(Worker)
    store = KeyValueStore()
    pc = durable(0, "the next line of the script")

    @action(Worker)
    def run(self, w: Worker) -> None:
        require(self.pc < len(self.lines))
        method, args, kwargs, check, expected = self.lines[self.pc]
        kwargs = {k: PREDICATES[v] if k == "where" else v for k, v in kwargs}
        result = getattr(self.store, method)(*args, **kwargs)
        if check and result != expected:
            raise AssertionError(f"{method}{args} gave {result!r}, wanted {expected!r}")
        self.pc += 1

    @final
    def done(self) -> bool:
        return self.pc == len(self.lines)


class FailingScript(Script):
    """The same script against a store whose writes can fail (``Fail(kind="store")``)."""

    store = KeyValueStore(fail="store")


def system(*lines: Line, model: type[Script] = Script, faults: Any = ()) -> ModelSystem:
    return ModelSystem(model(lines=lines), faults)


def run(sys: ModelSystem, count: int | None = None) -> Any:
    """The state after ``count`` script lines (all by default); each must succeed."""
    state = sys.init_states()[0]
    for _ in range(len(sys.model.lines) if count is None else count):
        runs = [(s, out) for s, out in sys.successors(state) if s.action == "run"]
        assert len(runs) == 1, f"expected one enabled line, got {[s.label() for s, _ in runs]}"
        out = runs[0][1]
        assert not isinstance(out, ActionFailure), out.message
        state = out
    return state


def store(sys: ModelSystem, state: Any) -> dict[str, dict]:
    """The store's fields as plain dicts (a FrozenMap never equals a dict)."""
    return {k[len("store."):]: dict(v) for k, v in sys.describe(state).items()
            if k.startswith("store.")}


# -- reading and writing ---------------------------------------------------------------

def test_put_get_contains_and_delete() -> None:
    sys = system(gives(None, "get", "a"), gives("none", "get", "a", "none"),
                 gives(False, "contains", "a"),
                 gives(True, "put", "a", 1), gives(1, "get", "a"), gives(True, "contains", "a"),
                 gives(True, "put", "a", 2), gives(2, "get", "a"),
                 gives(True, "delete", "a"), gives(None, "get", "a"),
                 gives(True, "delete", "missing"))
    assert store(sys, run(sys)) == {"entries": {}, "origins": {}}


def test_keys_by_tuple_prefix_string_prefix_and_predicate() -> None:
    sys = system(do("put", ("t", 2, "c1"), 5), do("put", ("t", 1, "c1"), 3),
                 do("put", ("u", 1, "c1"), 7),
                 gives((("t", 1, "c1"), ("t", 2, "c1"), ("u", 1, "c1")), "keys"),
                 gives((("t", 1, "c1"), ("t", 2, "c1")), "keys", ("t",)),
                 gives((("t", 2, "c1"),), "keys", ("t", 2)),
                 gives((("t", 2, "c1"), ("u", 1, "c1")), "keys", where="big"),
                 gives((("t", 2, "c1"),), "keys", ("t",), where="big"),
                 gives((), "keys", ("v",)))
    run(sys)
    sys = system(do("put", "topic/a", 1), do("put", "topic/b", 2), do("put", "other", 3),
                 gives(("topic/a", "topic/b"), "keys", "topic/"))
    run(sys)


def test_delete_all_removes_what_keys_selects_in_one_step() -> None:
    sys = system(do("put", ("t", "c1"), 1, origin=1), do("put", ("t", "c2"), 2, origin=1),
                 do("put", ("u", "c1"), 3, origin=1),
                 gives(True, "delete_all", ("t",)),
                 gives((("u", "c1"),), "keys"),
                 gives(True, "delete_all", where="three"))
    assert store(sys, run(sys)) == {"entries": {}, "origins": {}}


def test_the_state_does_not_depend_on_the_order_of_writes() -> None:
    one = system(do("put", "a", 1), do("put", "b", 2))
    other = system(do("put", "b", 2), do("put", "a", 0), do("put", "a", 1))
    assert store(one, run(one)) == store(other, run(other))
    assert run(one)[2] == run(other)[2]  # the store's part of the state, exactly


# -- origins, the ghost ------------------------------------------------------------------

def test_an_origin_lives_and_dies_with_its_entry() -> None:
    sys = system(do("put", "k", 1, origin="epoch1"), gives("epoch1", "origin", "k"),
                 do("put", "k", 2, origin="epoch2"), gives("epoch2", "origin", "k"),
                 do("put", "k", 3), gives(None, "origin", "k"),
                 do("put", "k", 4, origin="epoch3"), do("delete", "k"),
                 gives(None, "origin", "k"))
    assert store(sys, run(sys)) == {"entries": {}, "origins": {}}


# -- mistakes in the model are model errors, not design failures ---------------------------

@pytest.mark.parametrize(("line", "message"), [
    (do("delete_all"), "would empty the whole store"),
    (do("keys", 7), "a tuple or a string"),
    (do("keys", ("k",)), "is a tuple but key"),
])
def test_model_mistakes_raise_model_errors(line: Line, message: str) -> None:
    sys = system(do("put", "k", 1), line)
    with pytest.raises(ModelError, match=message):
        sys.successors(run(sys, count=1))


class StoresMutable(Model):
    """Puts a list, or records a dict as an origin: mistakes in a model using the store."""

    what = parameter("value")
    crew = role(Worker)
    store = KeyValueStore()

    @action(Worker)
    def put(self, w: Worker) -> None:
        if self.what == "value":
            self.store.put("k", [1, 2])
        else:
            self.store.put("k", 1, origin={"a": 1})


@pytest.mark.parametrize(("what", "message"), [("value", "use a tuple"), ("origin", "FrozenMap")])
def test_a_mutable_value_is_a_model_error_naming_the_store(what: str, message: str) -> None:
    sys = ModelSystem(StoresMutable(what=what))
    with pytest.raises(ModelError, match=f"store.put: .*{message}"):
        sys.successors(sys.init_states()[0])


def test_a_prefix_of_the_wrong_kind_is_refused_not_silently_unmatched() -> None:
    with pytest.raises(ModelError, match="is a tuple but key"):
        has_prefix("t/c1", ("t",))
    with pytest.raises(ModelError, match="is a string but key"):
        has_prefix(("t", "c1"), "t")
    with pytest.raises(ModelError, match="fault kind"):
        KeyValueStore(fail="")


def test_a_failed_assertion_in_a_script_is_a_design_failure() -> None:
    sys = system(gives(2, "get", "missing"))
    (out,) = [out for s, out in sys.successors(sys.init_states()[0]) if s.action == "run"]
    assert isinstance(out, ActionFailure)


# -- faults -----------------------------------------------------------------------------

def test_nothing_is_lost_in_a_crash_or_a_power_loss() -> None:
    lines = (do("put", "a", 1, origin="o"), do("put", "b", 2))
    sys = system(*lines, faults=(Crash(max=1), PowerLoss(max=1)))
    state = run(sys)
    after = {step.action: out for step, out in sys.successors(state) if step.is_fault}
    assert set(after) == {"crash", "power_loss"}
    for out in after.values():
        assert store(sys, out) == store(sys, state) == {"entries": {"a": 1, "b": 2},
                                                        "origins": {"a": "o"}}


class Writer(Model):
    """Puts 1..3 under one key, one per step; the durable field says what was acknowledged."""

    crew = role(Worker)
    store = KeyValueStore()
    acked = durable(0, "the last value whose put returned")

    @action(Worker)
    def put(self, w: Worker) -> None:
        require(self.acked < 3)
        assert self.store.put("k", self.acked + 1)
        self.acked += 1

    @always
    def acknowledged_writes_are_kept(self) -> bool:
        return self.store.get("k", 0) == self.acked

    @final
    def done(self) -> bool:
        return self.acked == 3


def test_every_acknowledged_write_survives_any_number_of_crashes_and_power_losses() -> None:
    result = check_spec(Spec("kv-durable", Writer(), holds(),
                             faults=[Crash(max=2), PowerLoss(max=2)]))
    assert result.verdict == "holds", result.violations
    assert result.warnings == []


def test_without_fail_a_write_never_fails_even_with_a_budget() -> None:
    sys = system(gives(True, "put", "a", 1), faults=(Fail(kind="store", max=1),))
    runs = [s for s, _ in sys.successors(sys.init_states()[0]) if s.action == "run"]
    assert len(runs) == 1


@pytest.mark.parametrize("line", [do("put", ("a", 1), 2, origin="new"), do("delete", ("a", 1)),
                                  do("delete_all", ("a",))])
def test_a_failing_store_write_has_two_outcomes_and_the_failed_one_changes_nothing(line: Line) -> None:
    setup = (("put", (("a", 1), 1), (("origin", "old"),), False, None),)
    sys = system(*setup, line, model=FailingScript, faults=(Fail(kind="store", max=1),))
    state = sys.init_states()[0]
    ((_, state),) = [(s, out) for s, out in sys.successors(state) if not s.choices]
    before = store(sys, state)
    outcomes = {s.label(): out for s, out in sys.successors(state) if s.action == "run"}
    assert set(outcomes) == {"run", "run -> store fails"}
    assert store(sys, outcomes["run -> store fails"]) == before
    assert store(sys, outcomes["run"]) != before


class FailingWriter(Model):
    """Puts a value and records whether the store said it was written."""

    crew = role(Worker)
    store = KeyValueStore(fail="store")
    result = durable(None, "what put returned (None: not yet called)")

    @action(Worker)
    def put(self, w: Worker) -> None:
        require(self.result is None)
        self.result = self.store.put("k", 1)

    @always
    def the_result_tells_the_truth(self) -> bool:
        return self.result is None or self.result == self.store.contains("k")

    @final
    def done(self) -> bool:
        return self.result is not None


def test_put_returns_false_exactly_when_the_write_failed() -> None:
    result = check_spec(Spec("kv-fail", FailingWriter(), holds(), faults=[Fail(kind="store", max=1)]))
    assert result.verdict == "holds"
    assert result.stats.distinct_states == 3  # not yet, written, failed


def test_stored_values_are_immutable_values_in_one_frozen_map() -> None:
    sys = system(do("put", ("t", "c"), (1, 2)))
    seen = sys.describe(run(sys))
    assert isinstance(seen["store.entries"], FrozenMap)
    assert seen["store.entries"][("t", "c")] == (1, 2)
