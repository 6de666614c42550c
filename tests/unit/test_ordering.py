"""The sort-based orderings agree with numpy's argsort and unique, for keys that pack
beside their positions whole and for keys packed by their high bits (negative, wide,
fingerprints, and keys that agree in their high bits but not in their low ones)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck.explore import ordering

keys = st.one_of(
    st.lists(st.integers(0, 50), max_size=200),  # small: packed whole
    st.lists(st.integers(-5, 5), max_size=50),  # negative: packed whole from the least
    st.lists(st.integers(0, 2**62), max_size=50),  # too wide to pack whole
    st.lists(st.integers(-2**63, 2**63 - 1), max_size=50),  # the whole signed range
).map(lambda values: np.array(values, np.int64))


@st.composite
def fingerprints(draw: st.DrawFn) -> np.ndarray:
    """Unsigned 64-bit keys around a few wide bases: keys near one base agree in their
    high bits and differ (and repeat) in their low ones, the case packing by high bits
    must put right; few bases or many decide whether it is put right group by group or
    by the argsort."""
    bases = draw(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=6))
    low = draw(st.integers(1, 12))
    picks = draw(st.lists(st.tuples(st.integers(0, len(bases) - 1), st.integers(0, 2**low - 1)),
                          max_size=300))
    return np.array([(bases[b] + d) % 2**64 for b, d in picks], np.uint64)


@settings(max_examples=300, deadline=None)
@given(keys)
def test_stable_order_is_the_stable_argsort(values: Any) -> None:
    assert_the_stable_argsort(values)


def assert_the_stable_argsort(values: np.ndarray) -> None:
    want = np.argsort(values, kind="stable")
    order, ordered = ordering.sorted_order(values)
    assert order.tolist() == want.tolist()
    assert ordered.dtype == values.dtype and ordered.tolist() == values[want].tolist()
    assert ordering.stable_order(values).tolist() == want.tolist()


@settings(max_examples=300, deadline=None)
@given(keys)
def test_distinct_values_counts_and_first_places_are_numpys(values: Any) -> None:
    unique, first, counts = np.unique(values, return_index=True, return_counts=True)
    assert ordering.sorted_distinct(values).tolist() == unique.tolist()
    distinct, counted = ordering.counted_distinct(values)
    assert distinct.tolist() == unique.tolist() and counted.tolist() == counts.tolist()
    if len(values) and values.min() >= 0:
        assert ordering.first_of_each(values).tolist() == sorted(first.tolist())


@settings(max_examples=400, deadline=None)
@given(fingerprints())
def test_stable_order_of_fingerprints_is_the_stable_argsort(values: Any) -> None:
    assert_the_stable_argsort(values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**16 - 1), max_size=100), st.sampled_from(
    [np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32, np.uint64]))
def test_narrow_types_keep_their_type(values: list[int], dtype: Any) -> None:
    info = np.iinfo(dtype)
    assert_the_stable_argsort(np.array([min(max(v + info.min, info.min), info.max) for v in values],
                                       dtype))


def test_a_few_clashing_high_bits_among_many_spread_keys_are_put_right_in_place() -> None:
    """Spread keys with a handful that share high bits: the regroup path, not the argsort."""
    rng = np.random.default_rng(7)
    spread = rng.integers(0, 2**63, size=5000, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    base = np.uint64(0xDEADBEEF12345678)
    clashing = np.array([base + np.uint64(d) for d in (9, 3, 9, 1, 3, 0)], np.uint64)
    values = np.concatenate((spread[:2000], clashing, spread[2000:], clashing[::-1]))
    calls = []
    real = np.argsort

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(args[0]))
        return real(*args, **kwargs)

    np.argsort = counted  # type: ignore[assignment]
    try:
        got = ordering.stable_order(values)
    finally:
        np.argsort = real  # type: ignore[assignment]
    assert got.tolist() == np.argsort(values, kind="stable").tolist()
    assert calls == []


def test_fingerprints_are_sorted_as_unsigned() -> None:
    prints = np.array([2**64 - 1, 5, 2**63, 5], np.uint64)
    assert ordering.sorted_distinct(prints).tolist() == [5, 2**63, 2**64 - 1]


def test_packing_holds_a_key_of_the_widest_width_that_fits() -> None:
    n = 1000
    wide = np.array([(1 << (63 - 10)) - 1 - i % 3 for i in range(n)], np.int64)  # 53 + 10 bits
    assert_the_stable_argsort(wide)
