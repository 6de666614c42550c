"""One vector run: start, level after level, checkpoints, and the exploration it ends with."""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from lifecheck.contract import Options
from lifecheck.errors import EngineRefused, ModelError
from lifecheck.explore.checks import Checks, Found, state_bound, unhashable
from lifecheck.explore.exploration import Exploration, path_key
from lifecheck.explore.search import Search
from lifecheck.explore.vector.admit import Admission
from lifecheck.explore.vector.constrain import Constraining
from lifecheck.explore.vector.exact import Exactness
from lifecheck.explore.vector.expand import Expansion
from lifecheck.explore.vector.graph import GraphRecording
from lifecheck.explore.vector.memo import (
    CHUNK,
    SMALL,
    Predicate,
    StepTable,
    ValueIds,
)
from lifecheck.explore.vector.orbits import Reducing
from lifecheck.explore.vector.truth import Learning
from lifecheck.modelling.footprint import Learner, learner_for
from lifecheck.modelling.straight import straight_predicates, straight_successors


def refusal(system: Any, options: Options) -> str | None:
    """Why the vector explorer cannot run this check (None when it can)."""
    from lifecheck.modelling.compile import ModelSystem

    if not isinstance(system, ModelSystem):
        return (f"it learns steps of models written with the modelling API (lifecheck.Model), "
                f"and {type(system).__name__} is not one")
    if options.workers > 1 or options.ray:
        return "it runs in one process"
    return None


def explore_vector(system: Any, options: Options,
                   on_state: Callable[[int, Any], None] | None = None) -> Exploration:
    """Explore like :func:`lifecheck.explore.bfs.explore`, a level at a time with learned steps."""
    why = refusal(system, options)
    if why is not None:
        raise EngineRefused(f"the vector engine cannot check this spec: {why}; use --engine bfs "
                            "(or --engine auto, which uses it only where it can)")
    return VectorRun(system, learner_for(system), options, on_state).run()


