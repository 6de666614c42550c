"""Pinned outcomes of retrying fsync after EIO (models/fsync_retry.py).

The counts by hand. Without a failed fsync: write, sync, acked: 3 states, depth 2.
With one, after the retry: an EIO in the sync state drops the write (the page cache
falls back to v0) and spends the budget: sync and acked again, 5. The rewrite with 2
failures: write, sync and acked once per budget left (2, 1, 0): 9, depth 6. With a
power loss too the figure (23) is the checker's, not derived here: listed by step
and file contents it is write/v0 6, sync/v1 pending 6, acked 6, and after a power
loss that kept v1, write/v1 3 and sync/v1 clean 2 (a rewrite of v1 over v1 leaves
nothing pending).
"""

from __future__ import annotations

from specs.fsync_retry import SPECS
from tests.pinned import PinnedSpecs, steps, violation

PINNED = {
    "fsync-retry/retry/no-error": ("holds", frozenset(), 3, 2),
    "fsync-retry/retry/eio": ("violated", frozenset({"NoLostAcknowledgedWrite"}), 5, 3),
    "fsync-retry/rewrite/eio": ("holds", frozenset(), 9, 6),
    "fsync-retry/rewrite/eio-and-power-loss": ("holds", frozenset(), 23, 7),
}

PINS = PinnedSpecs(SPECS, PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()


def test_the_retried_fsync_succeeds_and_acknowledges_what_the_eio_dropped() -> None:
    v = violation(result_of("fsync-retry/retry/eio"), "NoLostAcknowledgedWrite")
    assert steps(v.trace) == ["app1 write", "app1 sync -> fs.fsync /data/db: Input/output error "
                              "(eio)", "app1 sync"]
