"""A vector worker's share of the graph that liveness is checked on, in a team run.

A vector worker records what one vector run records for liveness
(:mod:`lifecheck.explore.vector.graph`: the fairness classes enabled in each state,
each liveness property's trigger and goal, each kept state's row), but a step's target
may be owned by another worker, which alone knows the id it gave it. So a step is
recorded against its target's seen-set key (its fingerprint, 8 bytes), and once the
run is complete each worker asks every owner, once per distinct key, for the id it
holds that key under: one exchange for the whole run, through the coordinator
(:func:`lifecheck.explore.team_liveness.with_liveness`). The shares then read as a bfs
worker's (:class:`lifecheck.explore.team_graph.PartitionGraph`) do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lifecheck.explore.ordering import sorted_distinct
from lifecheck.explore.team_graph import compact
from lifecheck.explore.vector.hashing import in_sorted

_EMPTY = np.empty(0, np.int64)


class PartitionGraphing:
    """The part of a vector worker that records its share of the graph."""

    def start_partition_graph(self) -> None:
        self.step_parts: list[tuple[np.ndarray, ...]] = []  # (source, step index, class, key)
        self.owned_keys: list[np.ndarray] = []  # the seen-set key of each owned state, in order
        self.asked: list[np.ndarray] = []  # per owner: the distinct keys asked of it
        self.answered: list[np.ndarray] = []  # per owner: the id it holds each of them under

    def note_steps(self, src: np.ndarray, via: np.ndarray, classes: np.ndarray,
                   keys: np.ndarray) -> None:
        """Steps to kept states (of whichever owner), by their targets' seen-set keys."""
        if self.keeps_graph and len(src):
            self.step_parts.append((src.astype(np.int64), via.astype(np.int64),
                                    classes.astype(np.int64), keys.astype(np.uint64)))

    def graph_bytes(self) -> int:
        """What the recording keeps: steps, enabled classes, property bits, keys, rows."""
        if not self.keeps_graph:
            return 0
        parts = [*self.step_parts, *self.enabled_parts, self.owned_keys,
                 *(pair for pairs in self.bit_parts.values() for pair in pairs)]
        return self.kept.nbytes + sum(a.nbytes for part in parts for a in part)

    def note_owned(self, keys: np.ndarray) -> None:
        if self.keeps_graph:
            self.owned_keys.append(keys.astype(np.uint64))

    def _steps(self) -> tuple[np.ndarray, ...]:
        if not self.step_parts:
            return _EMPTY, _EMPTY, _EMPTY, np.empty(0, np.uint64)
        if len(self.step_parts) > 1:  # (joined once: asked for, then shared)
            self.step_parts = [tuple(np.concatenate(c) for c in zip(*self.step_parts, strict=True))]
        return self.step_parts[0]

    def asks(self) -> list[np.ndarray]:
        """Per owner, the distinct keys of this worker's steps' targets that it owns."""
        keys = sorted_distinct(self._steps()[3])
        owners = self.owner(keys)
        self.asked = [keys[owners == w] for w in range(self.workers)]
        return self.asked

    def lookup(self, asked: list[np.ndarray]) -> list[np.ndarray]:
        """Per sender, the id this worker holds each key it asked under (-1: never kept,
        as past a bound)."""
        owned = np.concatenate(self.owned_keys) if self.owned_keys else np.empty(0, np.uint64)
        order = np.argsort(owned, kind="stable")
        ordered = owned[order]
        out = []
        for keys in asked:
            hit, at = in_sorted(ordered, keys)
            ids = np.full(len(keys), -1, np.int64)
            ids[hit] = order[at[hit]]
            out.append(ids)
        return out

    def answers(self, ids: list[np.ndarray]) -> None:
        self.answered = ids

    def graph_share(self) -> dict[str, Any]:
        """This worker's share, as :meth:`PartitionGraph.share` gives a bfs worker's."""
        src, via, cls, keys = self._steps()
        owner = self.owner(keys)
        target = np.full(len(keys), -1, np.int64)
        for w, (asked, ids) in enumerate(zip(self.asked, self.answered, strict=True)):
            mine = owner == w
            if mine.any():
                target[mine] = ids[np.searchsorted(asked, keys[mine])]
        keep = target >= 0
        if self.enabled_parts:
            sids = np.concatenate([s for s, _ in self.enabled_parts])
            classes = np.concatenate([c for _, c in self.enabled_parts])
        else:
            sids, classes = _EMPTY, _EMPTY
        refs = np.frombuffer(self.refs, np.int64) if len(self.refs) else _EMPTY
        parents = np.stack((np.where(refs < 0, -1, refs % self.workers),
                            np.where(refs < 0, -1, refs // self.workers)), axis=1)
        bits = {}
        for p in self.liveness:
            parts = self.bit_parts.get(p.name, [])
            bits[p.name] = ((np.concatenate([t for t, _ in parts]), np.concatenate([g for _, g in parts]))
                            if parts else (np.empty(0, bool), np.empty(0, bool)))
        return {"classes": list(self.class_ids),
                "steps": tuple(compact(c[keep]) for c in (src, via, cls, owner, target)),
                "enabled": (sids.astype(np.int64), classes.astype(np.int64)),
                "bits": bits, "parents": parents,
                "via": np.frombuffer(self.vias, np.uint32).astype(np.int64)}

    def states_of(self, sids: list[int]) -> list[Any]:
        rows = self.kept.rows()
        return [self.learner.decode(self.values.row(rows[sid])) for sid in sids]