class VectorRun(Learning, Expansion, Admission, GraphRecording, Exactness, Constraining, Reducing,
                Search):
    """One vector run (see :class:`~lifecheck.explore.search.Search`)."""

    ENGINE = "vector"
    VALUES: type[ValueIds] = ValueIds  # how values are interned and coded
    SAVED = ("values", "tables", "predicates", "seen", "recent", "parents", "vias", "count",
             "found", "sometimes_seen", "coverage", "transitions", "level_starts", "complete",
             "reason", "depth", "looked_up", "learned", "direct", "direct_wide", "frontier",
             "class_ids",
             "seen_ids", "edge_parts", "enabled_parts", "bit_parts", "kept", "salted", "salted_keys",
             "outside")

    def __init__(self, system: Any, learner: Learner, options: Options,
                 on_state: Callable[[int, Any], None] | None) -> None:
        self.system, self.learner, self.options, self.on_state = system, learner, options, on_state
        self.bounds = options.bounds
        self.started = time.perf_counter()
        self.values = self.VALUES(len(learner.columns))
        self.tables = [StepTable(self.values) for _ in learner.steps]
        # Steps run one state at a time (thin levels), and properties, as translated code.
        self.successors = straight_successors(system)
        self.checks = Checks(system, straight_predicates(system))
        self.start_graph()
        self.start_constraints()
        self.start_symmetry()
        self.start_exactness()
        self.predicates = {name: Predicate(self.values)
                           for name in [*learner.predicates, *learner.transition_checks]}
        # The seen-set: a sorted array of fingerprints, and a small set of the latest
        # ones (merged in when it grows), so that a level of one state costs no copy.
        self.seen = np.empty(0, np.uint64)
        self.recent: set[int] = set()
        self.parents = array("i")
        self.vias = array("I")
        self.count = 0
        self.found: dict[str, Found] = {}
        self.sometimes_seen: set[str] = set()
        self.coverage: dict[str, int] = {name: 0 for name in system.actions()}
        self.transitions = 0
        self.level_starts = [0]
        self.complete, self.reason, self.stopped = True, "", False
        self.depth = 0
        self.next_report = self.started + options.progress_every
        # Learning pays when steps are reused. On the few-row path, where numpy's cost per
        # call weighs, steps are run as written once more than one lookup in 50 has to
        # learn (``direct``); on wide levels, where a learned step is also run a second
        # time to confirm it, once more than one in RUN_AS_WRITTEN does (``direct_wide``):
        # both then cost what they cost the bfs explorer.
        self.looked_up = 0
        self.learned = 0
        self.direct = False
        self.direct_wide = False
        self.frontier: tuple[np.ndarray, np.ndarray] = (np.empty((0, 0), np.int32),
                                                        np.empty(0, np.uint64))
        self.elapsed = 0.0  # seconds spent by the runs this one resumes
        self.resumed_at = 0
        self.sign()


    # -- where things are ----------------------------------------------------------------

    def path(self, sid: int) -> list[int]:
        return path_key(self.parents, self.vias, sid)

    def locate(self, exc: ModelError, sid: int) -> ModelError:
        return exc.at(self.path(sid))

    def locate_step(self, exc: ModelError, sid: int, via: int) -> ModelError:
        """``exc`` located at step ``via`` out of state ``sid``."""
        return exc.at([*self.path(sid), via])


    # -- learning ------------------------------------------------------------------------

    def pending(self) -> bool:
        return bool(len(self.frontier[0]))

    def advance(self, until: float | None) -> None:
        if ((self.direct and len(self.frontier[0]) <= SMALL) or self.direct_wide) and \
                not self.checks.transitions and not self.keeps_rows and not self.constrained:
            self.thin(until)
            return
        out = self.level(*self.frontier)
        self.frontier = (np.concatenate([r for r, _ in out]) if out else self.frontier[0][:0],
                         np.concatenate([f for _, f in out]) if out else self.frontier[1][:0])

    def frontier_size(self, pending: int) -> int:
        return max(pending, 0)

    def start(self) -> None:
        rows = []
        for state in self.system.init_states():
            try:
                rows.append([self.values.intern(c, v) for c, v in enumerate(self.learner.encode(state))])
            except TypeError as exc:
                raise unhashable(exc, "the initial state") from None
        init = np.array(rows, np.int32).reshape(len(rows), len(self.learner.columns))
        fps = self.values.fingerprints(init)
        keys, _ = self.exact_keys(init, self.key_fingerprints(init))
        _, first = np.unique(keys, return_index=True)
        keep = np.sort(first)
        if self.bounds.max_states is not None and len(keep) > self.bounds.max_states:
            self.complete, self.reason = False, state_bound(self.bounds.max_states)
            keep = keep[:self.bounds.max_states]
        order = np.argsort(keys[keep], kind="stable")
        self.seen, self.seen_ids = keys[keep][order], order.astype(np.int64)
        self.record(len(keep), np.full(len(keep), -1, np.int64), keep.astype(np.int64))
        self.frontier = (init[keep], fps[keep])
        self.check_states(init[keep], 0)

    def level(self, frontier: np.ndarray, fps: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        bounds = self.bounds
        at_bound = bounds.max_depth is not None and self.depth >= bounds.max_depth
        base = self.level_starts[-1]
        self.level_starts.append(self.count)
        out: list[tuple[np.ndarray, np.ndarray]] = []
        for lo in range(0, len(frontier), CHUNK):
            out.append(self.expand(frontier[lo:lo + CHUNK], fps[lo:lo + CHUNK], base + lo, at_bound))
            if self.must_stop(sum(len(o) for o, _ in out) + len(frontier) - lo - CHUNK):
                break
        if sum(len(o) for o, _ in out):
            self.depth += 1
        return out

    def finish(self) -> Exploration:
        if self.level_starts[-1] == self.count:
            self.level_starts.pop()
        self.merge_recent()
        parents, via = self.parents, self.vias
        stored = (self.seen.nbytes + parents.itemsize * len(parents) + via.itemsize * len(via)
                  if self.options.measure_memory else 0)
        graph = self.recorded_graph() if self.keeps_graph else None
        if self.keeps_rows and self.options.measure_memory:
            stored += self.seen_ids.nbytes + self.kept.nbytes
        if graph is not None and self.options.measure_memory:
            stored += sum(a.nbytes for part in self.edge_parts for a in part)
        return Exploration(self.kept_states() if self.keeps_rows else [], parents, via,
                           self.level_starts, self.found, self.transitions,
                           self.depth, self.elapsed + time.perf_counter() - self.started,
                           self.coverage,
                           self.complete, self.reason, self.sometimes_seen, graph, stored,
                           self.resumed_at,
                           self.count, not self.exact, outside=self.outside)
