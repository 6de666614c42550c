"""The sort-based orderings agree with numpy's argsort and unique, for keys that pack
beside their positions and for keys that do not (negative, or too wide)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck.explore import ordering

keys = st.one_of(
    st.lists(st.integers(0, 50), max_size=200),  # small: packed
    st.lists(st.integers(-5, 5), max_size=50),  # negative: argsort
    st.lists(st.integers(0, 2**62), max_size=50),  # too wide to pack
).map(lambda values: np.array(values, np.int64))


@settings(max_examples=300, deadline=None)
@given(keys)
def test_stable_order_is_the_stable_argsort(values: Any) -> None:
    assert ordering.stable_order(values).tolist() == np.argsort(values, kind="stable").tolist()


@settings(max_examples=300, deadline=None)
@given(keys)
def test_distinct_values_counts_and_first_places_are_numpys(values: Any) -> None:
    unique, first, counts = np.unique(values, return_index=True, return_counts=True)
    assert ordering.sorted_distinct(values).tolist() == unique.tolist()
    distinct, counted = ordering.counted_distinct(values)
    assert distinct.tolist() == unique.tolist() and counted.tolist() == counts.tolist()
    if len(values) and values.min() >= 0:
        assert ordering.first_of_each(values).tolist() == sorted(first.tolist())


def test_fingerprints_are_sorted_as_unsigned() -> None:
    prints = np.array([2**64 - 1, 5, 2**63, 5], np.uint64)
    assert ordering.sorted_distinct(prints).tolist() == [5, 2**63, 2**64 - 1]


def test_packing_holds_a_key_of_the_widest_width_that_fits() -> None:
    n = 1000
    wide = np.array([(1 << (63 - 10)) - 1 - i % 3 for i in range(n)], np.int64)  # 53 + 10 bits
    assert ordering.stable_order(wide).tolist() == np.argsort(wide, kind="stable").tolist()
