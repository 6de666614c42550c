"""The executor's semantics: submit now, run later as a step of its own, deliver if asked.

A tiny model follows a plan of submissions (who submits what, reply or not); its
workers run their own tasks, each with outcome "ok" or "failed", and take their
replies in a callback step that records what arrived.
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import (
    Crash,
    FrozenMap,
    Model,
    PowerLoss,
    Process,
    Spec,
    action,
    check_spec,
    choose,
    durable,
    final,
    holds,
    leads_to,
    parameter,
    require,
    role,
    violated,
)
from lifecheck.components.executor import Executor, Reply, Task
from lifecheck.modelling.compile import ModelSystem

Plan = tuple[tuple[int, str, bool], ...]
"""(worker index, work, reply?) per submission, in order."""


class Worker(Process):
    got = durable((), "(work, outcome) of every reply its callback took, in order: durable, "
                      "so a crash shows what the executor lost, not what the worker forgot")


class Jobs(Model):
    plan = parameter(())
    workers = parameter(1)
    crew = role(Worker, count="workers")
    executor = Executor()
    submitted = durable(0, "submissions of the plan made so far")

    @action(Worker)
    def submit(self, w: Worker) -> None:
        require(self.submitted < len(self.plan))
        who, work, reply = self.plan[self.submitted]
        require(who == w.index)
        self.executor.submit(work, reply=reply)
        self.submitted += 1

    @action(Worker)
    def run_task(self, w: Worker) -> None:
        task = self.executor.start()
        self.executor.finish(task, choose("ok", "failed"))

    @action(Worker)
    def callback(self, w: Worker) -> None:
        got = self.executor.take_reply()
        w.got = (*w.got, (got.work, got.outcome))

    def replies_asked(self, index: int) -> int:
        return sum(1 for who, _, reply in self.plan if who == index and reply)

    @leads_to(lambda m: True)
    def every_reply_delivered(self) -> bool:
        """Every result a worker asked for reaches its callback."""
        return all(len(w.got) == self.replies_asked(w.index) for w in self.crew)

    @final
    def done(self) -> bool:
        return self.submitted == len(self.plan) and self.executor.idle()


def system(plan: Plan, workers: int = 1, faults: Any = ()) -> ModelSystem:
    return ModelSystem(Jobs(plan=plan, workers=workers), faults)


def walk(sys: ModelSystem, *moves: str) -> Any:
    """Follow steps named ``"process label"``, e.g. ``"worker1 run_task -> 'a', ok"``."""
    state = sys.init_states()[0]
    for move in moves:
        found = [out for s, out in sys.successors(state) if f"{s.who()} {s.label()}" == move]
        assert len(found) == 1, (move, [f"{s.who()} {s.label()}" for s, _ in sys.successors(state)])
        state = found[0]
    return state


def enabled(sys: ModelSystem, state: Any) -> list[str]:
    return [f"{s.who()} {s.label()}" for s, _ in sys.successors(state)]


def executor(sys: ModelSystem, state: Any) -> tuple[tuple, tuple]:
    seen = sys.describe(state)
    return seen["executor.pending"], seen["executor.replies"]


def test_a_submitted_task_waits_until_its_run_step() -> None:
    sys = system(((0, "a", True),))
    state = walk(sys, "worker1 submit")
    assert executor(sys, state) == ((Task("worker1", "a", True),), ())
    assert enabled(sys, state) == ["worker1 run_task -> 'a', ok", "worker1 run_task -> 'a', failed"]


def test_a_reply_waits_for_the_callback_and_reaches_it_with_the_outcome() -> None:
    sys = system(((0, "a", True),))
    state = walk(sys, "worker1 submit", "worker1 run_task -> 'a', failed")
    assert executor(sys, state) == ((), (Reply("worker1", "a", "failed"),))
    assert enabled(sys, state) == ["worker1 callback -> worker1:'a' -> 'failed'"]
    state = walk(sys, "worker1 submit", "worker1 run_task -> 'a', failed",
                 "worker1 callback -> worker1:'a' -> 'failed'")
    assert executor(sys, state) == ((), ())
    assert sys.describe(state)["worker1.got"] == (("a", "failed"),)


def test_fire_and_forget_drops_the_result_when_the_task_finishes() -> None:
    sys = system(((0, "a", False),))
    state = walk(sys, "worker1 submit", "worker1 run_task -> 'a', failed")
    assert executor(sys, state) == ((), ())
    assert enabled(sys, state) == []


def test_tasks_run_in_any_order_and_identical_ones_are_one_branch() -> None:
    sys = system(((0, "b", True), (0, "a", True), (0, "a", True)))
    state = walk(sys, "worker1 submit", "worker1 submit", "worker1 submit")
    pending, _ = executor(sys, state)
    assert pending == (Task("worker1", "a"), Task("worker1", "a"), Task("worker1", "b"))
    assert enabled(sys, state) == [f"worker1 run_task -> {w!r}, {o}"
                                   for w in ("a", "b") for o in ("ok", "failed")]
    state = walk(sys, "worker1 submit", "worker1 submit", "worker1 submit",
                 "worker1 run_task -> 'a', ok")
    assert executor(sys, state)[0] == (Task("worker1", "a"), Task("worker1", "b"))


def test_the_same_work_with_and_without_a_reply_are_two_branches_told_apart() -> None:
    """Regression: both were labelled by the work alone, so a trace could not say which ran."""
    sys = system(((0, "a", True), (0, "a", False)))
    state = walk(sys, "worker1 submit", "worker1 submit")
    assert enabled(sys, state) == [f"worker1 run_task -> {w}, {o}"
                                   for w in ("'a'", "'a' (no reply)") for o in ("ok", "failed")]


def test_the_order_of_submissions_does_not_make_a_different_state() -> None:
    ab = system(((0, "a", True), (0, "b", False)))
    ba = system(((0, "b", False), (0, "a", True)))
    assert executor(ab, walk(ab, "worker1 submit", "worker1 submit")) == \
        executor(ba, walk(ba, "worker1 submit", "worker1 submit"))


def test_a_worker_runs_and_takes_only_its_own() -> None:
    sys = system(((0, "a", True), (1, "b", True)), workers=2)
    state = walk(sys, "worker1 submit", "worker2 submit")
    assert enabled(sys, state) == [
        "worker1 run_task -> 'a', ok", "worker1 run_task -> 'a', failed",
        "worker2 run_task -> 'b', ok", "worker2 run_task -> 'b', failed"]
    state = walk(sys, "worker1 submit", "worker2 submit", "worker2 run_task -> 'b', ok")
    assert "worker1 callback -> worker2:'b' -> 'ok'" not in enabled(sys, state)
    assert "worker2 callback -> worker2:'b' -> 'ok'" in enabled(sys, state)


class Asking(Jobs):
    """Jobs plus a step in which worker1 asks the executor its questions and notes the answers."""

    answers = durable(None, "the executor's answers, once asked")

    @action(Worker)
    def ask(self, w: Worker) -> None:
        require(w.index == 0)
        ex = self.executor
        self.answers = FrozenMap({
            "busy a": ex.is_busy("a"), "pending a": ex.is_pending("a"),
            "pending b": ex.is_pending("b"), "pending b of worker2": ex.is_pending("b", "worker2"),
            "pending b of worker1": ex.is_pending("b", "worker1"),
            "idle": ex.idle(), "idle worker1": ex.idle("worker1"),
            "idle worker2": ex.idle("worker2")})


def test_busy_pending_and_idle_answer_for_a_process_or_anyone() -> None:
    sys = ModelSystem(Asking(plan=((0, "a", True), (1, "b", False)), workers=2))
    state = walk(sys, "worker1 submit", "worker2 submit", "worker1 run_task -> 'a', ok",
                 "worker1 ask")
    assert dict(sys.describe(state)["answers"]) == {
        "busy a": True, "pending a": False,  # it ran; its reply is undelivered
        "pending b": True, "pending b of worker2": True, "pending b of worker1": False,
        "idle": False, "idle worker1": False, "idle worker2": False}
    state = walk(sys, "worker1 ask")
    assert dict(sys.describe(state)["answers"])["idle"] is True


# -- faults: a crash drops the crashed process's tasks and results, and nothing else -------

def test_a_crash_drops_the_crashed_workers_pending_tasks_and_replies_only() -> None:
    plan = ((0, "a", True), (0, "c", True), (1, "b", True))
    sys = system(plan, workers=2, faults=(Crash(max=1),))
    state = walk(sys, "worker1 submit", "worker1 submit", "worker2 submit",
                 "worker1 run_task -> 'a', ok")
    assert executor(sys, state) == ((Task("worker1", "c"), Task("worker2", "b")),
                                    (Reply("worker1", "a", "ok"),))
    crashes = {s.who(): out for s, out in sys.successors(state) if s.is_fault}
    assert executor(sys, crashes["worker1"]) == ((Task("worker2", "b"),), ())
    assert executor(sys, crashes["worker2"]) == ((Task("worker1", "c"),),
                                                 (Reply("worker1", "a", "ok"),))


def test_a_power_loss_drops_every_task_and_reply() -> None:
    sys = system(((0, "a", True), (1, "b", True)), workers=2, faults=(PowerLoss(max=1),))
    state = walk(sys, "worker1 submit", "worker2 submit", "worker1 run_task -> 'a', ok")
    (lost,) = [out for s, out in sys.successors(state) if s.is_fault]
    assert executor(sys, lost) == ((), ())


def test_finish_needs_the_task_start_returned() -> None:
    class BadFinish(Jobs):
        @action(Worker)
        def run_task(self, w: Worker) -> None:
            self.executor.start()
            self.executor.finish("a", "ok")

    sys = ModelSystem(BadFinish(plan=((0, "a", True),)))
    state = walk(sys, "worker1 submit")
    with pytest.raises(Exception, match="finish\\(\\) takes the Task"):
        sys.successors(state)


# -- whole checks: results are delivered unless the submitter dies ---------------------------

PLAN = ((0, "a", True), (1, "b", True), (0, "c", False))


def test_without_crashes_every_reply_is_delivered() -> None:
    result = check_spec(Spec("delivered", Jobs(plan=PLAN, workers=2), holds()))
    assert result.verdict == "holds", result.violations
    assert result.warnings == []


def test_a_crash_loses_a_reply_the_submitter_waited_for() -> None:
    result = check_spec(Spec("lost", Jobs(plan=PLAN, workers=2),
                             violated("EveryReplyDelivered"), faults=[Crash(max=1)]))
    assert result.matches, result.violated_properties
    (v,) = result.violations
    # Everything submitted, worker2 done; worker1 dies with 'a' pending, and nobody resubmits.
    assert [f"{s.process} {s.label}" for s in v.trace.steps] == [
        "worker1 submit", "worker2 submit", "worker1 submit",
        "worker2 run_task -> 'b', ok", "worker2 callback -> worker2:'b' -> 'ok'", "worker1 crash"]
    assert v.trace.stutter
