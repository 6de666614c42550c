"""The vector explorer finds exactly what the bfs explorer finds, on every spec and beyond."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck import (
    Bounds,
    Crash,
    Model,
    Options,
    Process,
    Spec,
    action,
    always,
    check_spec,
    durable,
    holds,
    require,
    role,
    transition,
    violated,
    volatile,
)
from lifecheck.contract import ALWAYS, Property, Step, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.explore import vector as vector_module
from lifecheck.explore.bfs import explore
from lifecheck.explore.vector import explore_vector
from lifecheck.modelling.compile import ModelSystem
from lifecheck.modelling.spec import load_specs
from lifecheck.models.classic.philosophers import Philosophers
from lifecheck.models.classic.token_ring import TokenRing
from lifecheck.result import Result
from tests import reference as ref
from tests.end_to_end import test_bad_input as bad
from tests.engines.test_soundness import _canon_engine, build_model, model_descs

ROOT = Path(__file__).resolve().parents[2]
SPECS = load_specs(str(ROOT / "specs"))


def _options(spec: Spec, engine: str, **kw: Any) -> Options:
    return Options(bounds=spec.bounds, check_deadlock=spec.deadlock, engine=engine, **kw)


def _outcome(result: Result) -> tuple:
    # (a failure's first line: pytest's assertion rewriting appends object addresses)
    traces = {v.property: [(s.process, s.action, s.choices, s.failure.split("\n")[0])
                           for s in v.trace.steps]
              for v in result.violations if v.trace}
    loops = {v.property: (v.trace.loop_start, v.trace.stutter) for v in result.violations if v.trace}
    return (result.verdict, result.error, result.stats.distinct_states, result.stats.transitions,
            result.stats.depth, result.coverage, traces, loops,
            [(v.property, v.message.split("\n")[0], v.observed) for v in result.violations])


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_same_states_verdicts_and_counterexamples_as_bfs(spec: Spec) -> None:
    """Liveness included (lassos too); a symmetric spec reduced by symmetry in both."""
    bfs = check_spec(spec, _options(spec, "bfs"))
    vector = check_spec(spec, _options(spec, "vector"))
    assert bfs.error == ""
    assert _outcome(vector) == _outcome(bfs)
    assert vector.stats.outside == bfs.stats.outside


def test_philosophers_counts_agreed_by_spin_and_tlc() -> None:
    spec = Spec("p", Philosophers(n=10), holds())
    result = check_spec(spec, Options(engine="vector", check_liveness=False))
    assert (result.stats.distinct_states, result.stats.transitions + 1) == (102_571, 714_869)
    assert result.verdict == "holds"
    assert result.stats.collision_chance is not None and result.warnings == []


@settings(max_examples=40, deadline=None)
@given(model_descs())
def test_random_models_reach_the_reference_set(desc: ref.ModelDesc) -> None:
    model = build_model(desc)
    canon = ref.canonical_for(desc)
    for budget in (0, 1, 2):
        system = ModelSystem(model, [Crash(max=budget)])
        states: list[Any] = []
        exploration = explore_vector(system, Options(check_liveness=False),
                                     on_state=lambda _sid, s, seen=states: seen.append(s))
        reached = {_canon_engine(system, s) for s in states}
        expected = {canon(s) for s in ref.reference_reachable(desc, budget)}
        assert reached == expected, f"crash budget {budget}"
        assert exploration.distinct_states == len(states) == len(expected)
        bfs = explore(system, Options(check_liveness=False))
        assert (exploration.transitions, exploration.depth, exploration.coverage) == \
            (bfs.transitions, bfs.depth, bfs.coverage)


class Gate(Process):
    open = durable(False)
    seen = volatile(0)


class Footprints(Model):
    """An action whose reads depend on what it reads first: its learned key must widen."""

    gates = role(Gate, count=3)

    @action(Gate)
    def toggle(self, g):
        g.open = not g.open

    @action(Gate)
    def look(self, g):
        # Reads the next gate only when this one is open, and a third only sometimes.
        nxt = self.gates[(g.index + 1) % 3]
        if g.open and nxt.open:
            require(self.gates[(g.index + 2) % 3].seen < 2)
        g.seen = min(g.seen + 1, 2)

    @always
    def not_all_seen(self):
        return not all(g.seen == 2 and g.open for g in self.gates)

    @transition
    def seen_grows_by_one(before, after):
        return all(a.seen - b.seen in (0, 1) or a.seen == 0
                   for b, a in zip(before.gates, after.gates, strict=True))


@pytest.mark.parametrize("crashes", [0, 1, 2])
def test_state_dependent_footprints_widen_and_agree(crashes: int) -> None:
    spec = Spec("f", Footprints(), holds(), faults=[Crash(max=crashes)] if crashes else [],
                deadlock=False)
    bfs = check_spec(spec, _options(spec, "bfs"))
    vector = check_spec(spec, _options(spec, "vector"))
    assert bfs.verdict == "violated"
    assert _outcome(vector) == _outcome(bfs)


@pytest.mark.parametrize("bounds", [Bounds(max_depth=3), Bounds(max_states=50), Bounds(max_states=1),
                                    Bounds(max_depth=0)])
def test_bounds_cut_at_the_same_state(bounds: Bounds) -> None:
    spec = Spec("f", Footprints(), holds(), faults=[Crash(max=1)], bounds=bounds, deadlock=False)
    bfs = check_spec(spec, _options(spec, "bfs"))
    vector = check_spec(spec, _options(spec, "vector"))
    assert _outcome(vector) == _outcome(bfs)
    assert vector.incomplete_reason == bfs.incomplete_reason


BAD = [bad.Raises(), bad.Asserts(), bad.Counter(), bad.Dice(), bad.PutList(), bad.PutDict(),
       bad.PutSet(), bad.SetsProcessAttribute(), bad.SetsModelAttribute(), bad.WritesInProperty(),
       bad.WritesInTransition(), bad.RaisesInProperty(), bad.ChoosesInProperty()]


@pytest.mark.parametrize("model", BAD, ids=[type(m).__name__ for m in BAD])
def test_bad_input_gets_the_same_verdict_and_message(model: Model) -> None:
    spec = Spec("bad", model, holds())
    bfs = check_spec(spec, _options(spec, "bfs"))
    vector = check_spec(spec, _options(spec, "vector"))
    assert vector.verdict == bfs.verdict
    # (a nondeterministic action's two values differ from run to run)
    assert re.sub(r"to \S+ and \S+;", "", vector.error) == re.sub(r"to \S+ and \S+;", "", bfs.error)
    if bfs.verdict != "error":
        assert _outcome(vector) == _outcome(bfs)


class _Core(TransitionSystem):
    properties = (Property("Small", ALWAYS, lambda s: s < 3),)

    def init_states(self) -> list[int]:
        return [0]

    def successors(self, state: int) -> list[tuple[Step, int]]:
        return [(Step(None, "up"), state + 1)]


def test_a_system_not_written_as_a_model_is_refused_clearly() -> None:
    with pytest.raises(ModelError, match="modelling API"):
        explore_vector(_Core(), Options())


def test_what_it_cannot_check_is_refused_with_the_reason() -> None:
    from lifecheck.models.extraction import UnpackInPlace

    plain = next(s for s in SPECS if not s.symmetry)
    with pytest.raises(ModelError, match=r"runs in one process.*use --engine bfs"):
        explore_vector(plain.system(), Options(workers=2))
    assert "unknown engine" in check_spec(Spec("x", UnpackInPlace(files=1), holds()),
                                          Options(engine="warp")).error


@pytest.mark.parametrize("width", [4, 10, 40])
def test_memo_learns_each_key_once_whether_keys_pack_or_not(width: int) -> None:
    """Three ways to look a key up: a table indexed by the packed key (two 4-bit
    columns), a sorted array of packed keys (two 10-bit columns: too wide for a table),
    and a dict (two 40-bit columns: wider than one integer)."""
    from lifecheck.explore.vector import ColumnMemo as _Memo
    from lifecheck.explore.vector import ValueIds as _Values

    values = _Values(3)
    values.width = [width] * 3
    memo = _Memo(values)
    rows = np.array([[0, 1, 2], [0, 1, 3], [0, 1, 2], [5, 1, 2], [0, 1, 3]], np.int32)
    calls: list[int] = []

    def learn(r: int) -> tuple[set[int], Any]:
        calls.append(r)
        return {0, 2}, (int(rows[r, 0]), int(rows[r, 2]))

    entries = memo.lookup(rows, learn)
    assert [memo.payloads[e] for e in entries] == [(0, 2), (0, 3), (0, 2), (5, 2), (0, 3)]
    # The first call reads beyond the empty footprint and widens it; then one per key.
    assert calls == [0, 0, 1, 3]
    assert list(memo.lookup(rows[::-1].copy(), learn)) == list(entries[::-1])
    assert memo.lookup_small(rows.tolist(), learn) == list(entries)
    columns = np.ascontiguousarray(rows.T)  # (as a wide level passes them)
    assert list(memo.lookup(rows, learn, columns)) == list(entries)
    assert calls == [0, 0, 1, 3]
    assert (memo._table is not None) == (width == 4)
    assert (memo._sorted is not None) == (width != 40)


def _finished_runs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The vector runs that finish from now on, as they were at the end (to look at how
    they explored, not only at what they found)."""
    runs: list[Any] = []
    original = vector_module.VectorRun.finish

    def keep(run: Any) -> Any:
        runs.append(run)
        return original(run)

    monkeypatch.setattr(vector_module.VectorRun, "finish", keep)
    return runs


