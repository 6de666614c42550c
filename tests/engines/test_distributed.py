"""Ray actors find exactly the sequential explorer's states (a local Ray instance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecheck import Options, Spec, check_spec
from lifecheck.modelling.spec import load_specs

ray = pytest.importorskip("ray", reason="distributed exploration needs the distributed extra")

ROOT = Path(__file__).resolve().parents[2]
SPECS = load_specs(str(ROOT / "specs"))


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_ray_actors_agree_with_the_sequential_explorer_on_every_spec(spec: Spec):
    twin = spec.safety_only()
    seq = check_spec(twin, Options(bounds=twin.bounds, check_deadlock=twin.deadlock))
    dist = check_spec(twin, Options(bounds=twin.bounds, check_deadlock=twin.deadlock, workers=3,
                                    ray=True))
    assert dist.error == "" and seq.error == "", (dist.verdict, dist.error, seq.error)
    assert dist.verdict != "error", dist
    assert (dist.stats.distinct_states, dist.stats.transitions, dist.stats.depth) == \
        (seq.stats.distinct_states, seq.stats.transitions, seq.stats.depth)
    assert dist.verdict == seq.verdict and dist.coverage == seq.coverage
    assert {v.property: len(v.trace.steps) for v in dist.violations if v.trace} == \
        {v.property: len(v.trace.steps) for v in seq.violations if v.trace}
