"""Classic models calibrate the explorer against other tools.

Two-phase commit with 3 resource managers has 288 distinct states in TLC and in
Stateright. The model in models/classic/twophase.py is checked against that
figure, and against a plain-Python transcription of the TLA+ next-state relation
explored by the reference BFS (tests/reference.py) for 1 to 4 resource managers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lifecheck import Crash, Options, Spec, action, check_spec, holds, require, violated
from lifecheck.explore.bfs import explore
from lifecheck.modelling.compile import ModelSystem
from lifecheck.models.classic.twophase import TwoPhaseCommit
from lifecheck.replay import replay
from tests import reference as ref

# A plain transcription of TwoPhase.tla: (rmState, tmState, tmPrepared, msgs).
TPState = tuple[tuple[str, ...], str, frozenset, frozenset]


def tla_init(n: int) -> TPState:
    return (("working",) * n, "init", frozenset(), frozenset())


def tla_next(state: TPState) -> Iterator[TPState]:
    rm_state, tm_state, tm_prepared, msgs = state
    n = len(rm_state)

    def with_rm(i: int, value: str) -> tuple[str, ...]:
        return (*rm_state[:i], value, *rm_state[i + 1:])

    if tm_state == "init":
        for i in range(n):  # TMRcvPrepared(rm)
            if ("Prepared", i) in msgs:
                yield (rm_state, tm_state, tm_prepared | {i}, msgs)
        if len(tm_prepared) == n:  # TMCommit
            yield (rm_state, "committed", tm_prepared, msgs | {("Commit",)})
        yield (rm_state, "aborted", tm_prepared, msgs | {("Abort",)})  # TMAbort
    for i in range(n):
        if rm_state[i] == "working":
            yield (with_rm(i, "prepared"), tm_state, tm_prepared, msgs | {("Prepared", i)})
            yield (with_rm(i, "aborted"), tm_state, tm_prepared, msgs)
        if ("Commit",) in msgs:
            yield (with_rm(i, "committed"), tm_state, tm_prepared, msgs)
        if ("Abort",) in msgs:
            yield (with_rm(i, "aborted"), tm_state, tm_prepared, msgs)


def tla_reachable(n: int) -> set[TPState]:
    return set(ref.bfs_distances([tla_init(n)], lambda s: list(tla_next(s))))


def as_tla(system: ModelSystem, state: tuple) -> TPState:
    d = system.describe(state)
    n = system.model.rms
    return (tuple(d[f"rm{i + 1}.state"] for i in range(n)), d["tm_state"], d["tm_prepared"],
            d["msgs"])


def test_two_phase_commit_with_three_rms_has_288_states() -> None:
    result = check_spec(Spec("twophase/3", TwoPhaseCommit(rms=3), holds()))
    assert result.error == ""
    assert result.verdict == "holds", result.violations
    assert result.stats.distinct_states == 288  # TLC and Stateright agree
    # lifecheck's own figures (every step counted, self-loops included), equal to the
    # plain transcription's below; not published by the other tools.
    assert result.stats.transitions == 1145
    assert result.stats.depth == 10
    assert "Consistent" in result.properties
    assert result.warnings == []  # every action fires: the proof is not vacuous


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_reachable_states_equal_the_tla_transcription(n: int) -> None:
    system = ModelSystem(TwoPhaseCommit(rms=n))
    seen: list[tuple] = []
    exploration = explore(system, Options(check_liveness=False),
            on_state=lambda _sid, s: seen.append(s))
    expected = tla_reachable(n)
    assert {as_tla(system, s) for s in seen} == expected
    assert len(seen) == len(expected)
    assert exploration.transitions == sum(len(list(tla_next(s))) for s in expected)
    if n == 3:
        assert len(expected) == 288


def test_consistency_holds_in_every_reachable_state() -> None:
    """Checked directly on the plain transcription too, so the invariant is not vacuous."""
    states = tla_reachable(3)
    assert any(s[0] == ("committed",) * 3 for s in states)
    assert any("aborted" in s[0] for s in states)
    for rm_state, *_ in states:
        assert not ("committed" in rm_state and "aborted" in rm_state)


def test_durable_decisions_survive_crashes() -> None:
    """RM state is durable and the TM's fields live in the model, so a crash changes only
    the budget: twice the states, and consistency still holds."""
    result = check_spec(Spec("twophase/3/crash", TwoPhaseCommit(rms=3), holds(),
                             faults=[Crash(max=1)]))
    assert result.verdict == "holds", (result.error, result.violated_properties)
    assert result.stats.distinct_states == 2 * 288


class HastyCommit(TwoPhaseCommit):
    """A broken variant: the TM commits without waiting for every RM to prepare."""

    @action
    def tm_commit(self):
        require(self.tm_state == "init")
        self.tm_state = "committed"
        self.msgs = self.msgs | {("Commit",)}


def test_committing_without_all_prepared_breaks_consistency() -> None:
    spec = Spec("twophase/hasty", HastyCommit(rms=2),
                violated("Consistent", "CommitOnlyWhenAllPrepared"))
    result = check_spec(spec)
    assert result.verdict == "violated", result.error
    assert result.matches
    violation = next(v for v in result.violations if v.property == "Consistent")
    system = spec.system()
    _, last = replay(system, violation.trace.replay)
    rm_states = {v for k, v in system.describe(last).items() if k.endswith(".state")}
    assert {"committed", "aborted"} <= rm_states
    # Shortest: one RM aborts, the TM commits, the other RM receives the commit.
    assert len(violation.trace.steps) == 3