class _LateBug(TokenRing):
    @always
    def round_stays_small(self):
        return self.round < 150


@pytest.mark.parametrize("model", [TokenRing(n=3, rounds=400), _LateBug(n=3, rounds=400)],
                         ids=["holds", "late-violation"])
def test_a_long_thin_space_runs_steps_as_written_and_agrees(model: Model,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A counter read by every step: learning gives no reuse, so the explorer turns to
    running steps as written (the direct path), with the same results."""
    spec = Spec("ring", model, holds())
    bfs = check_spec(spec, _options(spec, "bfs", check_liveness=False))
    runs = _finished_runs(monkeypatch)
    vector = check_spec(spec, _options(spec, "vector", check_liveness=False))
    assert runs and runs[0].direct
    assert _outcome(vector) == _outcome(bfs)



class _Counter(Process):
    count = durable(0)


class _EveryCountRead(Model):
    """Wide levels where each step's guard reads every counter: no two states share a
    learned outcome, so learning never pays."""

    workers = role(_Counter, count=5)

    @action(_Counter)
    def tick(self, w):
        require(w.count < 3 and sum(x.count for x in self.workers) < 15)
        w.count += 1

    @always
    def not_nearly_done(self):
        return sum(x.count for x in self.workers) < 13


@pytest.mark.parametrize("handover", [None, 40])
def test_wide_levels_where_learning_does_not_pay_run_steps_as_written_and_agree(
        handover: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = Spec("counts", _EveryCountRead(), violated("NotNearlyDone"), deadlock=False)
    bfs = check_spec(spec, _options(spec, "bfs"))
    runs = _finished_runs(monkeypatch)
    engine = {"engine": "vector"} if handover is None else {"engine": "auto", "handover": handover}
    got = check_spec(spec, Options(bounds=spec.bounds, check_deadlock=False, **engine))
    assert runs and runs[0].direct_wide and runs[0].learned * 10 > runs[0].looked_up
    assert bfs.verdict == "violated" and bfs.stats.distinct_states > 500
    assert _outcome(got) == _outcome(bfs)

@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)), min_size=1))
def test_the_two_zobrist_codes_agree(pairs: list[tuple[int, int]]) -> None:
    """Successor fingerprints are derived with the plain-Python code (thin path, learned
    deltas) from fingerprints computed in numpy; the two must be one function."""
    from lifecheck.explore.vector import zobrist, zobrist_code

    cols, ids = (np.array(x, np.int64) for x in zip(*pairs, strict=True))
    assert zobrist(cols, ids).tolist() == [zobrist_code(c, i) for c, i in pairs]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=60), st.integers(1, 8))
def test_distinct_is_numpys_unique(keys: list[int], spread: int) -> None:
    """A level's successors are deduplicated by :func:`distinct`, which sorts unstably for
    speed; which successor is kept (the first in bfs order) must be exactly np.unique's."""
    from lifecheck.explore.vector.hashing import distinct

    # Few distinct values, so that most keys repeat and the first of each run matters.
    arr = np.array([k % (spread * 7 + 1) * 0x9E3779B97F4A7C15 % 2**64 for k in keys], np.uint64)
    got = distinct(arr)
    want = np.unique(arr, return_index=True, return_inverse=True)
    for g, w in zip(got, want, strict=True):
        assert g.tolist() == w.reshape(-1).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(0, 5)), max_size=80),
       st.lists(st.integers(0, 2**64 - 1), min_size=4, max_size=4))
