"""The spec's state and action constraints on a vector run, with the bfs explorer's semantics.

A step out of the constraints is taken and checked (its failure and the transition
properties across it, as every step is; the invariants and ``sometimes`` properties of
the state it reaches, here), but that state is neither kept nor explored nor counted
(:mod:`lifecheck.modelling.constraint`). The constraints are learned like properties:
the state constraint on each successor row, the action constraint on each (source,
successor) pair, and the action constraint only where the state constraint holds, as
the bfs explorer asks them in turn.

An invariant broken both in a state out of the constraints and in a new state kept at
the same level is reported where the bfs explorer meets it first: at the earlier of
the two steps (by source state, then step index).
"""

from __future__ import annotations

import numpy as np

from lifecheck.contract import ALWAYS
from lifecheck.explore.checks import Found, does_not_hold
from lifecheck.modelling.footprint import ACTION_CONSTRAINT, STATE_CONSTRAINT

# Per invariant, the first step (source state, step index) into a state out of the
# constraints that breaks it.
Rivals = dict[str, tuple[int, int]]


class Constraining:
    """The part of a vector run that applies the spec's constraints."""

    def start_constraints(self) -> None:
        self.constrained = getattr(self.system, "constraint", None) is not None
        self.outside = 0  # steps into states out of the constraints (checked, not kept)

    def within(self, rows: np.ndarray, sid0: int, parents: np.ndarray, ks: np.ndarray,
               ts: np.ndarray, vias: np.ndarray) -> tuple[np.ndarray, Rivals]:
        """Which candidate steps stay inside the constraints; the ones that leave are
        checked here. Candidates are in the bfs explorer's order."""
        after = self.build(rows, parents, ks, ts)
        inside = np.ones(len(parents), bool)

        def source(r: int) -> int:
            return sid0 + int(parents[r])

        if STATE_CONSTRAINT in self.predicates:
            inside &= self.truth(STATE_CONSTRAINT, after, source)
        if ACTION_CONSTRAINT in self.predicates:
            asked = np.nonzero(inside)[0]
            pairs = np.hstack((rows[parents[asked]], after[asked]))

            def where(r: int) -> tuple[int, int, object]:
                at = int(asked[r])
                return source(at), int(vias[at]), self.tables[int(ks[at])].steps[int(ts[at])]

            inside[asked] = self.truth_across(ACTION_CONSTRAINT, pairs, where)
        rivals: Rivals = {}
        out = np.nonzero(~inside)[0]
        if not len(out):
            return inside, rivals
        self.outside += len(out)
        left = after[out]
        for p in self.checks.invariants:
            bad = np.nonzero(~self.truth(p.name, left, lambda r: source(int(out[r]))))[0]
            if len(bad):
                first = int(out[bad[0]])
                rivals[p.name] = (source(first), int(vias[first]))
        for p in self.checks.sometimes:
            if p.name not in self.sometimes_seen and \
                    self.truth(p.name, left, lambda r: source(int(out[r]))).any():
                self.sometimes_seen.add(p.name)
        return inside, rivals

    def note_rival(self, name: str, rivals: Rivals) -> None:
        sid, via = rivals[name]
        prop = next(p for p in self.checks.invariants if p.name == name)
        self.note(Found(name, ALWAYS, does_not_hold(prop), sid, via))
