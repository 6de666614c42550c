"""A team's levels in the order one process would reach them.

The reference explorer numbers a level's states as it first reaches them, expanding the
level before in its order and each state's steps in order. So a state's place in its
level follows from its bfs parent's place there and the step taken: the smallest
(parent rank, step index) among the steps that reach it. A team keeps that order
without any process holding the whole level:

* each worker keeps its share of a level in rank order, with each state's rank;
* a sender tags each successor with its key, :func:`key` (parent rank, step); a
  successor it reaches twice goes once, with its smaller key;
* an owner keeps, of each state it has never seen, the sender with the smallest key.
  That is its bfs parent, so the parent references, the member of an orbit kept under
  symmetry, and so the counterexamples, are the reference's;
* the coordinator merges the owners' sorted keys into the level's ranks (8 bytes a new
  state each way) and, under a state bound, admits only the ranks below what is left
  of the bound: the first N states in breadth-first order, as one process admits them.

Violations are ordered by (depth, key): the key of the step that broke the property, or
of the step that first reached the state that breaks it (a deadlock: the key of the
state's own rank). That is the order in which the reference meets them, so the team
keeps the very violation the reference reports, and lists the violations in the order
the reference reports them (:func:`in_reference_order`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lifecheck.contract import ALWAYS

STEP_BITS = 32  # a step index fits 32 bits (it is stored as such everywhere)


def key(rank: int, step: int) -> int:
    """Where a step out of the state ranked ``rank`` comes in its level's expansion
    (initial states: rank 0, their index among the initial states)."""
    return rank << STEP_BITS | step


def keys(ranks: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """:func:`key` for arrays."""
    return (ranks.astype(np.uint64) << np.uint64(STEP_BITS)) | steps.astype(np.uint64)


def rank_level(offers: list[np.ndarray], budget: int | None) -> tuple[list[np.ndarray], bool]:
    """The ranks in the level of each owner's new states (``offers``: each owner's keys,
    sorted), cut to the first ``budget`` of the level; and whether any state was cut.
    No two states share a key: a step out of a state reaches one state."""
    every = np.sort(np.concatenate(offers)) if offers else np.empty(0, np.uint64)
    ranks = [np.searchsorted(every, np.asarray(o, np.uint64)).astype(np.int64) for o in offers]
    if budget is None or len(every) <= budget:
        return ranks, False
    return [r[r < budget] for r in ranks], True


def in_reference_order(found: dict[str, Any], properties: list[str]) -> dict[str, Any]:
    """The violations (:class:`~lifecheck.explore.checks.Found`) in the order the
    reference reports them: by depth, a step's before a state's (a step's source is in
    the level before), by the rank of the state where each was met, then as the
    reference met them there (a state's invariants as it is reached, its deadlock as it
    is expanded; a step's transition properties before the invariants of the state it
    reaches; properties met together in the order they are declared)."""
    place = {name: i for i, name in enumerate(properties)}

    def reported(f: Any) -> tuple[int, ...]:
        step = f.order & ((1 << STEP_BITS) - 1)
        last = place.get(f.property, len(place))
        if f.step_index is None:
            return (f.depth, 1, f.rank, f.kind == "deadlock", last)
        return (f.depth, 0, f.rank, step, f.kind == ALWAYS, last)

    return {f.property: f for f in sorted(found.values(), key=reported)}
