"""States are equal only when their values' types are equal too: 0, False and 0.0 differ.

Python calls ``0 == False == 0.0``; model code can tell them apart (``x is False``,
``type(x)``), so two states that differ only there are two states, in every engine
and every option (regression: every engine merged them, and the vector engine
rebuilt a successor with ``0`` where the step wrote ``False``).
"""

from __future__ import annotations

from collections import namedtuple
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecheck import Model, Options, Spec, action, always, check_spec, durable, holds, require
from lifecheck.typed_values import TypedFields, same_typed, type_clashes, typed_key
from lifecheck.values import FrozenMap

ENGINES = {
    "bfs": {},
    "fingerprints": {"fingerprints": True},
    "vector": {"engine": "vector"},
    "auto": {"engine": "auto"},
    "2 workers": {"workers": 2},
}


def _check(model: Model, engine: str, **spec_kw: Any):
    spec = Spec("typed", model, holds(), **spec_kw)
    return check_spec(spec, Options(bounds=spec.bounds, check_deadlock=False, **ENGINES[engine]))


class ZeroOrFalse(Model):
    """``x`` is 0 after one step and False after another: two states, two futures."""

    x = durable(0)
    stage = durable(0)

    @action
    def keep(self):
        require(self.stage == 0)
        self.stage = 1

    @action
    def to_false(self):
        require(self.stage == 0)
        self.x = False
        self.stage = 1

    @action
    def notice(self):
        require(self.stage == 1 and self.x is False)
        self.stage = 2

    @always
    def never_noticed(self):
        return self.stage != 2


@pytest.mark.parametrize("engine", ENGINES)
def test_zero_and_false_are_two_states_no_false_holds(engine: str) -> None:
    result = _check(ZeroOrFalse(), engine)
    assert result.error == ""
    assert result.verdict == "violated"
    assert result.stats.distinct_states == 4  # (0,0) (0,1) (False,1) (False,2)
    (v,) = result.violations
    assert [s.action for s in v.trace.steps] == ["to_false", "notice"]


class OnlyFalse(Model):
    """Only ever False after the flip: a successor rebuilt with 0 would be a false alarm."""

    x = durable(0)
    stage = durable(0)

    @action
    def flip(self):
        require(self.stage == 0)
        self.x = False
        self.stage = 1

    @always
    def false_after_flip(self):
        return self.stage == 0 or self.x is False


@pytest.mark.parametrize("engine", ENGINES)
def test_a_written_false_is_read_back_as_false_no_false_alarm(engine: str) -> None:
    result = _check(OnlyFalse(), engine)
    assert result.error == ""
    assert result.verdict == "holds"
    assert result.stats.distinct_states == 2


Point = namedtuple("Point", "x y")


class Level(IntEnum):
    LOW = 1


VARIANTS = [  # (a value, a different-typed value that == it)
    ((0,), (False,)),
    (frozenset({0, 1}), frozenset({False, True})),
    (1, 1.0),
    (0.0, -0.0),
    ((1, 2), Point(1, 2)),
    (1, Level.LOW),
    (FrozenMap({"k": 0}), FrozenMap({"k": 0.0})),
]


def _variant_model(first: Any, second: Any) -> Model:
    class Variant(Model):
        x = durable(first)
        stage = durable(0)

        @action
        def swap(self):
            require(self.stage == 0)
            self.x = second
            self.stage = 1

        @action
        def same(self):
            require(self.stage == 0)
            self.x = first
            self.stage = 1

        @always
        def keeps_its_type(self):
            return self.stage == 0 or repr(self.x) in (repr(first), repr(second))

    return Variant()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("first", "second"), VARIANTS, ids=[repr(v) for v in VARIANTS])
def test_each_kind_of_equal_but_different_value_is_its_own_state(engine: str, first: Any,
                                                                 second: Any) -> None:
    result = _check(_variant_model(first, second), engine)
    assert result.error == ""
    assert result.verdict == "holds"
    assert result.stats.distinct_states == 3


def test_a_checkpointed_run_resumes_with_the_types_it_learned(tmp_path) -> None:
    spec = Spec("typed", ZeroOrFalse(), holds())
    path = str(tmp_path / "run.ckpt")
    options = Options(check_deadlock=False, checkpoint=path, checkpoint_every=0.0)
    first = check_spec(spec, options)
    assert first.verdict == "violated" and first.stats.distinct_states == 4


# -- the ledger and the keys --------------------------------------------------------------

ATOMS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2),
                  st.sampled_from([0.0, -0.0, 1.0, 2.5]), st.sampled_from(["", "a"]))
VALUES = st.recursive(ATOMS, lambda inner: st.one_of(
    st.tuples(inner, inner), st.frozensets(inner, max_size=3),
    st.dictionaries(st.sampled_from(["k", "l"]), inner, max_size=2).map(FrozenMap)),
    max_leaves=6)


@given(VALUES, VALUES)
def test_typed_keys_are_equal_exactly_when_values_and_types_are(a: Any, b: Any) -> None:
    assert (typed_key(a) == typed_key(b)) == same_typed(a, b)
    if same_typed(a, b):
        assert repr(a) == repr(b) or isinstance(a, (frozenset, FrozenMap))


@given(VALUES, VALUES)
def test_same_typed_is_equality_with_equal_types_at_every_depth(a: Any, b: Any) -> None:
    assert same_typed(a, b) == (a == b and repr(typed_key(a)) == repr(typed_key(b))
                                if not isinstance(a, (frozenset, FrozenMap))
                                else typed_key(a) == typed_key(b))


@given(st.lists(st.tuples(VALUES, VALUES), min_size=2, max_size=2))
def test_type_clashes_name_the_fields_where_equal_states_differ_in_type(pair) -> None:
    (a0, a1), (b0, b1) = pair
    a, b = ((0,), (a0, a1)), ((0,), (b0, b1))
    if a != b:
        return
    clashes = type_clashes(a, b)
    assert ((1, 0) in clashes) == (not same_typed(a0, b0))
    assert ((1, 1) in clashes) == (not same_typed(a1, b1))
    assert (0, 0) not in clashes


def test_marking_a_field_moves_the_version_once() -> None:
    typed = TypedFields()
    assert typed.mark([(1, 0)]) and typed.version == 1
    assert not typed.mark([(1, 0)]) and typed.version == 1
    assert typed.mark([(1, 0), (2, 3)]) and typed.version == 2
