"""FrozenMap behaves as an immutable, hashable mapping; mutable values are refused."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecheck.values import FrozenMap, MutableValueError, check_immutable

keys = st.one_of(st.integers(-5, 5), st.text(max_size=3))
maps = st.dictionaries(keys, st.integers(), max_size=6)


@given(maps)
def test_equal_maps_hash_equal_whatever_the_order(d):
    a = FrozenMap(d)
    b = FrozenMap(reversed(list(d.items())))
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b)


@given(maps, keys, st.integers())
def test_set_returns_new_map_and_leaves_old(d, k, v):
    a = FrozenMap(d)
    b = a.set(k, v)
    assert dict(a) == d
    assert b[k] == v and len(b) == len(set(d) | {k})
    assert b.remove(k).get(k) is None


@pytest.mark.parametrize("value,hint", [([1], "tuple"), ({1: 2}, "FrozenMap"), ({1}, "frozenset"),
                                        ((1, [2]), "tuple"), (bytearray(b"x"), "bytes")])
def test_mutable_values_refused_with_hint(value, hint):
    with pytest.raises(MutableValueError, match=hint):
        check_immutable(value, "field 'x'")


def test_frozen_dataclass_accepted_and_plain_refused():
    @dataclasses.dataclass(frozen=True)
    class Frozen:
        a: int

    @dataclasses.dataclass
    class Plain:
        a: int

    check_immutable(Frozen(1), "f")
    with pytest.raises(MutableValueError):
        check_immutable(Plain(1), "f")
    with pytest.raises(MutableValueError):
        FrozenMap({"k": [1]})


def test_a_pickled_map_does_not_carry_its_hash_to_another_process():
    """A stale cached hash would split equal states across a dict in a worker or a resumed run."""
    import pickle
    import subprocess
    import sys

    m = FrozenMap({"a": "x"})
    hash(m)  # cache it under this process's string hashing
    blob = pickle.dumps(m)
    code = ("import pickle, sys; from lifecheck.values import FrozenMap; "
            "m = pickle.loads(sys.stdin.buffer.read()); "
            "print(hash(m) == hash(FrozenMap({'a': 'x'})), m == FrozenMap({'a': 'x'}))")
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True,
                         env={"PYTHONHASHSEED": "12345", "PATH": ""}, check=True).stdout
    assert out.decode().split() == ["True", "True"]
