"""The law of traces as data, on the differential harness's random models: the states a
consumer rebuilds from ``--json`` are the states the replay reaches, types included, and
``lifecheck replay SPEC KEY`` gives the trace ``check`` gave."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings

from lifecheck.contract import ActionFailure
from lifecheck.encoding import Record, from_data, to_data
from lifecheck.explore.verdict import check_spec
from lifecheck.replay import replay
from lifecheck.result_data import trace_data
from lifecheck.typed_values import same_typed
from tests.engines.test_differential import ModelDesc, model_descs, run, small, spec_of
from tests.traces.test_trace_formats import valid_itf, valid_json

LAW = settings(max_examples=25, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much])


def _states_reached(system: Any, key: list[int]) -> list[dict[str, Any] | None]:
    """Every state along ``key``, by the plain successor function (not by the replay module)."""
    state = system.init_states()[key[0]]
    out: list[dict[str, Any] | None] = [system.describe(state)]
    for k in key[1:]:
        _, state = system.successors(state)[k]
        out.append(None if isinstance(state, ActionFailure) else system.describe(state))
    return out


@LAW
@given(model_descs())
def test_states_rebuilt_from_json_are_the_states_the_replay_reaches(desc: ModelDesc) -> None:
    assume(small(desc))
    spec = spec_of(desc)
    result = run(spec)
    assume(result.violations)
    data = json.loads(json.dumps([result.to_json()]))
    valid_json(data)
    system = spec.system()
    for v, row in zip(result.violations, data[0]["violations"], strict=True):
        if v.trace is None:
            continue
        from lifecheck.render.itf import itf_trace

        valid_itf(json.loads(json.dumps(itf_trace(v.trace, spec="random", what="law"))))
        trace = row["trace"]
        reached = _states_reached(system, trace["replay"])
        assert len(trace["states"]) == len(reached)
        for encoded, state in zip(trace["states"], reached, strict=True):
            if encoded is None:
                continue
            assert list(encoded) == list(state)
            # The JSON is the state's encoding, and reads back to it: as the same values,
            # types included, where they are built of atoms, tuples, sets and maps; a
            # dataclass (a component's record) reads back as a Record of its fields.
            assert encoded == {name: to_data(value) for name, value in state.items()}
            rebuilt = tuple(from_data(x) for x in encoded.values())
            assert [to_data(x) for x in rebuilt] == list(encoded.values())
            if not any(isinstance(x, Record) or "#record" in json.dumps(e)
                       for x, e in zip(rebuilt, encoded.values(), strict=True)):
                assert same_typed(rebuilt, tuple(state.values())), (rebuilt, state)
        # What `lifecheck replay SPEC KEY` prints is the same trace, step by step and state by state.
        again, _ = replay(system, trace["replay"], from_user=True)
        again.loop_start, again.stutter = v.trace.loop_start, v.trace.stutter
        assert trace_data(again) == trace


def test_the_law_sees_counterexamples() -> None:
    """The generator makes violated specs: a law over none would prove nothing."""
    from hypothesis import find

    desc = find(model_descs(), lambda d: small(d) and bool(check_spec(spec_of(d)).violations),
                settings=settings(max_examples=200, deadline=None, derandomize=True,
                                  suppress_health_check=list(HealthCheck)))
    assert check_spec(spec_of(desc)).violations
