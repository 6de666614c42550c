"""Ray actors find exactly the sequential explorer's states (a local Ray instance), on a spec
of every spec file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lifecheck import Bounds, Options, Spec, check_spec, holds
from lifecheck.modelling.spec import load_specs

ray = pytest.importorskip("ray", reason="distributed exploration needs the distributed extra")

ROOT = Path(__file__).resolve().parents[2]
ALL_SPECS = load_specs(str(ROOT / "specs"))


def _one_per_file(specs: list[Spec]) -> list[Spec]:
    """The first spec of each spec file, and every symmetric one.

    Ray actors run the same coordinator as forked workers, which tests/engines/
    test_parallel.py holds to the sequential explorer on every spec; what Ray adds is
    actors that load the spec file and compile the model themselves, so each file
    (each model module) is loaded by actors once here. Starting actors costs seconds
    per spec, which across every spec was the largest part of the suite's time.
    """
    seen: set[str] = set()
    chosen = []
    for spec in specs:
        if spec.source not in seen or spec.symmetry:
            seen.add(spec.source)
            chosen.append(spec)
    return chosen


SPECS = _one_per_file(ALL_SPECS)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_ray_actors_agree_with_the_sequential_explorer(spec: Spec):
    twin = spec.safety_only()
    seq = check_spec(twin, Options(bounds=twin.bounds, check_deadlock=twin.deadlock))
    dist = check_spec(twin, Options(bounds=twin.bounds, check_deadlock=twin.deadlock, workers=3,
                                    ray=True))
    assert dist.error == "" and seq.error == "", (dist.verdict, dist.error, seq.error)
    assert dist.verdict != "error", dist
    assert (dist.stats.distinct_states, dist.stats.transitions, dist.stats.depth) == \
        (seq.stats.distinct_states, seq.stats.transitions, seq.stats.depth)
    assert dist.verdict == seq.verdict and dist.coverage == seq.coverage
    assert [(v.property, v.message, v.trace.key if v.trace else None) for v in dist.violations] \
        == [(v.property, v.message, v.trace.key if v.trace else None) for v in seq.violations]


@pytest.mark.parametrize("name", ["extraction/rename/power-loss", "two-phase-blocking/coordinator-stops"])
def test_ray_actors_check_liveness_as_the_reference_does(name: str) -> None:
    """The actors' shares of the graph, joined by the coordinator: the reference's lasso."""
    (spec,) = [s for s in ALL_SPECS if s.name == name]
    options = Options(bounds=spec.bounds, check_deadlock=spec.deadlock)
    dist = check_spec(spec, dataclasses.replace(options, workers=2, ray=True))
    seq = check_spec(spec, dataclasses.replace(options, engine="bfs"))
    assert any(v.kind == "liveness" for v in seq.violations)
    assert [(v.property, v.message, v.trace.key) for v in dist.violations] == \
        [(v.property, v.message, v.trace.key) for v in seq.violations]


def test_a_spec_of_every_file_is_checked_on_ray() -> None:
    assert {s.source for s in SPECS} == {s.source for s in ALL_SPECS}
    assert len({s.source for s in ALL_SPECS}) > 10


@pytest.mark.parametrize("engine", ["bfs", "auto"])
def test_actors_check_the_spec_as_narrowed_in_memory_not_as_in_its_file(engine: str):
    """Actors load the spec from its file; the properties chosen in memory travel with it,
    or an actor would check a property the caller dropped and report it broken."""
    (spec,) = [s for s in ALL_SPECS if s.name == "extraction/in-place/crash"]
    narrowed = dataclasses.replace(spec, properties=["NoLeak", "NoClobber"], expect=holds())
    result = check_spec(narrowed, Options(workers=2, ray=True, engine=engine))
    assert result.error == "" and result.verdict == "holds", (result.verdict, result.error)
    assert result.stats.distinct_states == check_spec(narrowed, Options()).stats.distinct_states


@pytest.mark.parametrize("engine", ["bfs", "auto"])
def test_ray_actors_admit_the_first_states_of_a_state_bound(engine: str) -> None:
    """The coordinator ranks each level as one process reaches it, on Ray as with forked
    workers: the reference's states, reason and counterexamples under a state bound."""
    (spec,) = [s.safety_only() for s in ALL_SPECS
               if s.name == "topic-recreate/delete-offsets/controller-crash"]
    options = Options(bounds=Bounds(max_states=300), check_deadlock=spec.deadlock)
    seq = check_spec(spec, dataclasses.replace(options, engine="bfs"))
    dist = check_spec(spec, dataclasses.replace(options, engine=engine, workers=2, ray=True))
    assert (dist.verdict, dist.incomplete_reason, dist.stats.distinct_states,
            dist.stats.transitions) == (seq.verdict, seq.incomplete_reason,
                                        seq.stats.distinct_states, seq.stats.transitions)
    assert [(v.property, v.message, v.trace.key) for v in dist.violations] == \
        [(v.property, v.message, v.trace.key) for v in seq.violations]
    assert seq.incomplete_reason == "state bound 300 reached" and len(seq.violations) == 2
