"""Symmetry reduction: the same verdicts with and without it, on every spec, with fewer states.

For each spec with a role of two or more processes, its safety properties are
checked twice, once with the processes of those roles interchangeable, and the
verdict, the violated properties and the shortest counterexample length must be
the same. Liveness is not reduced (fairness is per process), which the checker
refuses clearly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import Crash, Spec, check_spec, holds
from checker.compile import ModelSystem
from checker.spec import load_specs
from checker.symmetry import order_key
from checker.symmetry_report import safety_twin, symmetric_roles
from checker.values import FrozenMap
from models.extraction import AtomicRename

ROOT = Path(__file__).resolve().parent.parent


def _symmetric_roles(spec: Spec) -> tuple[str, ...]:
    return symmetric_roles(spec)


def _safety_twin(spec: Spec, symmetry: tuple[str, ...]) -> Spec:
    return safety_twin(spec, symmetry)


CANDIDATES = [s for s in load_specs(str(ROOT / "specs")) if _symmetric_roles(s)]


def test_there_are_specs_with_interchangeable_processes():
    assert len(CANDIDATES) >= 3


@pytest.mark.parametrize("spec", CANDIDATES, ids=[s.name for s in CANDIDATES])
def test_same_verdict_with_and_without_symmetry(spec: Spec):
    roles = _symmetric_roles(spec)
    full = check_spec(_safety_twin(spec, ()))
    reduced = check_spec(_safety_twin(spec, roles))
    assert full.verdict == reduced.verdict, (full.error, reduced.error)
    assert set(full.violated_properties) == set(reduced.violated_properties)
    for a, b in zip(full.violations, reduced.violations, strict=True):
        assert a.property == b.property and len(a.trace.steps) == len(b.trace.steps)
    assert reduced.stats.distinct_states < full.stats.distinct_states
    assert reduced.stats.depth == full.stats.depth


def test_reduced_counterexamples_replay_to_real_violations():
    """A trace from a reduced run is a real behaviour: it replays step by step."""
    from checker.trace import replay

    spec = next(s for s in CANDIDATES if s.name == "extraction/in-place/2-brokers/crash")
    twin = _safety_twin(spec, _symmetric_roles(spec))
    result = check_spec(twin)
    assert result.verdict == "violated"
    system = twin.system()
    for v in result.violations:
        trace, last = replay(system, v.trace.replay)
        assert [s.label for s in trace.steps] == [s.label for s in v.trace.steps]
        prop = next(p for p in system.properties if p.name == v.property)
        assert not prop.check(last)


def test_symmetry_with_liveness_is_refused_clearly():
    spec = Spec("sym-live", AtomicRename(files=1, brokers=2), holds(), faults=[Crash(max=1)],
                symmetry=("fleet",))
    result = check_spec(spec)
    assert result.verdict == "error"
    assert "safety properties only" in result.error and "EventuallyStarts" in result.error


def test_unknown_symmetric_role_is_an_error():
    spec = Spec("sym-bad", AtomicRename(files=1, brokers=2), holds(), properties=["NoLeak"],
                symmetry=("brokers",))
    result = check_spec(spec)
    assert result.verdict == "error" and "unknown role" in result.error


def test_renaming_reaches_names_inside_strings_and_maps():
    system = ModelSystem(AtomicRename(files=1, brokers=2), [], properties=["NoLeak"],
                         symmetry=("fleet",))
    (r,) = system._renamings
    value = FrozenMap({"/tmp/plugin.tmp-broker1": "broker2", "x": ("broker1", "broker10")})
    assert r.rename(value) == FrozenMap({"/tmp/plugin.tmp-broker2": "broker1",
                                         "x": ("broker2", "broker10")})


def test_order_key_is_total_and_consistent_with_equality():
    values = [None, True, 0, 1.5, "a", b"a", (1, "a"), frozenset({2, 1}), FrozenMap({"k": 1}),
              frozenset({1, 2})]
    keys = [order_key(v) for v in values]
    assert sorted(keys) is not None  # comparable across kinds
    assert order_key(frozenset({1, 2})) == order_key(frozenset({2, 1}))