def test_smallest_tag_is_the_first_of_each_key_by_tag_then_place(
        picks: list[tuple[int, int, int]], bases: list[int]) -> None:
    """A team keeps each successor from the sender with the smallest rank key, ties to the
    first sent: what sorting by (key, tag, place) and taking each key's first gives.
    Keys near a few wide bases agree in their high bits (the sort's hard case); tags
    repeat."""
    from lifecheck.explore.vector.hashing import smallest_tag

    keys = np.array([(bases[b] + d) % 2**64 for b, d, _ in picks], np.uint64)
    tags = np.array([t for _, _, t in picks], np.uint64)
    order = np.lexsort((np.arange(len(keys)), tags, keys))
    want = order[np.r_[True, keys[order][1:] != keys[order][:-1]]] if len(keys) else order
    assert smallest_tag(keys, tags).tolist() == want.tolist()



@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=40),
       st.sets(st.integers(0, 5)), st.data())
def test_entries_are_rechecked_alike_on_arrays_and_lists(
        cells: list[tuple[int, int]], unverified: set[int], data: st.DataObject) -> None:
    """Each learned entry is re-run once on a row other than its origin; a wide level
    (numpy) and a thin one (lists) must pick the same rows, or a step that is not a
    function of what it reads could go unnoticed on one path."""
    from lifecheck.explore.vector.memo import ColumnMemo, ValueIds

    entries = [e for e, _ in cells]
    rows = [[e, v] for e, v in cells]  # rows may repeat, as (source, target) pairs do
    memos = []
    for _ in range(2):
        memo = ColumnMemo(ValueIds(2))
        memo.origins = [(e, data.draw(st.integers(0, 2), label=f"origin {e}")) if _ == 0
                        else memos[0].origins[e] for e in range(6)]
        memo.unverified = set(unverified)
        memos.append(memo)
    on_lists = memos[0].to_verify(entries, rows)
    on_arrays = memos[1].to_verify(np.array(entries, np.int64), np.array(rows, np.int32))
    assert on_arrays == on_lists
    assert memos[0].unverified == memos[1].unverified
    for r, e in on_lists:  # each re-check is on a row of that entry, not its origin
        assert entries[r] == e and tuple(rows[r]) != memos[0].origins[e]
    # and every entry that has such a row is re-checked
    for e in unverified & set(entries):
        assert any(x == e and tuple(rows[r]) != memos[0].origins[e] for r, x in enumerate(entries)) \
            == (e not in memos[0].unverified)


