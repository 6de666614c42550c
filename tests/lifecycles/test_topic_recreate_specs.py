"""Pinned outcomes of every topic-recreate spec (lifecycles.md section 3), the steps each
counterexample hinges on, branches no verdict shows, and broken variants that show each
property has teeth.
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import Bounds, Crash, Options, Spec, action, check_spec, holds, require
from lifecheck.modelling.compile import ModelSystem
from lifecheck.models.topic_recreate import (
    TOPIC,
    Consumer,
    DeleteOffsets,
    OffsetsPerIncarnation,
    Panic,
    Partition,
    Resolve,
    TopicRecreate,
    ValidateOnResolve,
)
from specs.topic_recreate import SPECS
from tests.pinned import PinnedSpecs, steps, violation

ALL_THREE = frozenset({"NoPanic", "NoSkip", "NoCrossIncarnationState"})
QUIET_SKIP = frozenset({"NoSkip", "NoCrossIncarnationState"})
SAFETY = ["NoPanic", "NoSkip", "NoCrossIncarnationState"]

# name -> (verdict, violated properties, distinct states, depth)
PINNED: dict[str, tuple[str, frozenset[str], int, int]] = {
    "topic-recreate/by-name/no-crash": ("violated", ALL_THREE, 220, 16),
    "topic-recreate/delete-offsets/no-crash": ("holds", frozenset(), 482, 18),
    "topic-recreate/delete-offsets/2-consumers/no-crash": ("holds", frozenset(), 6347, 24),
    "topic-recreate/delete-offsets/controller-crash": ("violated", ALL_THREE, 563, 18),
    "topic-recreate/incarnation/controller-crash": ("holds", frozenset(), 3189, 31),
    "topic-recreate/incarnation/crash": ("holds", frozenset(), 3189, 29),
    "topic-recreate/incarnation/2-consumers/crash": ("holds", frozenset(), 2624, 24),
    "topic-recreate/validate/no-crash": ("violated", QUIET_SKIP, 253, 18),
    "topic-recreate/validate/delete-offsets/no-crash": ("holds", frozenset(), 482, 18),
    "topic-recreate/validate/delete-offsets/controller-crash": ("violated", QUIET_SKIP, 597, 19),
}

# The first incarnation: the consumer reads offset 0 and commits 1.
COMMIT_ONE = ["controller1 create", "producer1 produce", "consumer1 connect", "consumer1 read",
              "consumer1 commit"]
# By name: delete and recreate at once; the consumer's stream ends and it reconnects.
RECREATE = ["controller1 delete", "controller1 create"]
# Fix (a): killed after deleting the topic, before deleting its offsets.
KILLED_BETWEEN = ["controller1 delete", "consumer1 disconnect", "controller1 crash",
                  "controller1 create"]

# The shortest counterexample of each violated property, per spec.
TRACES: dict[str, dict[str, list[str]]] = {
    "topic-recreate/by-name/no-crash": {
        "NoPanic": [*COMMIT_ONE, *RECREATE, "consumer1 disconnect", "consumer1 connect"],
        "NoCrossIncarnationState": [*COMMIT_ONE, *RECREATE, "consumer1 disconnect",
                                    "consumer1 connect"],
        "NoSkip": [*COMMIT_ONE, *RECREATE, "producer1 produce", "consumer1 disconnect",
                   "consumer1 connect"],
    },
    "topic-recreate/delete-offsets/controller-crash": {
        "NoPanic": [*COMMIT_ONE, *KILLED_BETWEEN, "consumer1 connect"],
        "NoCrossIncarnationState": [*COMMIT_ONE, *KILLED_BETWEEN, "consumer1 connect"],
        "NoSkip": [*COMMIT_ONE, *KILLED_BETWEEN, "producer1 produce", "consumer1 connect"],
    },
    "topic-recreate/validate/no-crash": {
        "NoSkip": [*COMMIT_ONE, *RECREATE, "producer1 produce", "consumer1 disconnect",
                   "consumer1 connect"],
        "NoCrossIncarnationState": [*COMMIT_ONE, *RECREATE, "producer1 produce",
                                    "consumer1 disconnect", "consumer1 connect"],
    },
    "topic-recreate/validate/delete-offsets/controller-crash": {
        "NoSkip": [*COMMIT_ONE, *KILLED_BETWEEN, "producer1 produce", "consumer1 connect"],
        "NoCrossIncarnationState": [*COMMIT_ONE, *KILLED_BETWEEN, "producer1 produce",
                                    "consumer1 connect"],
    },
}

PINS = PinnedSpecs(SPECS, PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()


def changes(step: Any) -> dict[str, tuple[Any, Any]]:
    return {c.field: (c.before, c.after) for c in step.changes}


@pytest.mark.parametrize(("name", "prop"), [(n, p) for n, traces in TRACES.items() for p in traces])
def test_counterexample(name: str, prop: str) -> None:
    assert steps(violation(result_of(name), prop).trace) == TRACES[name][prop]


@pytest.mark.parametrize("name", list(TRACES))
def test_every_violation_has_its_trace_pinned(name: str) -> None:
    assert set(TRACES[name]) == set(result_of(name).violated_properties)


# -- the step each counterexample hinges on -------------------------------------------------

def test_the_shipped_panic_resolves_the_stale_offset_against_the_new_log() -> None:
    trace = violation(result_of("topic-recreate/by-name/no-crash"), "NoPanic").trace
    commit, resolve = trace.steps[4], trace.steps[-1]
    # Committed in incarnation 1, under the topic's name only.
    assert changes(commit)[f"offsets.entries[{(TOPIC, 'consumer1')!r}]"][1] == 1
    assert changes(commit)[f"offsets.origins[{(TOPIC, 'consumer1')!r}]"][1] == 1
    # Incarnation 2 is empty, the offset committed in incarnation 1 says 1: start 1 > end 0.
    assert changes(resolve)["consumer1.panic"] == (None, Panic(start=1, end=0))
    assert changes(resolve)["consumer1.resolved"] == (None, Resolve(incarnation=2, offset_from=1))


def test_the_shipped_quiet_skip_starts_the_consumer_past_a_message_it_never_read() -> None:
    trace = violation(result_of("topic-recreate/by-name/no-crash"), "NoSkip").trace
    grown = trace.steps[7]
    assert changes(grown)["topic"] == (Partition(2, 0), Partition(2, 1))
    resolve = changes(trace.steps[-1])
    assert resolve["consumer1.session"] == (None, 2)
    assert resolve["consumer1.position"] == (0, 1)  # offset 0 of incarnation 2 is never read
    assert "consumer1.panic" not in resolve


def test_fix_a_breaks_when_the_controller_dies_between_the_two_deletes() -> None:
    trace = violation(result_of("topic-recreate/delete-offsets/controller-crash"), "NoPanic").trace
    labels = steps(trace)
    delete, crash = labels.index("controller1 delete"), labels.index("controller1 crash")
    assert delete < crash and "controller1 delete_offsets" not in labels
    assert changes(trace.steps[delete])["controller1.cleanup"] == (None, TOPIC)
    assert trace.steps[crash].fault == "crash"
    assert changes(trace.steps[crash]) == {"controller1.cleanup": (TOPIC, None)}
    assert changes(trace.steps[-1])["consumer1.panic"] == (None, Panic(start=1, end=0))


def test_fix_c_no_longer_panics_but_still_uses_a_stale_offset_within_the_new_log() -> None:
    result = result_of("topic-recreate/validate/no-crash")
    assert "NoPanic" not in result.violated_properties
    resolve = changes(violation(result, "NoSkip").trace.steps[-1])
    assert resolve["consumer1.resolved"] == (None, Resolve(incarnation=2, offset_from=1))
    assert resolve["consumer1.position"] == (0, 1)


@pytest.mark.parametrize("name", list(TRACES))
def test_the_counterexamples_are_the_shortest(name: str) -> None:
    (spec,) = [s for s in SPECS if s.name == name]
    shortest = min(len(t) for t in TRACES[name].values())
    for depth, found in ((shortest - 1, False), (shortest, True)):
        result = check_spec(spec, Options(bounds=Bounds(max_depth=depth)))
        assert bool(result.violations) is found, depth


# -- branches no verdict shows, walked step by step --------------------------------------

def _walk(system: ModelSystem, *moves: str) -> Any:
    state = system.init_states()[0]
    for move in moves:
        (out,) = [out for s, out in system.successors(state) if f"{s.process} {s.label()}" == move]
        state = out
    return state


def _enabled(system: ModelSystem, state: Any) -> list[str]:
    return [f"{s.process} {s.label()}" for s, _ in system.successors(state)]


def test_fix_c_resets_a_stale_offset_past_the_end_to_the_beginning() -> None:
    system = ModelSystem(ValidateOnResolve())
    seen = system.describe(_walk(system, *COMMIT_ONE, *RECREATE, "consumer1 disconnect",
                                 "consumer1 connect"))
    assert (seen["consumer1.session"], seen["consumer1.position"], seen["consumer1.panic"]) == (2, 0, None)
    assert seen["consumer1.resolved"] == Resolve(incarnation=2, offset_from=None)
    assert seen["offsets.entries"][(TOPIC, "consumer1")] == 1  # stale until the next commit


def test_fix_a_deletes_the_offsets_before_the_topic_can_be_created_again() -> None:
    system = ModelSystem(DeleteOffsets())
    state = _walk(system, *COMMIT_ONE, "controller1 delete")
    assert "controller1 create" not in _enabled(system, state)
    assert "consumer1 commit" not in _enabled(system, state)  # the broker ended its stream
    seen = system.describe(_walk(system, *COMMIT_ONE, "controller1 delete",
                                 "controller1 delete_offsets"))
    assert dict(seen["offsets.entries"]) == {} and dict(seen["offsets.origins"]) == {}


def test_fix_b_keeps_each_incarnations_offset_apart() -> None:
    system = ModelSystem(OffsetsPerIncarnation())
    seen = system.describe(_walk(system, *COMMIT_ONE, *RECREATE, "consumer1 disconnect",
                                 "consumer1 connect"))
    assert dict(seen["offsets.entries"]) == {(TOPIC, 1, "consumer1"): 1}
    assert (seen["consumer1.session"], seen["consumer1.position"]) == (2, 0)


def test_a_consumer_resumes_from_its_own_commit_within_an_incarnation() -> None:
    system = ModelSystem(TopicRecreate())
    seen = system.describe(_walk(system, *COMMIT_ONE, "consumer1 disconnect", "consumer1 connect"))
    assert (seen["consumer1.position"], seen["consumer1.resolved"]) == (1, Resolve(1, 1))


def test_a_panicked_consumer_stays_dead() -> None:
    system = ModelSystem(TopicRecreate())
    state = _walk(system, *COMMIT_ONE, *RECREATE, "consumer1 disconnect", "consumer1 connect")
    assert not any(move.startswith("consumer1") for move in _enabled(system, state))


# -- the properties have teeth: broken variants must violate them ------------------------

class CommitsAhead(TopicRecreate):
    """Broken on purpose: commits one past the position (an off-by-one), no recreate needed."""

    @action(Consumer)
    def commit(self, c: Consumer) -> None:
        require(self.stream_open(c) and c.position != c.committed)
        self.offsets.put(self.offset_key(c, c.session), c.position + 1, origin=c.session)
        c.committed = c.position


def test_no_panic_and_no_skip_catch_a_commit_past_the_position() -> None:
    result = check_spec(Spec("ahead", CommitsAhead(incarnations=1), holds(), properties=SAFETY))
    assert set(result.violated_properties) == {"NoPanic", "NoSkip"}
    assert steps(violation(result, "NoPanic").trace) == [
        *COMMIT_ONE, "consumer1 disconnect", "consumer1 connect"]


class StartsAtEnd(OffsetsPerIncarnation):
    """Broken on purpose (for NoSkip): a new consumer starts at the end, not the beginning."""

    def first_offset(self, end: int) -> int:
        return end


def test_no_skip_catches_a_consumer_that_starts_at_the_end() -> None:
    result = check_spec(Spec("at-end", StartsAtEnd(incarnations=1), holds(), properties=SAFETY))
    assert result.violated_properties == ("NoSkip",)
    assert steps(violation(result, "NoSkip").trace) == [
        "controller1 create", "producer1 produce", "consumer1 connect"]


class CarriesOffsetsForward(OffsetsPerIncarnation):
    """Broken on purpose: connecting to a new incarnation copies the previous one's offset to it.

    The copy keeps its origin (the ghost tells the truth about where it came from),
    so NoCrossIncarnationState sees that the resolve used it.
    """

    @action(Consumer)
    def connect(self, c: Consumer) -> None:
        if self.topic is not None:
            old = self.offset_key(c, self.topic.incarnation - 1)
            new = self.offset_key(c, self.topic.incarnation)
            if self.offsets.contains(old) and not self.offsets.contains(new):
                self.offsets.put(new, self.offsets.get(old), origin=self.offsets.origin(old))
        TopicRecreate.connect.fn(self, c)


def test_no_cross_incarnation_state_catches_offsets_carried_to_a_new_incarnation() -> None:
    result = check_spec(Spec("carried", CarriesOffsetsForward(), holds(), properties=SAFETY))
    assert "NoCrossIncarnationState" in result.violated_properties
    trace = violation(result, "NoCrossIncarnationState").trace
    assert steps(trace)[:len(COMMIT_ONE) + 2] == [*COMMIT_ONE, *RECREATE]
    assert changes(trace.steps[-1])["consumer1.resolved"][1] == Resolve(incarnation=2, offset_from=1)


def test_fix_b_is_immune_to_the_crash_that_breaks_fix_a() -> None:
    """The bounds and the crash that break (a) in 10 steps find nothing in (b)."""
    result = check_spec(Spec("b", OffsetsPerIncarnation(), holds(),
                             faults=[Crash(max=1, roles=("controller",))]))
    assert result.verdict == "holds" and result.warnings == []
