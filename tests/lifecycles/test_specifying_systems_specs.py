"""Pinned outcomes of the hour clock and the FIFO buffer (specs/specifying_systems.py).

The counts by hand. The hour clock: every hour is an initial state and a tick leads
to another, 12 states at depth 0 (TLC's figure for ``HourClock``: 12 distinct
states). The FIFO buffer, 2 data values and at most 2 queued: the output channel is
in any of its 8 states (value, rdy, ack) throughout, and the input channel is tied
to the queue. When a value waits on it (rdy # ack) it is free: 4 states. When none
waits, its value is the last one the buffer took: the end of a non-empty queue (2
states, rdy free), and with an empty queue either nothing was ever taken (4 input
states, the output idle: 4) or the last value taken was also the last one sent on,
so it is the output's value (4 input states, the output's rdy and ack free: 4), the
idle output with that value in both: 24. Empty queue: 24 + 4 * 8 = 56; one value:
2 * (2 + 4) * 8 = 96; two: 4 * 6 * 8 = 192; 344 in all.
"""

from __future__ import annotations

from specs.specifying_systems import SPECS
from tests.pinned import PinnedSpecs

PINNED = {
    "specifying-systems/hour-clock": ("holds", frozenset(), 12, 0),
    "specifying-systems/inner-fifo": ("holds", frozenset(), 344, 8),
}

PINS = PinnedSpecs(SPECS, PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()


def test_the_constraint_checks_the_steps_that_queue_a_third_value_and_goes_no_further() -> None:
    """Each state with 2 queued (4 queues) and a value waiting on the input (4 input
    states, 8 output states) has one buf_rcv that queues a third: 128 steps leave."""
    result = result_of("specifying-systems/inner-fifo")
    assert result.stats.outside == 128