class Idle(Model):
    """A step whose footprint is empty: its guard reads only its parameter."""

    bits = durable(False, count=7)

    @action(i=range(7))
    def flip(self, i):
        require(not self.bits[i])
        self.bits[i] = True

    @action(k=range(2))
    def idle(self, k):
        require(k == 1)

    @always
    def fine(self):
        return True


class IdleAcross(Idle):
    @transition
    def bits_only_rise(before, after):
        return all(a or not b for a, b in zip(after.bits, before.bits, strict=True))


@pytest.mark.parametrize("model", [Idle(), IdleAcross()], ids=["wide level", "transition"])
@pytest.mark.parametrize("engine", ["vector", "auto"])
def test_a_step_that_reads_nothing_on_a_wide_level(model: Model, engine: str) -> None:
    """Regression: 'cannot reshape array of size 0' once a level had more than 32 rows."""
    spec = Spec("idle", model, holds(), deadlock=False)
    assert _outcome(check_spec(spec, _options(spec, engine))) == \
        _outcome(check_spec(spec, _options(spec, "bfs")))
    assert check_spec(spec, _options(spec, engine)).stats.distinct_states == 128


@pytest.mark.parametrize("spec", [s for s in SPECS if not s.symmetry][::4], ids=lambda s: s.name)
def test_the_graph_kept_for_diagrams_is_the_bfs_explorers(spec: Any) -> None:
    """``record_graph`` (the report draws state graphs from it): the same states, steps
    and targets, read off the vector engine's arrays."""
    from lifecheck.diagrams.explored import explored_graph

    system = spec.system()
    options = Options(bounds=spec.bounds, check_deadlock=spec.deadlock, record_graph=True)
    want = explored_graph(system, explore(system, options))
    got = explored_graph(system, explore_vector(system, options))
    assert got.states == want.states
    assert got.edges == want.edges
    assert (got.initial, got.faults_used) == (want.initial, want.faults_used)
