"""Pinned outcomes of the retry-append specs: a timeout after the effect duplicates a
retried append; an idempotency key makes the retry safe. The counterexample is pinned
step by step, and replays on every engine."""

from __future__ import annotations

import pytest

from lifecheck import Fail, Options, Spec, check_spec, holds, violated
from lifecheck.explore.certify import certify
from lifecheck.models.retry_append import IdempotentAppend, RetryAppend
from specs.retry_append import SPECS
from tests.pinned import PinnedSpecs, steps, violation

DUP = frozenset({"NoDuplicate"})
NONE: frozenset[str] = frozenset()

PINNED = {
    "retry-append/retry/failures": ("holds", NONE, 9, 4),
    "retry-append/retry/timeouts": ("violated", DUP, 16, 4),
    "retry-append/idempotency-key/timeouts": ("holds", NONE, 22, 5),
    "retry-append/idempotency-key/crash": ("holds", NONE, 28, 5),
}
PINS = PinnedSpecs(SPECS, PINNED)
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()

DUPLICATED = [
    "client1 append -> store.append timed out after taking effect (timeout), "
    "no reply: send it again",
    "client1 append",
]


def test_the_counterexample_is_the_ambiguous_timeout_then_the_retry():
    v = violation(PINS.result_of("retry-append/retry/timeouts"), "NoDuplicate")
    assert steps(v.trace) == DUPLICATED
    assert v.trace.steps[0].fault == "timeout"


@pytest.mark.parametrize("options", [
    Options(engine="vector"), Options(engine="auto"), Options(workers=2),
    Options(fingerprints=True),
], ids=["vector", "auto", "workers", "fingerprints"])
def test_every_engine_agrees(options):
    for spec in SPECS:
        reference = PINS.result_of(spec.name)
        result = check_spec(spec, options)
        assert (result.verdict, result.stats.distinct_states, result.stats.transitions) == \
            (reference.verdict, reference.stats.distinct_states, reference.stats.transitions)
        assert sorted((v.property, steps(v.trace)) for v in result.violations) == \
            sorted((v.property, steps(v.trace)) for v in reference.violations)


def test_the_timeout_step_is_certified_by_replay():
    spec = next(s for s in SPECS if s.name == "retry-append/retry/timeouts")
    v = violation(PINS.result_of(spec.name), "NoDuplicate")
    certify(spec.system(), v)  # raises Uncertified if the replay does not reproduce it


def test_without_timeouts_no_engine_finds_a_duplicate_and_with_one_it_takes_a_timeout():
    for model in (RetryAppend(), IdempotentAppend()):
        result = check_spec(Spec("x", model, holds(), faults=[Fail(kind="remote", max=3),
                                                             Fail(kind="timeout", max=0)]))
        assert result.verdict == "holds"
    result = check_spec(Spec("x", RetryAppend(), violated("NoDuplicate"),
                             faults=[Fail(kind="remote", max=0), Fail(kind="timeout", max=1)]))
    assert result.matches
