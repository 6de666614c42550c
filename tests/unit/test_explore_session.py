"""``lifecheck explore`` without a browser: the session's moves and what its view says.

The session is driven on the shipped in-place extraction design, whose counterexample
(a crash after mkdir, then a restart that loads the empty directory) is the one the
browser test clicks through.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck import Model, Process, Spec, action, role, violated, volatile
from lifecheck.cli import main
from lifecheck.errors import ModelError
from lifecheck.explore.verdict import check_spec
from lifecheck.modelling.spec import load_specs
from lifecheck.replay import replay
from lifecheck.result_data import trace_data
from lifecheck.ui.session import Session
from tests.snapshot import assert_snapshot

TARGET = "specs/extraction.py::extraction/in-place/crash"
#: The shortest NoPartialLoad counterexample: lock, boot, crash, lock, boot, load.
VIOLATION_KEY = "0.0.0.1.0.0.0"


@pytest.fixture(scope="module")
def spec():
    (found,) = load_specs(TARGET)
    return found


@pytest.fixture
def session(spec):
    return Session(spec)


def labels(view: dict) -> list[str]:
    return [f"{s['who']} {s['label']}" for s in view["path"]]


def enabled(view: dict) -> list[str]:
    return [f"{s['who']} {s['label']}" for s in view["enabled"]]


def take(session: Session, label: str) -> dict:
    """Take the enabled step a person would click by its text."""
    names = enabled(session.view())
    session.take(names.index(label))
    return session.view()


def test_the_first_view_is_the_initial_state_with_its_steps_and_budgets(session):
    view = session.view()
    assert view["key"] == "0" and view["path"] == [] and view["problems"] == []
    assert enabled(view) == ["broker1 lock", "broker1 crash"]
    crash = view["enabled"][1]
    assert crash["fault"] == "crash" and crash["injected"] and not view["enabled"][0]["fault"]
    assert view["budgets"] == [{"fault": "crash", "max": 2, "spent": 0, "left": 2},
                               {"fault": "startup", "max": 1, "spent": 0, "left": 1}]


def test_the_state_is_grouped_per_process_and_component_with_durability(session):
    holders = {h["name"]: h for h in session.view()["state"]}
    assert holders["broker1"]["kind"] == "process" and holders["fs"]["kind"] == "component"
    broker = {f["name"]: f for f in holders["broker1"]["fields"]}
    fs = {f["name"]: f for f in holders["fs"]["fields"]}
    assert broker["phase"]["durability"] == "volatile" and broker["phase"]["text"] == "'boot'"
    assert fs["tree"]["durability"] == "durable" and fs["locks"]["durability"] == "volatile"
    assert fs["tree"]["data"] == {"#map": [["/tmp", "dir"]]}  # typed, as --json writes it


def test_steps_mark_what_changed_and_a_crash_spends_the_budget(session):
    take(session, "broker1 lock")
    view = take(session, "broker1 boot")
    changed = {f["path"] for h in view["state"] for f in h["fields"] if f["changed"]}
    assert changed == {"fs.tree", "broker1.phase"}
    view = take(session, "broker1 crash")
    assert view["path"][-1]["fault"] == "crash"
    assert view["budgets"][0] == {"fault": "crash", "max": 2, "spent": 1, "left": 1}
    assert labels(view) == ["broker1 lock", "broker1 boot", "broker1 crash"]


def test_an_exhausted_budget_offers_no_more_faults_of_its_kind(session):
    session.take(enabled(session.view()).index("broker1 crash"))
    session.take(enabled(session.view()).index("broker1 crash"))
    view = session.view()
    assert view["budgets"][0]["left"] == 0
    assert "broker1 crash" not in enabled(view)


def test_clicking_through_the_in_place_bug_ends_in_the_violation(session):
    for label in ["broker1 lock", "broker1 boot", "broker1 crash", "broker1 lock", "broker1 boot"]:
        view = take(session, label)
    load = view["enabled"][enabled(view).index("broker1 load")]
    assert load["breaks"] == ["NoPartialLoad"]  # the step says what it would break
    view = take(session, "broker1 load")
    assert [p["property"] for p in view["problems"]] == ["NoPartialLoad"]
    props = {p["name"]: p["status"] for p in view["properties"]}
    assert props == {"NoPartialLoad": "violated", "EventuallyStarts": "over behaviours",
                     "NoLeak": "holds", "NoClobber": "holds"}
    assert view["key"] == VIOLATION_KEY


def test_back_undoes_the_last_step_and_refuses_at_the_initial_state(session):
    first = session.view()
    session.take(0)
    session.back()
    assert session.view() == first
    with pytest.raises(ModelError, match="initial state"):
        session.back()


def wander(session: Session, picks: list[int]) -> Session:
    """Take the steps ``picks`` choose (each modulo the steps enabled), until none is."""
    for p in picks:
        steps = session.view()["enabled"]
        if not steps:
            break
        session.take(p % len(steps))
    return session


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50), max_size=12), st.integers(0, 50))
def test_take_then_back_is_no_move_anywhere(spec, picks, pick):
    """From any state a walk reaches, taking a step and going back shows that state again."""
    session = wander(Session(spec), picks)
    before = session.view()
    if before["enabled"]:
        session.take(pick % len(before["enabled"]))
        session.back()
    assert session.view() == before


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50), max_size=12))
def test_the_path_is_the_trace_replay_rebuilds_from_its_key(spec, picks):
    session = wander(Session(spec), picks)
    key = [int(k) for k in session.key.split(".")]
    expected, _ = replay(spec.system(), key, from_user=True)
    assert trace_data(session.trace()) == trace_data(expected)


def test_a_replay_key_gives_the_trace_lifecheck_replay_prints(session, capsys):
    assert main(["replay", TARGET, VIOLATION_KEY, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)["trace"]
    session.follow_key(VIOLATION_KEY)
    assert trace_data(session.trace()) == printed
    assert [p["property"] for p in session.view()["problems"]] == ["NoPartialLoad"]


def test_the_counterexample_jump_ends_where_the_checker_certified_it(spec, session):
    result = check_spec(spec)
    certified = {v.property: v.trace for v in result.violations}
    session.counterexample("NoPartialLoad")
    view = session.view()
    assert view["key"] == certified["NoPartialLoad"].key == VIOLATION_KEY
    assert [p["property"] for p in view["problems"]] == ["NoPartialLoad"]
    assert view["note"] == "The checker's counterexample of NoPartialLoad, certified by replay"
    assert view["counterexamples"] == ["NoPartialLoad", "EventuallyStarts"]


def test_a_liveness_counterexample_is_shown_with_its_loop(session):
    session.counterexample("EventuallyStarts")
    view = session.view()
    assert view["loop_start"] == 3 and not view["stutter"]
    assert labels(view)[3:] == ["broker1 lock", "broker1 boot", "broker1 load", "broker1 restart"]
    assert "repeat forever" in view["note"]
    svg = session.diagram_svg()
    assert "loop: steps 4&#45;7 repeat forever" in svg
    session.back()  # a move off the lasso drops its loop
    assert session.view()["loop_start"] is None


@pytest.mark.parametrize(("move", "message"), [
    (lambda s: s.take(7), r"step #7 is not enabled in this state: the enabled steps are #0\.\.#1"),
    (lambda s: s.take(-1), "step #-1 is not enabled"),
    (lambda s: s.take(True), "step #True is not enabled"),
    (lambda s: s.reset(3), r"there is no initial state #3: the spec has 1 \(#0\.\.#0\)"),
    (lambda s: s.follow_key("0.x"), "is not a key: it is numbers joined by dots"),
    (lambda s: s.follow_key("0.5"), "the key takes step #5, but the state after step 0 has 2"),
    (lambda s: s.follow_key("3"), "does not start at an initial state"),
    (lambda s: s.counterexample("Nope"), r"no property 'Nope' \(it has: NoPartialLoad, "),
    (lambda s: s.counterexample("NoLeak"), "NoLeak holds within the spec's bounds"),
])
def test_a_move_that_cannot_be_made_says_why_and_leaves_the_path(session, move, message):
    session.take(0)
    before = session.view()
    with pytest.raises(ModelError, match=message):
        move(session)
    after = session.view()
    after["counterexamples"] = None  # a jump runs the checker; that it ran is no move
    assert after == before


def test_the_diagram_is_the_path_and_ends_in_what_the_state_breaks(session):
    assert "<svg" in session.diagram_svg()  # the initial state: lanes and nothing else
    session.follow_key(VIOLATION_KEY)
    svg = session.diagram_svg()
    assert "replay 0.0.0.1.0.0.0" in svg and "6 load" in svg
    assert "NoPartialLoad does not hold" in svg


def test_the_view_of_the_violation_as_json(session):
    session.follow_key(VIOLATION_KEY)
    assert_snapshot("explore_view_in_place.json", json.dumps(session.view(), indent=2) + "\n")


class Counter(Process):
    n = volatile(0)


class Bump(Model):
    """A model whose one action asserts it runs once: its second step fails."""

    counters = role(Counter, count=1)

    @action(Counter)
    def bump(self, c):
        assert c.n < 1, "bumped twice"
        c.n += 1


def test_a_step_that_fails_ends_the_path_and_says_why():
    session = Session(Spec("bump", Bump(), violated("AssertionInAction")))
    session.take(0)
    view = session.view()
    assert view["enabled"][0]["breaks"] == ["AssertionInAction"]
    assert view["enabled"][0]["fails"].startswith("bumped twice")
    session.take(0)
    view = session.view()
    assert view["state"] is None and view["enabled"] == [] and view["budgets"] == []
    assert view["failure"].startswith("counter1 bump: bumped twice")
    assert [p["property"] for p in view["problems"]] == ["AssertionInAction"]
    assert "bumped twice" in session.diagram_svg()
    with pytest.raises(ModelError, match="no step is enabled"):
        session.take(0)
