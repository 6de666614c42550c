"""The default engine hands a run from the bfs explorer to the vector engine mid-way, and
nothing a user reads changes but the fingerprint warning (the random-model harness in
test_differential.py draws the handover point too)."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from lifecheck import Options, Spec, Weak, check_spec, holds
from lifecheck.cli.targets import load_targets
from lifecheck.contract import HANDOVER_STATES
from lifecheck.explore import handover
from lifecheck.explore.checkpoint import save_checkpoint
from lifecheck.models.classic.philosophers import Philosophers
from lifecheck.models.classic.token_ring import TokenRing
from lifecheck.result import Result
from tests.pinned import FINGERPRINTED

ROOT = Path(__file__).resolve().parents[2]


def _ends_of_each_file() -> list[Spec]:
    """The first and the last spec of each spec file: buggy and fixed designs, liveness,
    constraints, faults of every kind (every spec is checked so by hand before a release)."""
    by_file: dict[str, list[Spec]] = {}
    for spec in load_targets([str(ROOT / "specs")]):
        by_file.setdefault(str(spec.source), []).append(spec)
    return [s for specs in by_file.values() for s in {id(x): x for x in (specs[0], specs[-1])}.values()]


def _as_read(result: Result) -> str:
    """Everything a user reads of a result but the timings, where a run resumed, and the
    chance of a fingerprint collision."""
    data = result.to_json()
    for key in ("seconds", "states_per_second", "resumed_at_states", "collision_chance"):
        data.pop(key, None)
    return json.dumps(data, sort_keys=True, default=str)


def _options(spec: Spec, **extra: Any) -> Options:
    return Options(bounds=spec.bounds, check_deadlock=spec.deadlock, **extra)


@pytest.mark.parametrize("spec", _ends_of_each_file(), ids=lambda s: s.name)
def test_a_spec_handed_over_after_its_first_level_reads_as_on_bfs(spec: Spec) -> None:
    reference = check_spec(spec, _options(spec, engine="bfs"))
    handed = check_spec(spec, _options(spec, engine="auto", handover=1, thin_handover=1))
    assert _as_read(handed) == _as_read(reference)


@pytest.mark.parametrize("spec", _ends_of_each_file(), ids=lambda s: s.name)
def test_an_exact_run_handed_over_reads_as_on_bfs(spec: Spec) -> None:
    """--exact past the handover: the vector engine keeping and comparing rows (under
    symmetry, the rows of the orbits)."""
    reference = check_spec(spec, _options(spec, engine="bfs"))
    handed = check_spec(spec, _options(spec, exact=True, handover=1, thin_handover=1))
    assert _as_read(handed) == _as_read(reference)
    assert handed.stats.collision_chance is None


def test_a_small_run_stays_exact_and_a_big_one_turns_to_fingerprints() -> None:
    spec = Spec("philosophers/n=6", Philosophers(n=6), holds())  # 862 states
    small = check_spec(spec, Options())
    assert small.stats.distinct_states < HANDOVER_STATES
    assert small.stats.collision_chance is None
    handed = check_spec(spec, Options(handover=100))
    assert handed.stats.collision_chance is not None and 0 < handed.stats.collision_chance < 1e-9
    assert handed.warnings == small.warnings == []
    assert _as_read(handed) == _as_read(small)


def test_a_thin_run_stays_in_the_bfs_explorer_until_it_is_big() -> None:
    """A long chain (one state a level) past the mark stays exact: there the vector engine
    runs steps one state at a time as bfs does, and encodes rows on top."""
    spec = Spec("token-ring", TokenRing(n=3, rounds=1000), holds())  # 3,000 states in a chain
    thin = check_spec(spec, Options())
    assert thin.stats.distinct_states > HANDOVER_STATES
    assert thin.stats.collision_chance is None, "handed over on a level of one state"
    big = check_spec(spec, Options(thin_handover=2500))
    assert big.stats.collision_chance is not None, "not handed over past thin_handover"
    assert _as_read(big) == _as_read(thin)


def test_fingerprints_from_the_start_stay_in_the_bfs_explorer(monkeypatch: Any) -> None:
    taken: list[int] = []
    monkeypatch.setattr(handover._VectorPhase, "take_over",
                        lambda self, bfs: taken.append(bfs.count))
    spec = Spec("philosophers/n=6", Philosophers(n=6), holds())
    assert check_spec(spec, Options(fingerprints=True, handover=1)).verdict == "holds"
    assert not taken


def test_the_handover_happens_at_the_first_level_past_the_mark(monkeypatch: Any) -> None:
    taken: list[tuple[int, int]] = []
    real = handover._VectorPhase.take_over

    def spy(self: Any, bfs: Any) -> None:
        taken.append((bfs.count, bfs.level_starts[-1]))
        real(self, bfs)

    monkeypatch.setattr(handover._VectorPhase, "take_over", spy)
    check_spec(Spec("philosophers/n=6", Philosophers(n=6), holds()), Options(handover=300))
    [(count, frontier_start)] = taken
    assert count >= 300 > frontier_start, "handed over at the first level boundary past 300"


def test_a_run_hands_over_only_where_its_levels_still_widen(monkeypatch: Any) -> None:
    """Philosophers n=6 have levels of 1, 6, 20, 46, 79, 110, 129, 130, 115, 90, ...
    states (862 in all). Past a mark of 150 (152 states, a level of 79 after one of 46)
    the run widens and hands over; past a mark of 400 (521 states, a level of 130 after
    one of 129) it no longer widens, so it stays exact to its end; and from the settled
    bound (5 times the mark, or ``thin_handover`` where lower: 600 here) it hands over at
    the next boundary whatever its levels do."""
    taken: list[int] = []
    real = handover._VectorPhase.take_over

    def spy(self: Any, bfs: Any) -> None:
        taken.append(bfs.count)
        real(self, bfs)

    monkeypatch.setattr(handover._VectorPhase, "take_over", spy)
    spec = Spec("philosophers/n=6", Philosophers(n=6), holds())
    widening = check_spec(spec, Options(handover=150))
    assert taken == [152]
    narrowing = check_spec(spec, Options(handover=400))
    assert taken == [152], "handed over where the levels had stopped widening"
    assert narrowing.stats.collision_chance is None
    settled = check_spec(spec, Options(handover=400, thin_handover=600))
    assert taken == [152, 636]
    assert handover.WIDENING * 129 > 130 and handover.SETTLED_HANDOVER * 400 > 600
    assert _as_read(widening) == _as_read(narrowing) == _as_read(settled)


def _trials(monkeypatch: Any, verdict: Any = None) -> tuple[list[tuple[int, bool]], list[Any]]:
    """Spies on the handover: each trial (the states then, and whether learning paid;
    ``verdict``, when given, stands for the vector engine's own), and each run taking over
    (whether it is the one the trial learned in)."""
    trials: list[tuple[int, bool]] = []
    taking: list[Any] = []
    tried: list[int] = []
    real_bfs, real_vector = handover._BfsPhase.learning_pays, handover._VectorPhase.learning_pays
    real_take = handover._VectorPhase.take_over

    def vector_trial(self: Any, states: Any) -> bool:
        tried.append(len(states))
        return (verdict or real_vector)(self, states)

    def trial(self: Any) -> bool:
        before = len(tried)
        pays = real_bfs(self)
        if len(tried) > before:
            trials.append((self.count, pays))
        return pays

    def take(self: Any, bfs: Any) -> None:
        taking.append(self is bfs.trial)
        real_take(self, bfs)

    monkeypatch.setattr(handover._VectorPhase, "learning_pays", vector_trial)
    monkeypatch.setattr(handover._BfsPhase, "learning_pays", trial)
    monkeypatch.setattr(handover._VectorPhase, "take_over", take)
    return trials, taking


def test_a_run_whose_steps_are_not_repaid_by_learning_stays_exact(monkeypatch: Any) -> None:
    """Two consumers and a controller through a key-value store: nearly every step out of
    the frontier at the mark reads values no other did (about one lookup in eight has to
    learn), so the vector engine would run steps as written and encode rows on top. The
    run stays in the bfs explorer, exact, and reads as the reference's."""
    spec = _delete_offsets()
    trials, taking = _trials(monkeypatch)
    result = check_spec(spec)
    assert trials and not any(pays for _, pays in trials) and taking == []
    assert result.stats.collision_chance is None
    assert _as_read(result) == _as_read(check_spec(spec, _options(spec, engine="bfs")))


def test_a_trial_that_passes_hands_over_what_it_learned(monkeypatch: Any) -> None:
    trials, taking = _trials(monkeypatch)
    spec = Spec("philosophers/n=8", Philosophers(n=8), holds())
    check_spec(spec, Options(handover=2000))
    [(_, pays)] = trials
    assert pays and taking == [True], "the run that learned on the frontier goes on from it"


@pytest.mark.parametrize("n, mark", [(6, 150), (10, 2000)])
def test_a_liveness_run_handed_over_after_a_trial_finds_the_reference_lasso(
        monkeypatch: Any, n: int, mark: int) -> None:
    """The graph liveness is checked on labels each step by its fairness class; the
    trial learns steps, and so labels classes, before the bfs explorer's graph is taken
    over with its own labels: the two must become one labelling, or the lasso's fairness
    is wrong (the benchmark's replay caught that at n=10: a weakly fair loop that was
    not). The reference takes half a minute at n=10: there the lasso's replay (every
    counterexample is replayed before it is reported) and its length stand for it."""
    from bench.live_philosophers import HungryPhilosophers

    trials, taking = _trials(monkeypatch)
    spec = Spec(f"philosophers/n={n}/leads-to", HungryPhilosophers(n=n), holds(),
                properties=["HungryEats"], fairness=[Weak(per="process")])
    handed = check_spec(spec, Options(handover=mark))
    assert [pays for _, pays in trials] == [True] and len(taking) == 1
    assert handed.verdict == "violated", handed.error
    if n < 10:
        assert _as_read(handed) == _as_read(check_spec(spec, Options(engine="bfs")))


def _delete_offsets() -> Spec:
    [spec] = [s for s in load_targets([str(ROOT / "specs" / "topic_recreate.py")])
              if s.name == "topic-recreate/delete-offsets/2-consumers/no-crash"]
    return spec


@pytest.mark.parametrize("which", ["fails", "pays"])
def test_a_trial_stops_learning_once_its_verdict_is_decided(which: str) -> None:
    """A trial judges learning by the rule a wide level does (more than one lookup in
    RUN_AS_WRITTEN learned, over JUDGED_AFTER lookups), and once that many have been
    learned no later lookup can undo it: a failing trial stops there, with the verdict
    that learning every step of the sample gives. A paying one learns all it needs."""
    from lifecheck.explore.vector import VectorRun
    from lifecheck.explore.vector.memo import JUDGED_AFTER, RUN_AS_WRITTEN, learning_fails
    from lifecheck.modelling.footprint import learner_for

    spec = _delete_offsets() if which == "fails" else Spec("philosophers/n=8", Philosophers(n=8), holds())
    system, options = spec.system(), _options(spec)
    bfs: Any = handover._BfsPhase(system, options, None)
    bfs.start()
    while bfs.count < HANDOVER_STATES:
        bfs.level()
    full = VectorRun(system, learner_for(system), options, None)
    sample = -(-JUDGED_AFTER // len(full.tables))
    states = [state for _, state in bfs.frontier[:sample]]
    rows = full.rows_of(states)
    for k, table in enumerate(full.tables):  # every step of the sample learned
        table.lookup(rows, lambda r, k=k: full.learn_step(k, rows[r].tolist(), 0))
    lookups = len(rows) * len(full.tables)
    assert lookups >= JUDGED_AFTER
    pays = not learning_fails(full.learned, lookups)
    assert pays == (which == "pays")

    trial = VectorRun(system, learner_for(system), options, None)
    runs = []
    real = trial.learn_step
    trial.learn_step = lambda *a: (runs.append(a[0]), real(*a))[1]  # type: ignore[method-assign]
    assert trial.learning_pays(states) == pays
    if pays:
        assert len(runs) == full.learned
    else:
        assert len(runs) == lookups // RUN_AS_WRITTEN + 1 < full.learned
    assert trial.learned == 0, "the run's own judgement starts afresh"


def test_a_trial_that_failed_is_tried_again_from_four_times_the_states(monkeypatch: Any) -> None:
    trials, taking = _trials(monkeypatch, verdict=lambda self, states: False)
    spec = Spec("philosophers/n=8", Philosophers(n=8), holds())  # 9,403 states
    result = check_spec(spec, Options(handover=150, thin_handover=10**6))
    counts = [count for count, _ in trials]
    assert len(counts) >= 3 and taking == []
    assert all(b >= handover.RETRIAL * a for a, b in pairwise(counts))
    assert all(b < handover.RETRIAL * a * 2 for a, b in pairwise(counts)), "at the next level past"
    assert result.stats.collision_chance is None


def test_a_trial_that_raises_leaves_the_run_to_the_bfs_explorer(monkeypatch: Any) -> None:
    """Whatever the trial meets (a step that raises, bad input), the bfs explorer meets
    too and says where: the run is never handed over then, and reads as the reference's."""
    def raising(self: Any, states: Any) -> bool:
        raise RuntimeError("met in the trial")

    trials, taking = _trials(monkeypatch, verdict=raising)
    spec = Spec("philosophers/n=6", Philosophers(n=6), holds())
    result = check_spec(spec, Options(handover=150, thin_handover=600))
    assert trials == [(152, False)] and taking == [False], "only the memory mark hands over"
    assert _as_read(result) == _as_read(check_spec(spec, Options(engine="bfs")))


def test_steps_run_translated_only_from_the_first_level_past_the_mark(monkeypatch: Any) -> None:
    """Below the mark the default engine's bfs phase runs every step as the reference
    does (translating did not pay on specs of that size); from the first level that
    starts past it, as translated code. Fingerprinted runs, which stay in the bfs
    explorer, follow the same rule."""
    from lifecheck.explore import bfs

    went: list[int] = []
    real = bfs._Run.go_straight

    def spy(self: Any) -> None:
        went.append(self.count)
        real(self)

    monkeypatch.setattr(bfs._Run, "go_straight", spy)
    spec = Spec("philosophers/n=6", Philosophers(n=6), holds())  # 862 states
    small = check_spec(spec, Options())
    assert went == []
    past = check_spec(spec, Options(handover=400))  # stays in bfs: its levels narrow there
    assert went == [521]
    check_spec(spec, Options(handover=400, fingerprints=True))
    assert went == [521, 521]
    assert _as_read(past) == _as_read(small)


@pytest.mark.parametrize("phase", ["bfs", "vector"])
def test_a_run_saved_in_either_phase_resumes_to_the_same_result(tmp_path: Path, phase: str) -> None:
    spec = Spec("philosophers/n=6", Philosophers(n=6), holds())
    system = spec.system()
    path = str(tmp_path / "run.ckpt")
    options = Options(checkpoint=path, handover=200)
    run: Any = handover._BfsPhase(system, options, None)
    run.start()
    while run.count < (100 if phase == "bfs" else 200):
        run.level()
    if phase == "vector":
        run = run.successor()
        assert run is not None and run.phase == "vector"
        run.advance(None)  # a level in the vector engine
    save_checkpoint(path, run.signature, run.snapshot())
    resumed = check_spec(spec, options)
    assert resumed.resumed_at > 0
    assert _as_read(resumed) == _as_read(check_spec(spec, Options(handover=200)))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecheck", "check", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_exact_keeps_every_state_to_the_end(tmp_path: Path) -> None:
    spec = tmp_path / "big.py"
    spec.write_text("from lifecheck import Spec, holds\n"
                    "from lifecheck.models.classic.philosophers import Philosophers\n"
                    "SPECS = [Spec('philosophers/n=8', Philosophers(n=8), holds())]\n")
    default = _cli(str(spec), "--no-timing")
    exact = _cli(str(spec), "--no-timing", "--exact")
    assert default.returncode == exact.returncode == 0, default.stderr + exact.stderr
    assert FINGERPRINTED in default.stdout  # 9,403 states: handed over
    assert FINGERPRINTED not in exact.stdout
    assert "9,403" in exact.stdout or "9403" in exact.stdout


def test_exact_refuses_fingerprints() -> None:
    proc = _cli("specs/extraction.py", "--exact", "--fingerprints")
    assert proc.returncode == 2
    assert "--exact" in proc.stderr


def test_the_vector_engine_is_exact_with_and_without_symmetry() -> None:
    plain = _cli("specs/extraction.py::extraction/marker/crash", "--exact", "--engine", "vector")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert FINGERPRINTED not in plain.stdout
    name = "specs/extraction.py::extraction/rename/2-brokers/crash/symmetric"
    symmetric = _cli(name, "--exact", "--engine", "vector", "--no-timing")
    reference = _cli(name, "--engine", "bfs", "--no-timing")
    assert symmetric.returncode == reference.returncode == 0, symmetric.stdout + symmetric.stderr
    assert FINGERPRINTED not in symmetric.stdout
    assert symmetric.stdout == reference.stdout
