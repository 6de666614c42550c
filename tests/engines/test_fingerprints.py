"""The compact seen-set: the same exploration as the exact one, in 16 bytes a state."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecheck import Options, Spec, check_spec, holds
from lifecheck.contract import ALWAYS, Property, Step, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.explore.bfs import explore
from lifecheck.explore.seen import FingerprintTable, collision_probability
from lifecheck.modelling.spec import load_specs
from lifecheck.models.classic.philosophers import Philosophers
from tests.unit.test_stable_hash import PrintedAlike

ROOT = Path(__file__).resolve().parents[2]


@given(st.lists(st.integers(-(2**63), 2**64 - 1), max_size=300))
def test_the_table_is_a_set(values):
    table, reference = FingerprintTable(capacity=4), set()
    for v in values:
        key = (v & (2**64 - 1)) or 1
        assert table.add(v) == (key not in reference)
        reference.add(key)
    assert len(table) == len(reference)
    assert all(v in table for v in values)


def test_at_most_16_bytes_per_fingerprint():
    table = FingerprintTable()
    rng = random.Random(7)
    for _ in range(100_000):
        table.add(rng.getrandbits(64))
    assert table.nbytes / len(table) <= 16 * 1.0001 * 2  # at most half full, right after growing
    assert table.nbytes <= 8 * 2 * 2 * len(table)


def test_collision_probability_is_reported():
    assert collision_probability(1_000_000) == pytest.approx(2.7e-8, rel=0.1)


SPECS = load_specs(str(ROOT / "specs"))


@pytest.mark.parametrize("spec", SPECS[::3], ids=[s.name for s in SPECS[::3]])
def test_same_result_as_exact_deduplication(spec):
    exact = check_spec(spec, Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                                     engine="bfs"))
    compact = check_spec(spec, Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                                       check_liveness=False, fingerprints=True))
    assert compact.stats.distinct_states == exact.stats.distinct_states
    assert compact.stats.transitions == exact.stats.transitions
    assert compact.stats.depth == exact.stats.depth
    safety = {v.property: len(v.trace.steps) for v in exact.violations if v.kind != "liveness"}
    assert {v.property: len(v.trace.steps) for v in compact.violations} == safety
    assert compact.stats.collision_chance is not None and exact.stats.collision_chance is None


def test_compact_run_keeps_no_states_but_counts_them():
    system = Spec("p", Philosophers(n=6), holds()).system()
    run = explore(system, Options(fingerprints=True, measure_memory=True))
    assert run.distinct_states == 862 and run.states == [] and run.fingerprints
    assert run.stored_bytes / run.distinct_states < 40


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_no_two_reachable_states_share_a_fingerprint(spec):
    """Structure in the hash (a symmetric pairing, a reduction) shows up as collisions here."""
    from lifecheck.explore.stable_hash import Fingerprinter

    system = spec.system()
    states = explore(system, Options(check_liveness=False, check_deadlock=False)).states
    fingerprint = Fingerprinter()
    assert len({fingerprint(s) for s in states}) == len(states)


@given(st.sets(st.recursive(
    st.one_of(st.none(), st.integers(-2, 2), st.text(max_size=2)),
    lambda inner: st.one_of(st.tuples(inner, inner), st.frozensets(inner, max_size=3)),
    max_leaves=6), max_size=40))
def test_distinct_values_get_distinct_stable_hashes(values):
    from lifecheck.explore.stable_hash import stable

    assert len({stable(v) for v in values}) == len(values)


class _Readings(TransitionSystem):
    """PrintedAlike(0) -> (1) -> (2): three states, one repr."""

    name = "readings"

    def __init__(self) -> None:
        self.properties = [Property("Small", ALWAYS, lambda s: s.n < 5)]

    def init_states(self) -> list[PrintedAlike]:
        return [PrintedAlike(0)]

    def successors(self, state: PrintedAlike) -> list[tuple[Step, PrintedAlike]]:
        return [(Step(None, "up"), PrintedAlike(state.n + 1))] if state.n < 2 else []


def test_states_a_fingerprint_could_not_tell_apart_are_an_error_not_one_state() -> None:
    """Before, --fingerprints counted 1 state where there are 3, and said holds."""
    exact = explore(_Readings(), Options())
    assert exact.distinct_states == 3
    with pytest.raises(ModelError, match="print alike"):
        explore(_Readings(), Options(fingerprints=True))
