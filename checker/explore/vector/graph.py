"""The explored graph of a vector run, for liveness: kept as arrays, level by level.

Liveness is decided on the whole graph (:mod:`lifecheck.explore.liveness`), so a
run that checks it records, beside the tree of first parents every run keeps, every
step between kept states (source, step index, target, fairness class), the fairness
classes enabled in each state (failed steps and steps past a bound included, as the
bfs explorer counts them), the truth of each liveness property's trigger and goal
per state (learned like any property), and each state's row, so that the states of
a lasso can be shown. A step's target is found by its fingerprint: beside the
sorted seen-set the run then keeps the id of each fingerprint.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from lifecheck.explore.exploration import Graph
from lifecheck.explore.graph_arrays import Rows, by_source
from lifecheck.explore.ordering import sorted_distinct
from lifecheck.modelling.footprint import trigger_of


class GraphRecording:
    """The part of a vector run that records the graph liveness is checked on."""

    def start_graph(self) -> None:
        system, options = self.system, self.options
        self.liveness = ([p for p in system.properties if p.is_liveness]
                         if options.check_liveness else [])
        self.keeps_graph = bool(self.liveness) or options.record_graph
        self.fairness = system.fairness() if self.keeps_graph else None
        self.class_ids: dict[Hashable, int] = {}
        self.seen_ids = np.empty(0, np.int64)  # the state id of each fingerprint in self.seen
        self.edge_parts: list[tuple[np.ndarray, ...]] = []  # (source, step index, target, class)
        self.enabled_parts: list[tuple[np.ndarray, np.ndarray]] = []  # (state, class)
        self.bit_parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}  # (trigger, goal)

    def class_of(self, step: Any) -> int:
        """The id of the fairness class ``step`` belongs to (-1: none, or no graph kept)."""
        if self.fairness is None:
            return -1
        unit = self.fairness.classify(step)
        if unit is None:
            return -1
        return self.class_ids.setdefault(unit, len(self.class_ids))

    def note_enabled(self, sids: np.ndarray, classes: np.ndarray) -> None:
        fair = classes >= 0
        if fair.any():
            self.enabled_parts.append((sids[fair].astype(np.int64), classes[fair]))

    def classes_of(self, ks: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """The fairness class of each (step instance, transition): one lookup in the
        instances' class arrays laid end to end."""
        for table in self.tables:
            table.arrays()
        sizes = np.array([len(table.cls) for table in self.tables], np.int64)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        flat = np.concatenate([table.cls for table in self.tables])
        return flat[starts[ks] + ts]

    def note_edges(self, src: np.ndarray, via: np.ndarray, dst: np.ndarray,
                   classes: np.ndarray) -> None:
        keep = dst >= 0  # a step into a state a bound kept out leads to no kept state
        self.edge_parts.append((src[keep].astype(np.int64), via[keep].astype(np.int64),
                                dst[keep], classes[keep]))

    def note_states(self, rows: np.ndarray, sid0: int) -> None:
        """Rows ``sid0``.. were kept: label them with each liveness property's truth."""
        for p in self.liveness:
            goal = self.truth(p.name, rows, lambda r: sid0 + r)
            trigger = (self.truth(trigger_of(p.name), rows, lambda r: sid0 + r)
                       if p.trigger is not None else np.zeros(len(rows), bool))
            self.bit_parts.setdefault(p.name, []).append((trigger, goal))

    def seen_with_ids(self, fps: np.ndarray, ids: np.ndarray) -> None:
        """Merge fingerprints ``fps`` of states ``ids`` into the sorted seen-set."""
        merged = np.concatenate((self.seen, fps))
        merged_ids = np.concatenate((self.seen_ids, ids))
        order = np.argsort(merged, kind="stable")
        self.seen, self.seen_ids = merged[order], merged_ids[order]

    def recorded_graph(self) -> Graph:
        """The graph as :mod:`lifecheck.explore.liveness` reads it."""
        n = self.count
        graph = Graph()
        src, via, dst, cls = (np.concatenate(col) if col else np.empty(0, np.int64)
                              for col in zip(*self.edge_parts, strict=True)) \
            if self.edge_parts else (np.empty(0, np.int64),) * 4
        order = by_source(src, via)
        graph.edges = Rows(n, src[order], (via[order], dst[order], cls[order]))
        if self.enabled_parts:
            states = np.concatenate([s for s, _ in self.enabled_parts])
            classes = np.concatenate([c for _, c in self.enabled_parts])
            width = max(len(self.class_ids), 1)
            pairs = sorted_distinct(states * width + classes)
            graph.enabled = Rows(n, pairs // width, (pairs % width,), as_set=True)
        else:
            graph.enabled = Rows(n, np.empty(0, np.int64), (np.empty(0, np.int64),), as_set=True)
        assert self.fairness is not None
        graph.name_classes(self.class_ids, self.fairness.is_strong)
        for name, parts in self.bit_parts.items():
            trigger = np.concatenate([t for t, _ in parts]).tolist()
            goal = np.concatenate([g for _, g in parts]).tolist()
            graph.predicate_bits[name] = list(zip(trigger, goal, strict=True))
        for p in self.liveness:
            graph.predicate_bits.setdefault(p.name, [])
        return graph

    def kept_states(self) -> RowStates:
        return RowStates(self.kept.rows(), self.values, self.learner)


class RowStates:
    """The kept states as rows, decoded one at a time where a lasso shows them."""

    def __init__(self, rows: np.ndarray, values: Any, learner: Any) -> None:
        self.rows, self.values, self.learner = rows, values, learner

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, sid: int) -> tuple:
        return self.learner.decode(self.values.row(self.rows[sid]))
