"""The default engine: the bfs explorer while a run is small, the vector engine once it grows.

Neither engine is the faster one everywhere. On a spec of a few thousand states the
vector engine's learning (each step's effect is learned once per combination of the
values it reads) and numpy's cost per call outweigh what it saves, and the bfs
explorer finishes first; past that, learned steps are reused level after level and
the vector engine is several times faster, in 16 bytes per state instead of the
exact states. So a run starts in the bfs explorer, exact, and at the first level
boundary past :data:`HANDOVER_STATES` states (``Options.handover``) where its levels
still widen (:data:`WIDENING`; from :data:`SETTLED_HANDOVER` times as many states,
at any boundary) hands its run over to the vector engine, which goes on from the same
frontier, where a trial on that frontier shows the vector engine's learning repaid
(:data:`TRIAL_STATES`). Where the levels are
thin (a frontier of at most :data:`~lifecheck.explore.vector.memo.SMALL` states: a long
chain, a counter), the vector engine runs steps one state at a time and pays for
encoding each state as a row on top, so the run stays in the bfs explorer until its
frontier widens or it passes ``Options.thin_handover`` states, where the memory of its
exact states starts to weigh.

Both engines number states in the same breadth-first order (successors by source,
then step index) and keep the same parent and step arrays, so the handover moves
the run rather than restarting it: every state found so far is encoded as a row and
fingerprinted into the vector engine's seen-set, the frontier becomes its first
level, and what was found, counted and recorded (violations, coverage, the graph
liveness is checked on) carries over. A run that hands over is reported like any
fingerprinted run, with the chance of a collision.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from lifecheck.contract import Options, TransitionSystem
from lifecheck.explore.bfs import _Run
from lifecheck.explore.checkpoint import load_checkpoint, run_signature
from lifecheck.explore.exploration import Exploration
from lifecheck.explore.search import Search
from lifecheck.explore.vector import VectorRun
from lifecheck.explore.vector import refusal as vector_refusal
from lifecheck.explore.vector.memo import JUDGED_AFTER, SMALL
from lifecheck.modelling.footprint import learner_for

ENGINE = "auto"  # the checkpoint signature of a run in either phase

WIDENING = 1.15
"""How much wider than the level before the newest level must be for a run of fewer
than ``SETTLED_HANDOVER`` times ``Options.handover`` states to hand over. The vector
engine starts with nothing learned and encodes every state found so far, a cost that
only a run with much left to explore repays; a run whose levels no longer widen is
often near its end (on ``specs/``, the lifecycle specs of a few thousand states that
handed over at their widest level took about a tenth longer than in the bfs explorer).
The growth of the levels is the one forecast a breadth-first run has at hand; it
decides only where the run continues, never what it finds."""

SETTLED_HANDOVER = 5
"""From this many times ``Options.handover`` states, a run hands over at the next level
boundary however its levels grow: a long plateau has much left to explore too."""

TRIAL_STATES = 1024
"""How many states of the frontier the vector engine learns the steps of before a run
hands over to it. Where steps read what differs from state to state (a component's
bookkeeping, say), learning is not repaid, and the vector engine then runs steps as
written, as the bfs explorer does, paying for encoding every state as a row on top
(on ``specs/``, a spec that handed over at 2,648 of 6,347 states took a fifth longer
than in the bfs explorer; the component-heavy extraction benchmark two fifths). So the
run hands over only where its first level would not turn so; the steps learned are
kept. A trial decides only where the run continues, never what it finds."""

RETRIAL = 4
"""How many times the states of the run at a trial that failed it must have before it
is tried again: on the component-heavy extraction benchmark (38,458 states) a trial costs
about 0.1 s, and this makes two of them (at 2,353 and 11,480 states)."""


def explore_handing_over(system: TransitionSystem, options: Options,
                         on_state: Callable[[int, Any], None] | None = None) -> Exploration:
    """Explore like :func:`lifecheck.explore.bfs.explore`: in the bfs explorer, then in
    the vector engine once the run has ``options.handover`` states (where the vector
    engine can check the spec, and where fingerprints were not asked for from the start;
    the bfs explorer to the end elsewhere)."""
    if options.fingerprints or vector_refusal(system, options) is not None:
        from lifecheck.explore.bfs import explore

        return explore(system, options, on_state, straight=True)
    if options.checkpoint:
        saved = load_checkpoint(options.checkpoint, run_signature(system, options, ENGINE))
        if saved is not None and saved.get("phase") == "vector":
            return _VectorPhase(system, learner_for(system), options, on_state).run()
    return _BfsPhase(system, options, on_state).run()


class _BfsPhase(_Run):
    """The bfs explorer, exact, until the run is big enough to hand over."""

    ENGINE = ENGINE
    SAVED = (*_Run.SAVED, "phase")

    def __init__(self, system: TransitionSystem, options: Options,
                 on_state: Callable[[int, Any], None] | None) -> None:
        super().__init__(system, options, on_state)
        self.straight_from = options.handover
        self.phase = "bfs"
        assert not self.compact, "the handover needs every state found so far"
        self.trial: _VectorPhase | None = None  # the vector engine, as the last trial left it
        self.next_trial = 0  # the states from which to try again after a trial that failed
        self.passed_at = -1  # the states at the last trial that passed

    def hands_over(self) -> bool:
        count, options = self.count, self.options
        if len(self.frontier) <= SMALL and count < options.thin_handover:
            return False  # (a thin level: bfs is the faster here, see THIN_HANDOVER_STATES)
        if self.stopped or not self.frontier or count < options.handover:
            return False
        if count >= options.thin_handover:
            return True  # (its exact states now weigh: see THIN_HANDOVER_STATES)
        settled = SETTLED_HANDOVER * self.options.handover
        # (else maybe near its end: WIDENING)
        return (self.count >= settled or self.widening()) and self.learning_pays()

    def learning_pays(self) -> bool:
        """Whether the vector engine's learning pays from here, tried on the first states
        of the frontier (enough for the lookups the rule is judged after, and at most
        :data:`TRIAL_STATES`); after a trial that failed, tried again once the run has
        :data:`RETRIAL` times the states (the steps learned are kept, so where the values
        steps read stop growing, a later trial finds them learned)."""
        if self.count < self.next_trial:
            return False
        if self.passed_at == self.count:  # (asked again at the same boundary)
            return True
        if self.trial is None:
            self.trial = _VectorPhase(self.system, learner_for(self.system), self.options,
                                      self.on_state)
        sample = min(TRIAL_STATES, -(-JUDGED_AFTER // max(len(self.trial.tables), 1)))
        try:
            pays = self.trial.learning_pays([state for _, state in self.frontier[:sample]])
        except Exception:  # (a step that fails so fails in this explorer too, which says where)
            self.trial, self.next_trial = None, self.options.thin_handover
            return False
        if pays:
            self.passed_at = self.count
        else:
            self.next_trial = RETRIAL * self.count
        return pays

    def successor(self) -> Search | None:
        return _VectorPhase.taking_over(self) if self.hands_over() else None

    def widening(self) -> bool:
        """Whether the newest level is wider than the one before by :data:`WIDENING`."""
        starts = self.level_starts
        before = starts[-1] - starts[-2] if len(starts) > 1 else 1
        return len(self.frontier) >= WIDENING * before


class _VectorPhase(VectorRun):
    """The vector engine, going on from where the bfs explorer stopped."""

    ENGINE = ENGINE
    SAVED = (*VectorRun.SAVED, "phase")

    def __init__(self, system: TransitionSystem, learner: Any, options: Options,
                 on_state: Callable[[int, Any], None] | None) -> None:
        super().__init__(system, learner, options, on_state)
        self.phase = "vector"

    @classmethod
    def taking_over(cls, bfs: _BfsPhase) -> _VectorPhase:
        run = bfs.trial or cls(bfs.system, learner_for(bfs.system), bfs.options, bfs.on_state)
        run.take_over(bfs)
        return run

    def take_over(self, bfs: _BfsPhase) -> None:
        """Every state, count and finding of ``bfs``, as this engine keeps them."""
        values = self.values
        rows = self.rows_of(bfs.states)
        keys, _ = self.exact_keys(rows, self.key_fingerprints(rows))  # (exact: one key a state)
        order = np.argsort(keys, kind="stable")
        self.seen, self.seen_ids = keys[order], order.astype(np.int64)
        self.parents, self.vias = array("i", bfs.parents), array("I", bfs.via)
        self.count, self.depth = bfs.count, bfs.depth
        self.found, self.sometimes_seen = dict(bfs.found), set(bfs.sometimes_seen)
        self.coverage, self.transitions = dict(bfs.coverage), bfs.transitions
        self.level_starts = list(bfs.level_starts)
        self.complete, self.reason, self.outside = bfs.complete, bfs.reason, bfs.outside
        start = self.level_starts[-1]
        self.frontier = (rows[start:], values.fingerprints(rows[start:]))
        self.started, self.elapsed = bfs.started, bfs.elapsed
        self.resumed_at, self.next_report = bfs.resumed_at, bfs.next_report
        if self.keeps_rows:
            self.keep_rows(rows)
        if self.keeps_graph:
            assert bfs.graph is not None
            self.take_graph(bfs)

    def take_graph(self, bfs: _BfsPhase) -> None:
        """The graph the bfs explorer recorded, as this engine's arrays."""
        graph = bfs.graph
        assert graph is not None
        # One labelling of fairness classes: the steps a trial learned carry this run's
        # ids, so the bfs explorer's are given this run's (a class it has not met, the next).
        ids = self.class_ids
        relabel = np.array([ids.setdefault(unit, len(ids)) for unit in bfs.class_ids], np.int64)
        edges = [(sid, k, tid, cid) for sid, out in enumerate(graph.edges) for k, tid, cid in out]
        if edges:
            src, via, dst, cls = (np.array(col, np.int64) for col in zip(*edges, strict=True))
            fair = cls >= 0
            cls[fair] = relabel[cls[fair]]
            self.edge_parts = [(src, via, dst, cls)]
        enabled = [(sid, cid) for sid, classes in enumerate(graph.enabled) for cid in classes]
        if enabled:
            sids, cids = (np.array(col, np.int64) for col in zip(*enabled, strict=True))
            self.enabled_parts = [(sids, relabel[cids])]
        for name, bits in graph.predicate_bits.items():
            trigger = np.array([t for t, _ in bits], bool)
            goal = np.array([g for _, g in bits], bool)
            self.bit_parts[name] = [(trigger, goal)]
