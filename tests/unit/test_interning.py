"""Written values and state parts are interned: equal states share their objects.

What makes the confirmation of a seen-state hit a look at identities (see
lifecheck.typed_values) must never merge values that model code can tell apart,
nor let a mutable value in because an equal immutable one was met before.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecheck import Model, Options, Spec, action, durable, holds, require
from lifecheck.errors import ModelError
from lifecheck.explore.bfs import explore
from lifecheck.modelling.runtime import Context
from lifecheck.typed_values import same_typed


class TwoPaths(Model):
    """Two paths, a then b or b then a, that end in equal states built apart."""

    a = durable(())
    b = durable(())

    @action
    def add_a(self):
        require(not self.a)
        self.a = tuple(["x", tuple(["y", 1])])  # a new object at every call

    @action
    def add_b(self):
        require(not self.b)
        self.b = tuple(["x", tuple(["y", 1])])


def test_equal_values_written_apart_are_one_object() -> None:
    exploration = explore(Spec("two", TwoPaths(), holds()).system(), Options(check_deadlock=False))
    assert exploration.distinct_states == 4
    written = [v for state in exploration.states for part in state[1:] for v in part if v]
    assert len(written) == 4 and all(v is written[0] for v in written)


@dataclass(frozen=True)
class Point:
    x: int
    y: int


def test_parts_equal_across_types_are_each_shared() -> None:
    """Regression: once (1,) was interned, every (True,) stayed a fresh object, so states
    holding it shared nothing (the thin path of the vector engine interned it again and
    again: the token ring's round 1 against a station's flag)."""
    ctx = Context()
    one = ctx.intern_part(tuple([1]))
    flag = ctx.intern_part(tuple([True]))
    assert flag is not one and ctx.intern_part(tuple([True])) is flag
    assert ctx.intern_part(tuple([1])) is one
    assert ctx.intern_part(tuple([1.0])) is not one


def test_values_equal_across_types_are_each_shared() -> None:
    ctx = Context()
    zero = ctx.intern(tuple([0, "a"]), "f")
    false = ctx.intern(tuple([False, "a"]), "f")
    assert false is not zero and ctx.intern(tuple([False, "a"]), "f") is false


@pytest.mark.parametrize(("first", "second"), [
    ((0, "a"), (False, "a")), (frozenset({0}), frozenset({False})), (Point(1, 0), Point(True, 0)),
    (1, 1.0), ((0.0,), (-0.0,)),
])
def test_a_value_equal_across_types_keeps_its_own_object(first: object, second: object) -> None:
    ctx = Context()
    assert ctx.intern(first, "f") is first
    got = ctx.intern(second, "f")
    assert got is second and repr(got) == repr(second)
    assert ctx.intern(first, "f") is first


def test_a_mutable_value_equal_to_an_interned_one_is_still_refused() -> None:
    ctx = Context()
    ctx.intern((1, (2,)), "f")
    with pytest.raises(ModelError, match="list"):
        ctx.intern((1, [2]), "f")
    with pytest.raises(ModelError, match="NaN"):
        ctx.intern(float("nan"), "f")


def test_parts_of_equal_states_are_shared_but_typed_parts_are_not() -> None:
    ctx = Context()
    first, again = tuple(["a", 0]), tuple(["a", 0])  # equal, two objects
    assert first is not again
    assert ctx.intern_part(first) is first
    assert ctx.intern_part(again) is first
    falsy = tuple(["a", False])
    assert ctx.intern_part(falsy) is falsy


# Values that compare equal in several typings, and a few that do not.
_TYPINGS = [0, False, 0.0, -0.0, 1, True, 1.0, (0,), (False,), (1,), (True,), (1.0,),
            frozenset({1}), frozenset({True}), Point(1, 0), Point(True, 0), "a", None]


@given(st.lists(st.sampled_from(range(len(_TYPINGS))), max_size=40), st.booleans())
def test_interning_gives_one_object_per_typing_in_any_order(picks: list[int], parts: bool) -> None:
    """The law behind sharing across typings, whatever order they are met in: the object
    given back has the very types asked for, and every later request of that typing gets
    that same object (the table answers the typing met last first; the others stay found)."""
    ctx = Context()
    given_for: dict[int, object] = {}
    for i in picks:
        value = _TYPINGS[i]
        asked = tuple([value]) if parts else value
        got = ctx.intern_part(asked) if parts else ctx.intern(asked, "f")
        assert same_typed(got, asked) and repr(got) == repr(asked)
        if i in given_for:  # one typing per entry of the pool
            assert got is given_for[i]
        else:
            given_for[i] = got


def test_a_typing_met_again_and_again_is_the_tables_answer() -> None:
    """Regression for the token ring: (1,) met once, then (True,) at every step, went the
    long way (a typed look-up) at every step; now the typing met last answers first."""
    ctx = Context()
    ctx.intern_part(tuple([1]))
    flag = ctx.intern_part(tuple([True]))
    assert ctx.interned[(True,)] is flag
    assert ctx.intern_part(tuple([True])) is flag
    one = ctx.intern_part(tuple([1]))
    assert ctx.interned[(1,)] is one and one is not flag and type(one[0]) is int
