"""Every branch of a step is told apart by its label.

A trace names a step by who took it and its label; the symmetry check pairs a step
with its mirror image by that name, and a sampled walk finds its step again by it.
Two branches with one name and different outcomes make all three ambiguous: the
symmetry check compared the wrong branches and refused a symmetric design.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lifecheck import (
    Fail,
    Model,
    Process,
    Spec,
    action,
    always,
    check_spec,
    choose_from,
    durable,
    fault,
    holds,
    parameter,
    require,
    role,
)
from lifecheck.modelling.compile import ModelSystem
from lifecheck.models.components.remote_store import RemoteStore


class Worker(Process):
    done = durable(False)


class TwoRequests(Model):
    """One step sends two requests, either of which may fail: a delete, then an append."""

    workers = role(Worker, count=2)
    store = RemoteStore(kind="remote")

    @action(Worker)
    def rewrite(self, w: Any) -> None:
        require(not w.done)
        w.done = True
        self.store.delete("log")
        self.store.append("log", (w.name,), request_id=w.name)

    @always
    def at_most_two(self) -> bool:
        obj = self.store.stored("log")
        return obj is None or len(obj.data) <= 2


def _labels(system: ModelSystem, state: tuple, who: str) -> list[str]:
    return [s.label() for s, _ in system.successors(state) if s.process == who]


def _first(spec_faults: list, model: Model) -> tuple[ModelSystem, tuple]:
    system = ModelSystem(model, spec_faults)
    return system, system.init_states()[0]


def test_a_failure_of_a_later_call_of_the_same_kind_says_which_call() -> None:
    system, init = _first([Fail(kind="remote", max=1)], TwoRequests())
    assert _labels(system, init, "worker1") == [
        "rewrite", "rewrite -> remote fails (2nd call)", "rewrite -> remote fails"]


def test_with_budget_for_both_each_failed_call_is_named() -> None:
    system, init = _first([Fail(kind="remote", max=2)], TwoRequests())
    labels = _labels(system, init, "worker1")
    assert "rewrite -> remote fails, remote fails (2nd call)" in labels
    assert len(labels) == len(set(labels)) == 4


class Counted(Model):
    """Several calls of one fault kind in a step (so the ordinals go past 2nd), their
    failures labelled alike or, when ``named``, apart."""

    calls = parameter(3)
    named = parameter(False)
    workers = role(Worker, count=1)
    tries = durable(0)

    @action(Worker)
    def go(self, w: Any) -> None:
        require(not w.done)
        w.done = True
        self.tries = sum(1 << i for i in range(self.calls)
                         if fault("net", label=f"message {i} lost (net)" if self.named else None))


@pytest.mark.parametrize("budget", [1, 2, 3])
def test_every_branch_of_a_step_has_a_label_of_its_own(budget: int) -> None:
    system, init = _first([Fail(kind="net", max=budget)], Counted())
    succs = system.successors(init)
    labels = [s.label() for s, _ in succs]
    assert len(set(labels)) == len(labels) == sum(1 for n in range(8) if bin(n).count("1") <= budget)
    assert "go -> net fails (3rd call)" in labels


def test_failures_labelled_apart_keep_their_labels() -> None:
    system, init = _first([Fail(kind="net", max=2)], Counted(calls=2, named=True))
    assert [s.label() for s, _ in system.successors(init)] == [
        "go", "go -> message 1 lost (net)", "go -> message 0 lost (net)",
        "go -> message 0 lost (net), message 1 lost (net)"]


def test_symmetry_holds_for_a_step_with_two_requests_that_may_fail() -> None:
    """Regression: the mirror check took 'remote fails' on the delete for its image on
    the append and refused symmetry (found by the differential harness)."""
    spec = Spec("two", TwoRequests(), holds(), faults=[Fail(kind="remote", max=1)], deadlock=False)
    plain = check_spec(spec)
    reduced = check_spec(Spec("two", TwoRequests(), holds(), faults=[Fail(kind="remote", max=1)],
                              deadlock=False, symmetry=("workers",)))
    assert plain.verdict == reduced.verdict == "holds", reduced.error
    assert reduced.stats.distinct_states < plain.stats.distinct_states


_OPTIONS: dict[str, tuple[tuple, Any]] = {
    # two options under one label that lead to different states: ambiguous
    "alike": ((1, 2), lambda v: "a number"),
    # one option offered twice: the same step to the same state, not ambiguous
    "repeated": ((1, 1), None),
    # options that are lists: a step whose label cannot be hashed is told apart by its text
    "listed": (([1], [1, 2], [1, 2]), list),
}


class Picks(Model):
    """One choice among the options of ``case`` (see _OPTIONS)."""

    case = parameter("alike")
    n = parameter(1)
    workers = role(Worker, count="n")
    picked = durable(0)

    @action(Worker)
    def pick(self, w: Any) -> None:
        require(not w.done)
        w.done = True
        options, label = _OPTIONS[self.case]
        picked = choose_from(options, label=label)
        self.picked = picked if isinstance(picked, int) else len(picked)


def test_a_label_that_does_not_tell_two_outcomes_apart_is_a_modelling_error() -> None:
    result = check_spec(Spec("alike", Picks(case="alike"), holds(), deadlock=False))
    assert result.verdict == "error"
    assert "worker1 pick -> a number" in result.error
    assert "label" in result.error and "tell" in result.error
    detail = result.error_detail
    assert detail is not None and detail.file is not None and detail.file.endswith(__file__.rsplit("/", 1)[1])
    # The line of the choice whose label= says the same for both, not the action's.
    lines = Path(__file__).read_text().splitlines()
    assert lines[detail.line - 1].strip() == "picked = choose_from(options, label=label)"


def test_the_same_option_twice_is_not_an_ambiguity() -> None:
    result = check_spec(Spec("same", Picks(case="repeated"), holds(), deadlock=False))
    assert result.verdict == "holds", result.error


def test_symmetry_pairs_steps_labelled_by_lists() -> None:
    """Regression: the mirror check keyed steps by themselves and raised a bare TypeError."""
    spec = Spec("listed", Picks(case="listed", n=2), holds(), deadlock=False, symmetry=("workers",))
    assert check_spec(spec).verdict == "holds"


def test_options_labelled_by_lists_are_told_apart_by_their_text() -> None:
    system, init = _first([], Picks(case="listed"))
    assert [s.label() for s, _ in system.successors(init)] == [
        "pick -> [1]", "pick -> [1, 2]", "pick -> [1, 2]"]
