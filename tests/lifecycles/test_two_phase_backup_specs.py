"""Pinned outcomes of two-phase commit with a backup coordinator (models/two_phase_backup.py).

The counts by hand. While the coordinator runs: the 16 states of two-phase commit
without faults (tests/lifecycles/test_two_phase_blocking_specs.py). Once it has
stopped and before the backup takes over, participants only vote: the same 16. After
the takeover: a logged commit keeps its 4 states (each participant learnt it or not),
a logged abort its 3, and no decision gives an abort under which each participant is
working, prepared or aborted: 9; 16 in all, 48 together. A crash changes no field
(everything is durable) but spends its budget: every state twice, 96. The blind
backup aborts even after a logged commit, so there each participant is committed
(learnt before the stop), prepared or aborted: 9 pairs where the reading backup had 4,
53.
"""

from __future__ import annotations

from specs.two_phase_backup import SPECS
from tests.pinned import PinnedSpecs, steps, violation

PINNED = {
    "two-phase-backup/coordinator-stops": ("holds", frozenset(), 48, 7),
    "two-phase-backup/coordinator-crashes-then-stops": ("holds", frozenset(), 96, 8),
    "two-phase-backup/backup-aborts-blindly": ("violated", frozenset({"Consistent"}), 53, 7),
}

PINS = PinnedSpecs(SPECS, PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()


def test_the_backup_that_skips_the_log_aborts_after_a_commit_was_learnt() -> None:
    trace = violation(result_of("two-phase-backup/backup-aborts-blindly"), "Consistent").trace
    assert steps(trace) == ["participant1 prepare", "participant2 prepare", "coordinator1 decide",
                            "participant1 learn", "coordinator1 stop", "backup1 take_over",
                            "participant2 learn"]

