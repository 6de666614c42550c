"""Pinned outcomes of two-phase commit when its coordinator dies (models/two_phase_blocking.py).

The counts by hand. Without faults: 9 states before the decision (each participant
working, prepared or aborted: every pair of the three), 4 after a commit (each
prepared participant has learnt it or not) and 3 after an abort (prepared-aborted,
aborted-prepared, both aborted): 16. A crash or a
stop of the coordinator changes none of its fields (its decision is durable) and
every state of the 16 can be hit, after which the participants go on as far as they
can: 16 more. A stop only once the coordinator decided: the 7 decided states, 23.
"""

from __future__ import annotations

from specs.two_phase_blocking import SPECS
from tests.pinned import PinnedSpecs, steps, violation

PINNED = {
    "two-phase-blocking/no-fault": ("holds", frozenset(), 16, 5),
    "two-phase-blocking/coordinator-crashes": ("holds", frozenset(), 32, 6),
    "two-phase-blocking/coordinator-stops": ("violated", frozenset({"Deadlock", "AllDecided"}),
                                             32, 6),
    "two-phase-blocking/coordinator-stops-after-deciding": ("holds", frozenset(), 23, 6),
}

PINS = PinnedSpecs(SPECS, PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()


def test_the_participants_block_once_prepared_and_the_coordinator_stopped() -> None:
    result = result_of("two-phase-blocking/coordinator-stops")
    for prop in ("Deadlock", "AllDecided"):
        trace = violation(result, prop).trace
        assert steps(trace) == ["participant1 prepare", "participant2 prepare", "coordinator1 stop"]
    assert violation(result, "AllDecided").trace.stutter  # nothing fair is left: forever
    assert "Consistent" not in result.violated_properties
