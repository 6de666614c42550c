"""The partition hash agrees across processes and with Python's equality."""

import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from checker.stable_hash import PartHasher, stable
from checker.values import FrozenMap

atoms = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3),
                  st.floats(allow_nan=False, allow_infinity=False, width=16))
values = st.recursive(atoms, lambda inner: st.one_of(
    st.tuples(inner, inner), st.frozensets(inner, max_size=3),
    st.dictionaries(st.text(max_size=2), inner, max_size=3).map(FrozenMap)), max_leaves=8)


@given(values, values)
def test_equal_values_hash_alike(a, b):
    if a == b:
        assert stable(a) == stable(b)


@given(st.lists(st.tuples(values, values), min_size=1, max_size=6))
def test_the_part_cache_never_changes_an_answer(states):
    hasher = PartHasher()
    for state in states:
        assert hasher(state) == PartHasher()(state)


def test_another_process_with_another_salt_agrees():
    value = (None, "broker1", frozenset({"a", None}), FrozenMap({"k": (1, True)}))
    code = ("from checker.stable_hash import stable; from checker.values import FrozenMap; "
            "print(stable((None, 'broker1', frozenset({'a', None}), FrozenMap({'k': (1, True)}))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                         env={"PYTHONHASHSEED": "777", "PATH": ""}).stdout
    assert int(out) == stable(value)
