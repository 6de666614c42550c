"""The explored graph as arrays: compact to keep, and what compiled graph code reads.

Liveness reads the graph state by state (``graph.edges[s]``, ``graph.enabled[s]``)
and finds its strongly connected components from arrays. The bfs explorer appends to
Python lists as it goes; the vector explorer records arrays and keeps them as
:class:`Rows` (compressed sparse rows: an offset per state into flat arrays), a few
bytes per step instead of a tuple per step. Both read the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lifecheck.explore.ordering import stable_order


class Rows:
    """Per state, a run of records in flat arrays (``columns``), sorted by state.

    ``rows[s]`` gives state ``s``'s records as tuples (or, with one column, as a
    frozenset of its values), as the list-of-lists form gives them.
    """

    def __init__(self, n: int, owner: np.ndarray, columns: tuple[np.ndarray, ...],
                 as_set: bool = False) -> None:
        self.offsets = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(owner, minlength=n), out=self.offsets[1:])
        self.columns = columns
        self.as_set = as_set

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, s: int) -> Any:
        lo, hi = int(self.offsets[s]), int(self.offsets[s + 1])
        if self.as_set:
            return frozenset(self.columns[0][lo:hi].tolist())
        return list(zip(*(c[lo:hi].tolist() for c in self.columns), strict=True))

    def owners(self) -> np.ndarray:
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))


def by_source(src: np.ndarray, via: np.ndarray) -> np.ndarray:
    """The order that sorts steps by source, then step index: one sort of a combined key
    (a step is one (source, index) pair, so no two keys tie), several times faster than
    ``np.lexsort`` on millions of steps."""
    if not len(src):
        return np.empty(0, np.int64)
    width = int(via.max()) + 1
    return stable_order(src.astype(np.int64) * width + via.astype(np.int64))


class GraphArrays:
    """The whole graph as flat arrays, for searches that take a level or a component at
    a time in numpy instead of a state at a time: per state, its steps (step index,
    target, class; in the order ``graph.edges[s]`` gives them) and its enabled fair
    classes, each a run starting at the state's offset."""

    def __init__(self, edges: Any, enabled: Any) -> None:
        if isinstance(edges, Rows):
            self.offsets = edges.offsets
            self.via, self.dst, self.cls = (np.asarray(c, np.int64) for c in edges.columns)
        else:
            self.offsets = _offsets([len(out) for out in edges])
            self.via, self.dst, self.cls = (
                np.array([step[i] for out in edges for step in out], np.int64) for i in range(3))
        if isinstance(enabled, Rows):
            self.enabled_offsets = enabled.offsets
            self.enabled = np.asarray(enabled.columns[0], np.int64)
        else:
            self.enabled_offsets = _offsets([len(classes) for classes in enabled])
            self.enabled = np.array([c for classes in enabled for c in classes], np.int64)
        self.width = max(int(self.enabled.max(initial=-1)), int(self.cls.max(initial=-1))) + 1

    def sources(self) -> np.ndarray:
        """The source of every step."""
        return np.repeat(np.arange(len(self.offsets) - 1, dtype=np.int64), np.diff(self.offsets))

    def steps_of(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the steps of ``states`` are (state by state, in order) and whose they are."""
        return _runs(self.offsets, states)

    def enabled_of(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the enabled classes of ``states`` are, and the place in ``states`` of each."""
        at, _ = _runs(self.enabled_offsets, states)
        counts = self.enabled_offsets[states + 1] - self.enabled_offsets[states]
        return at, np.repeat(np.arange(len(states), dtype=np.int64), counts)


def _offsets(counts: list[int]) -> np.ndarray:
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(np.array(counts, np.int64), out=offsets[1:])
    return offsets


def _runs(offsets: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the runs of ``states`` (one after another), and each one's state."""
    lo = offsets[states]
    counts = offsets[states + 1] - lo
    total = int(counts.sum())
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return starts + np.arange(total, dtype=np.int64), np.repeat(states, counts)
