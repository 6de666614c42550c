"""A team whose workers are vector engines: what crosses between them, and what must not be lost.

tests/engines/test_parallel.py holds teams to the sequential explorer on every spec,
and the differential harness on random models; here are the laws particular to
vector workers: values interned apart in each process, typed values told apart
across processes, the rows of known states never built nor sent, errors located
from worker to worker.
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import Crash, Fail, Model, Options, Spec, action, always, check_spec, durable, holds, require
from lifecheck.explore.team import coordinate
from lifecheck.explore.vector.partition import VectorPartition
from lifecheck.models.classic.philosophers import Philosophers
from lifecheck.models.extraction import UnpackInPlace


class InProcess:
    """A team of vector partitions in this process, commands run one worker after another,
    counting the rows each worker delivers to another."""

    kind = "vector"

    def __init__(self, system: Any, options: Options, size: int) -> None:
        self.size = size
        self.parts = [VectorPartition(system, options, w, size) for w in range(size)]
        self.delivered = 0

    def all(self, command: str, args: list[tuple]) -> list[Any]:
        replies = []
        for part, a in zip(self.parts, args, strict=True):
            reply = part.handle(command, *a)
            assert reply[0] == "ok", reply
            replies.append(reply[1])
        if command == "admit" and args[0][0]:  # (the initial states are admitted with no rows)
            self.delivered += sum(r["new"] for r in replies)
        return replies

    def one(self, worker: int, command: str, *args: Any) -> Any:
        return self.parts[worker].handle(command, *args)[1]


@pytest.mark.parametrize("size", [1, 2, 3])
def test_rows_cross_only_for_states_never_seen_and_the_states_are_the_reference(size: int) -> None:
    """Most successors of a level are states seen before: their fingerprints travel, their
    rows are never built. So the rows delivered are exactly the states found after the
    initial ones, whatever the number of workers."""
    spec = Spec("p", Philosophers(n=6), holds())
    system = spec.system()
    options = Options(check_liveness=False, workers=size)
    team = InProcess(system, options, size)
    result = coordinate(system, options, team)
    reference = check_spec(spec, Options(check_liveness=False, engine="bfs"))
    assert result.distinct_states == reference.stats.distinct_states == 862
    assert result.transitions == reference.stats.transitions
    assert team.delivered == result.distinct_states - len(list(system.init_states()))
    assert sorted(result.per_worker) == sorted(p.count for p in team.parts)
    if size > 1:
        assert all(p.count for p in team.parts)  # every worker owns a share


class Typed(Model):
    """A field that holds 0, False, 0.0, 1 and True on the way: values Python calls equal,
    which are different states (and which workers meet in different orders)."""

    x = durable(0)
    n = durable(0)

    @action
    def step(self):
        require(self.n < 6)
        self.n = self.n + 1
        self.x = (0, False, 0.0, 1, True, 1.0)[self.n % 6]

    @action
    def back(self):
        require(self.n > 0 and self.x == 0)
        self.n = self.n - 1

    @always
    def fine(self):
        return True


@pytest.mark.parametrize("workers", [2, 3])
def test_values_equal_but_of_other_types_stay_apart_across_workers(workers: int) -> None:
    spec = Spec("typed", Typed(), holds())
    reference = check_spec(spec, Options(engine="bfs"))
    team = check_spec(spec, Options(workers=workers))
    assert team.stats.collision_chance is not None  # vector workers, fingerprinted
    assert (team.stats.distinct_states, team.stats.transitions, team.stats.depth) == \
        (reference.stats.distinct_states, reference.stats.transitions, reference.stats.depth)


class Breaks(Model):
    """An action that reads a field it must not (a typo) only deep into the run."""

    n = durable(0)

    @action
    def up(self):
        require(self.n < 7)
        self.n = self.n + 1

    @action
    def broken(self):
        require(self.n == 5)
        self.no_such_field = 1


@pytest.mark.parametrize("engine", ["bfs", "auto"])
def test_a_model_error_in_a_workers_state_names_the_action_and_the_step_as_one_process_does(
        engine: str) -> None:
    """Whichever worker meets the error, and whatever the others answered meanwhile."""
    spec = Spec("breaks", Breaks(), holds())
    alone = check_spec(spec, Options(engine="bfs"))
    team = check_spec(spec, Options(workers=2, engine=engine))
    assert alone.verdict == team.verdict == "error"
    assert team.error == alone.error and "action broken, step 6" in team.error


def test_a_design_violation_found_by_a_worker_replays() -> None:
    spec = Spec("x", UnpackInPlace(files=2, brokers=2), holds(), properties=["NoPartialLoad"],
                faults=[Crash(max=1), Fail(kind="startup", max=0)])
    reference = check_spec(spec, Options(engine="bfs"))
    team = check_spec(spec, Options(workers=2))
    assert team.verdict == reference.verdict == "violated"
    assert [len(v.trace.steps) for v in team.violations] == \
        [len(v.trace.steps) for v in reference.violations]
