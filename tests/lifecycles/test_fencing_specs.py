"""Pinned outcomes of the fencing-token specs (models/fencing.py): a lock holder paused past
its lease writes after the next holder, unless the store fences writes by token."""

from __future__ import annotations

from lifecheck import Pause, Spec, check_spec, holds, violated
from lifecheck.models.fencing import FencedLock, LeasedLock
from lifecheck.replay import replay
from specs.fencing import SPECS
from tests.pinned import PinnedSpecs, steps, violation

PINNED = {
    "fencing/lease-only/no-pause": ("holds", frozenset(), 91, 8),
    "fencing/lease-only/pause": ("violated", frozenset({"NoStaleWrite"}), 488, 10),
    "fencing/tokens/pause": ("holds", frozenset(), 488, 10),
    "fencing/tokens/pause-and-crash": ("holds", frozenset(), 1766, 13),
}

PINS = PinnedSpecs(SPECS, PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()


def test_the_stale_write_follows_a_pause_past_the_lease() -> None:
    trace = violation(result_of("fencing/lease-only/pause"), "NoStaleWrite").trace
    assert steps(trace) == ["client1 acquire", "env tick", "client1 pause", "env tick",
                            "client2 acquire", "client2 write", "client1 resume", "client1 write"]
    assert trace.steps[2].fault == "pause" and trace.steps[6].fault == ""


def test_the_fenced_store_refuses_the_late_write() -> None:
    buggy = violation(result_of("fencing/lease-only/pause"), "NoStaleWrite").trace
    fenced = Spec("fenced", FencedLock(), holds(), faults=[Pause(max=1)]).system()
    trace, last = replay(fenced, buggy.replay)  # the same steps against the fenced store
    assert steps(trace)[-1] == "client1 write -> the store refuses token 1"
    assert fenced.describe(last)["writes"] == (2,)


def test_a_longer_lease_outlasts_no_pause() -> None:
    # However long the lease, a pause of unbounded length outlives it.
    result = check_spec(Spec("long", LeasedLock(lease=3, horizon=5), violated("NoStaleWrite"),
                             faults=[Pause(max=1)]))
    assert result.matches, result.violated_properties
