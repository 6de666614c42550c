"""The vector engine under symmetry reduction keeps what the bfs explorer keeps.

The bfs explorer keys its seen-set by each state's orbit and keeps the first member
of each orbit it reaches; the vector engine keys rows by an orbit key of its own
(:mod:`lifecheck.explore.vector.orbits`). The laws: the key is constant on an orbit
and differs between orbits, and the states kept (under each id), the counts, the
verdicts, the counterexamples and the errors of a symmetry that does not hold are
the bfs explorer's. The random models of tests/engines/test_differential.py hold
this on bounds, constraints and checkpoints too.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from lifecheck import Crash, Fail, Options, Spec, action, check_spec, durable, holds, require
from lifecheck.explore.bfs import explore
from lifecheck.explore.vector import VectorRun, explore_vector, fingerprints
from lifecheck.modelling.footprint import learner_for
from lifecheck.modelling.spec import load_specs
from lifecheck.models.extraction import AtomicRename
from lifecheck.typed_values import typed_key
from tests import reference as ref
from tests.engines import test_differential as diff
from tests.engines.test_symmetry import ByIndex, First, Owners, Watcher, Worker

ROOT = Path(__file__).resolve().parents[2]
SYMMETRIC = [s for s in load_specs(str(ROOT / "specs")) if s.symmetry] + [
    Spec("owners", Owners(), holds(), symmetry=("workers",)),
    Spec("rename/3-brokers", AtomicRename(files=1, brokers=3), holds(), properties=["NoLeak"],
         faults=[Crash(max=1), Fail(kind="startup", max=0)], symmetry=("fleet",)),
]


def _options(spec: Spec, engine: str = "bfs", **kw: Any) -> Options:
    return Options(bounds=spec.bounds, check_deadlock=spec.deadlock, engine=engine, **kw)


def _kept(spec: Spec, engine: Any) -> list[tuple[int, Any]]:
    kept: list[tuple[int, Any]] = []
    engine(spec.system(), _options(spec, check_liveness=False),
           on_state=lambda sid, s: kept.append((sid, typed_key(s))))
    return kept


def test_there_are_symmetric_specs_to_check() -> None:
    assert len([s for s in SYMMETRIC if s.source]) >= 2


@pytest.mark.parametrize("spec", SYMMETRIC, ids=[s.name for s in SYMMETRIC])
def test_the_states_kept_are_the_ones_bfs_keeps(spec: Spec) -> None:
    """Not only as many: the same member of each orbit (the first reached), under the
    same id, so that replaying its recorded steps rebuilds it."""
    assert _kept(spec, explore_vector) == _kept(spec, explore)


@pytest.mark.parametrize("spec", SYMMETRIC, ids=[s.name for s in SYMMETRIC])
def test_the_same_result_as_bfs(spec: Spec) -> None:
    bfs = check_spec(spec, _options(spec))
    vector = check_spec(spec, _options(spec, "vector"))
    assert bfs.error == ""
    timing = {"stats": None, "seconds": None, "states_per_second": None, "collision_chance": None}
    assert vector.to_json() | timing == bfs.to_json() | timing
    assert (vector.stats.distinct_states, vector.stats.transitions, vector.stats.depth) == \
        (bfs.stats.distinct_states, bfs.stats.transitions, bfs.stats.depth)


class Glued(Owners):
    @action(Worker)
    def tag(self, w):
        require(self.owner == "")
        self.owner = "worker1x"


@pytest.mark.parametrize("spec", [
    Spec("glued", Glued(), holds(), symmetry=("workers",)),
    Spec("first", First(), holds(), symmetry=("workers",)),
    Spec("watch", Watcher(), holds(), deadlock=False, symmetry=("workers",)),
    Spec("idx", ByIndex(), holds(), deadlock=False, symmetry=("nodes",)),
], ids=["glued-name", "not-symmetric", "property-tells-apart", "index-read"])
def test_a_symmetry_that_does_not_hold_is_the_same_error_on_both_engines(spec: Spec) -> None:
    bfs = check_spec(spec, _options(spec))
    vector = check_spec(spec, _options(spec, "vector"))
    assert bfs.verdict == "error" and ("symmetr" in bfs.error or "index" in bfs.error)
    assert (vector.verdict, vector.error) == (bfs.verdict, bfs.error)


class Late(Owners):
    """Treats the first worker specially once the clock has run: only states found
    late tell, and only the sampled audit after the first states can catch it."""

    clock = durable(0)

    @action()
    def tick(self):
        require(self.clock < 6)
        self.clock += 1

    @action(Worker)
    def claim(self, w):
        require(self.owner == "" and (self.clock < 4 or w is not self.workers[0]))
        self.owner = f"{w.name}_x"


@pytest.mark.parametrize(("first", "every", "verdict"),
                         [(0, 3, "error"), (0, 6, "error"), (3, 4, "error"), (0, 7, "holds")])
def test_the_sampled_symmetry_audit_samples_the_states_bfs_samples(first: int, every: int,
                                                                   verdict: str) -> None:
    """Past the first states, one state in ``audit_every`` is audited, by id, on both
    (one in seven misses every state that tells: both miss it)."""
    spec = Spec("late", Late(), holds(), deadlock=False, symmetry=("workers",))
    bfs = check_spec(spec, _options(spec, determinism_checks=first, audit_every=every))
    vector = check_spec(spec, _options(spec, "vector", determinism_checks=first, audit_every=every))
    assert bfs.verdict == verdict
    assert verdict == "holds" or "symmetry of workers does not hold" in bfs.error
    assert (vector.verdict, vector.error, vector.stats.distinct_states) == \
        (bfs.verdict, bfs.error, bfs.stats.distinct_states)


def _rows(run: VectorRun, states: list[Any]) -> np.ndarray:
    return np.array([[run.values.intern(c, v) for c, v in enumerate(run.learner.encode(s))]
                     for s in states], np.int32).reshape(len(states), len(run.learner.columns))


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(diff.model_descs().filter(lambda d: d.count >= 2 and not d.liveness
                                 and d.state_bound is None))
def test_the_orbit_key_is_constant_on_orbits_and_tells_them_apart(desc: diff.ModelDesc) -> None:
    """Every state the model reaches without symmetry, and every renaming of it: keys
    agree within an orbit, and there are as many keys as true orbits (counted by the
    reference's own renaming)."""
    assume(diff.small(desc))
    states = diff.reachable(diff.spec_of(desc))
    assume(states)
    system = diff.spec_of(desc, symmetric=True).system()
    run = VectorRun(system, learner_for(system), Options(), None)
    rows = _rows(run, states)
    keys = run.key_fingerprints(rows)
    for renaming in system._renamings:
        assert list(run.key_fingerprints(_rows(run, [renaming.apply(s) for s in states]))) == \
            list(keys)
    parts = [p.index for p in system._role_parts["workers"]]
    assert len(set(keys.tolist())) == ref.true_orbits(states, parts, system.process_names(),
                                                      key=diff.typed)
    plain = diff.spec_of(desc).system()
    unreduced = VectorRun(plain, learner_for(plain), Options(), None)
    rows = _rows(unreduced, states)
    assert list(unreduced.key_fingerprints(rows)) == list(fingerprints(rows))


class Ticking(Owners):
    """Every step reads a clock that every step moves: learning never pays, so the run
    turns to running steps as written on levels of a few states (the thin path)."""

    clock = durable(0)

    @action(Worker)
    def claim(self, w):
        require(self.owner == "" and self.clock < 1500)
        self.owner = f"{w.name}_x"
        self.clock += 1

    @action(Worker)
    def finish(self, w):
        require(self.owner == f"{w.name}_x" and self.clock < 1500)
        w.done = not w.done
        self.owner = ""
        self.clock += 1


def test_a_thin_symmetric_space_keeps_the_states_bfs_keeps() -> None:
    spec = Spec("ticking", Ticking(), holds(), deadlock=False, symmetry=("workers",))
    system = spec.system()
    run = VectorRun(system, learner_for(system), _options(spec, check_liveness=False), None)
    exploration = run.run()
    assert run.direct  # (the thin path ran)
    assert exploration.distinct_states == check_spec(spec, _options(spec)).stats.distinct_states
    assert _kept(spec, explore_vector) == _kept(spec, explore)


@pytest.mark.parametrize("handover", [1, 150])
@pytest.mark.parametrize("spec", SYMMETRIC, ids=[s.name for s in SYMMETRIC])
def test_a_symmetric_run_handed_over_from_bfs_keeps_the_states_bfs_keeps(spec: Spec,
                                                                        handover: int) -> None:
    """The handover keys the states bfs found by their orbits (``key_fingerprints``)."""
    from lifecheck.explore.handover import explore_handing_over

    def handing_over(system: Any, options: Options, on_state: Any) -> Any:
        handing = replace(options, handover=handover, thin_handover=handover)
        return explore_handing_over(system, handing, on_state)

    assert _kept(spec, handing_over) == _kept(spec, explore)
    handed = check_spec(spec, _options(spec, "auto", handover=handover, thin_handover=handover))
    bfs = check_spec(spec, _options(spec))
    assert (handed.verdict, handed.stats.distinct_states, handed.stats.transitions,
            handed.stats.depth, handed.coverage) == \
        (bfs.verdict, bfs.stats.distinct_states, bfs.stats.transitions, bfs.stats.depth,
         bfs.coverage)
