"""Renderers are pure functions of a Result: snapshot them on hand-built results."""

import json

from lifecheck import FrozenMap
from lifecheck.render.text import render_result, render_table
from lifecheck.result import (
    Change,
    Expectation,
    Result,
    Stats,
    Trace,
    TraceStep,
    Violation,
)
from tests.snapshot import assert_snapshot
from tests.traces.test_trace_formats import valid_json


def _safety_result() -> Result:
    empty, one = FrozenMap(), FrozenMap({"/t/f0": 2})
    trace = Trace(
        initial={"broker1.phase": "boot", "disk.names": empty, "broker1.loaded": None},
        steps=[
            TraceStep(1, "broker1", "boot", "boot", changes=[Change("broker1.phase", "boot", "unpack")],
                      state={"broker1.phase": "unpack", "disk.names": empty, "broker1.loaded": None}),
            TraceStep(2, "broker1", "unpack_create", "unpack_create(file=0)", params=(("file", 0),),
                      changes=[Change("disk.names['/t/f0']", None, 2)],
                      state={"broker1.phase": "unpack", "disk.names": one, "broker1.loaded": None}),
            TraceStep(3, "broker1", "crash", "crash", fault="crash",
                      changes=[Change("broker1.phase", "unpack", "boot")],
                      state={"broker1.phase": "boot", "disk.names": one, "broker1.loaded": None}),
            TraceStep(4, "broker1", "load", "load", changes=[Change("broker1.loaded", None, 0)],
                      state={"broker1.phase": "boot", "disk.names": one, "broker1.loaded": 0}),
        ],
        replay=[0, 0, 0, 3, 1],
    )
    v = Violation("NoPartialLoad", "always", "NoPartialLoad does not hold (loads only complete dirs)",
                  trace, observed=[("broker1.loaded", 0), ("disk.names", one)])
    return Result("demo/in-place/crash", "UnpackInPlace(files=1)", "violated",
                  expected=Expectation("violated", ("NoPartialLoad",)), violations=[v],
                  stats=Stats(12, 30, 5, 0.5, 900), coverage={"boot": 3, "load": 2, "crash": 4},
                  faults="crash<=2", fairness="weak fairness on every action",
                  fairness_rules=[{"strength": "weak", "per": "action", "names": None}],
                  properties=["NoPartialLoad"])


def _lasso_result() -> Result:
    trace = Trace(
        initial={"p.x": 0},
        steps=[
            TraceStep(1, "p1", "go", "go", changes=[Change("p.x", 0, 1)]),
            TraceStep(2, "p1", "retry", "retry -> remote fails", fault="remote", choices=("remote fails",)),
            TraceStep(3, "p1", "back", "back", changes=[Change("p.x", 1, 0)]),
        ],
        replay=[0, 0, 1, 0],
        loop_start=1,
    )
    v = Violation("Done", "liveness", "Done never holds: steps 2..3 repeat forever", trace)
    stutter = Trace({"p.x": 0}, [], [0], loop_start=0, stutter=True)
    w = Violation("Other", "liveness", "Other never holds", stutter)
    return Result("demo/lasso", "M()", "violated", expected=Expectation("holds"), violations=[v, w],
                  stats=Stats(3, 4, 2, 0.1, 100, collision_chance=2.7e-19),
                  coverage={"go": 1, "retry": 1, "back": 1, "idle": 0},
                  warnings=["action idle never fired: a proof over it is vacuous"], faults="none")


def test_safety_trace_text():
    assert_snapshot("render_safety.txt", render_result(_safety_result(), timing=False) + "\n")


def test_lasso_trace_text():
    assert_snapshot("render_lasso.txt", render_result(_lasso_result(), timing=False) + "\n")


def test_error_and_incomplete_text():
    err = Result("demo/bad", "M()", "error", expected=Expectation("holds"),
                 error="spec demo/bad, action go of p1, step 2: go is not deterministic")
    inc = Result("demo/big", "M()", "incomplete", expected=Expectation("holds"),
                 stats=Stats(100, 300, 7, 1.0, 1), incomplete_reason="state bound 100 reached")
    text = render_result(err, timing=False) + "\n\n" + render_result(inc, timing=False) + "\n"
    assert "UNEXPECTED" in text and "this is not a proof" in text
    assert_snapshot("render_error_incomplete.txt", text)


def test_table_text():
    results = [_safety_result(), _lasso_result()]
    assert_snapshot("render_table.txt", render_table(results, timing=False) + "\n")


def test_story_names_the_crash_what_it_wiped_and_what_the_property_saw():
    from lifecheck.render.story import tell

    (v,) = _safety_result().violations
    story = tell(v)
    assert story[0] == "broker1: boot, unpack_create(file=0) (steps 1-2)"
    assert story[1] == "!! broker1 crashes and restarts (step 3), forgetting phase='unpack'"
    assert story[-1] == "=> NoPartialLoad is violated: it sees broker1.loaded=0, disk.names={'/t/f0': 2}"


def test_json_fields():
    data = _safety_result().to_json()
    for key in ("schema", "version", "spec", "expected", "verdict", "property", "distinct_states",
                "transitions", "depth", "seconds", "violations", "coverage"):
        assert key in data, key
    assert data["property"] == "NoPartialLoad"
    steps = data["violations"][0]["trace"]["steps"]
    assert [s["action"] for s in steps] == ["boot", "unpack_create", "crash", "load"]
    assert all("process" in s for s in steps)
    assert data["matches"] is True
    valid_json([data])
    assert_snapshot("render_safety.json", json.dumps(data, indent=2, sort_keys=True) + "\n")
