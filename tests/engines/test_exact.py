"""Exact runs of the vector engine: rows compared wherever fingerprints agree.

The random-model harness (test_differential.py) holds exact runs to the reference with
their keys cut to two bits; here the same is asked of lifecycle specs with faults,
liveness and counterexamples, and of the packed store of rows itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lifecheck import Options, Spec, check_spec, holds
from lifecheck.explore.vector.exact import KeptRows
from lifecheck.modelling.footprint import learner_for
from lifecheck.modelling.spec import load_specs
from lifecheck.models.classic.philosophers import Philosophers
from lifecheck.models.classic.token_ring import TokenRing
from lifecheck.result import Result
from tests.engines.colliding import colliding_keys

ROOT = Path(__file__).resolve().parents[2]


def _spec(target: str) -> Spec:
    return next(s for s in load_specs(str(ROOT / target)) if s.name == target.split("::")[1])


def _as_read(result: Result) -> str:
    data = result.to_json()
    for key in ("seconds", "states_per_second", "collision_chance"):
        data.pop(key, None)
    return json.dumps(data, sort_keys=True, default=str)


def _check(spec: Spec, **extra: object) -> Result:
    return check_spec(spec, Options(bounds=spec.bounds, check_deadlock=spec.deadlock, **extra))


SPECS = [
    "specs/segment_commit.py::segment-commit/retry/crash",  # liveness violated, 3,265 states
    "specs/extraction.py::extraction/marker/crash",  # holds, crashes
    "specs/extraction.py::extraction/in-place/power-loss",  # violated, power loss
    # symmetry reduction: keys stand for orbits, compared by the orbits' rows
    "specs/extraction.py::extraction/rename/2-brokers/crash/symmetric",
    "specs/extraction.py::extraction/rename-fsync/2-brokers/power-loss+crash/symmetric",
]


@pytest.mark.parametrize("target", SPECS, ids=lambda t: t.split("::")[1])
def test_colliding_keys_lose_states_unless_the_run_is_exact(target: str) -> None:
    spec = _spec(target)
    reference = _check(spec, engine="bfs")
    with colliding_keys(2):
        fingerprinted = _check(spec, engine="vector")
        exact = _check(spec, engine="vector", exact=True)
        handed = _check(spec, exact=True, handover=50, thin_handover=50)
    assert fingerprinted.stats.distinct_states < reference.stats.distinct_states
    assert _as_read(exact) == _as_read(reference)
    assert _as_read(handed) == _as_read(reference)
    assert exact.stats.collision_chance is None and handed.stats.collision_chance is None


def test_an_exact_run_keeps_a_byte_a_field_beside_the_fingerprinted_run() -> None:
    spec = Spec("philosophers/n=6", Philosophers(n=6), holds())  # 862 states, ids below 256
    width = len(learner_for(spec.system()).columns)
    runs = {name: _check(spec, check_liveness=False, measure_memory=True, **extra)
            for name, extra in [("bfs", {"engine": "bfs"}), ("vector", {"engine": "vector"}),
                                ("exact", {"engine": "vector", "exact": True})]}
    n = runs["bfs"].stats.distinct_states
    # fingerprinted: key (8), parent (4), step (4); exact: also the key's state id (8) and
    # the row, a byte a field
    assert runs["vector"].stats.stored_bytes == 16 * n
    assert runs["exact"].stats.stored_bytes == (24 + width) * n
    assert runs["exact"].stats.stored_bytes < runs["bfs"].stats.stored_bytes


def test_kept_rows_widen_their_type_and_grow_without_losing_a_row() -> None:
    kept = KeptRows(3)
    small = np.array([[1, 2, 3], [4, 5, 255]], np.int32)
    kept.add(small)
    assert kept.array.dtype == np.uint8 and kept.nbytes == 6
    wide = np.arange(3000 * 3, dtype=np.int32).reshape(3000, 3)
    kept.add(wide)
    assert kept.array.dtype == np.uint16
    assert kept.count == 3002 and kept.nbytes == 3002 * 3 * 2
    assert (kept.rows() == np.concatenate((small, wide))).all()
    assert (kept.rows()[[1, 3001]] == np.array([[4, 5, 255], wide[-1]])).all()
    kept.add(np.array([[70_000, 0, 0]], np.int32))
    assert kept.array.dtype == np.uint32 and int(kept.rows()[3002][0]) == 70_000


def test_exact_and_fingerprints_together_are_refused() -> None:
    """Options(exact=True, fingerprints=True) would otherwise run a fingerprinted bfs
    explorer and report it as asked: neither is what the caller meant."""
    spec = Spec("philosophers/n=3", Philosophers(n=3), holds())
    for engine in ("auto", "bfs", "vector"):
        result = check_spec(spec, Options(exact=True, fingerprints=True, engine=engine))
        assert result.verdict == "error"
        assert "exact" in result.error and "fingerprints" in result.error


def test_rows_widen_past_256_values_of_a_field_mid_run() -> None:
    """The token ring's round counter passes 255: the kept rows, and the successors built
    in their type to be compared, widen to two bytes a field mid-run, keys colliding."""
    spec = Spec("token-ring", TokenRing(n=3, rounds=300), holds())  # 899 states
    reference = _check(spec, engine="bfs")
    with colliding_keys(2):
        exact = _check(spec, engine="vector", exact=True)
    assert _as_read(exact) == _as_read(reference)
