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
    return np.argsort(src.astype(np.int64) * width + via.astype(np.int64))


def edge_arrays(edges: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every step of the graph as arrays: source, target, fairness class."""
    if isinstance(edges, Rows):
        return edges.owners(), edges.columns[1], edges.columns[2]
    src = [s for s, out in enumerate(edges) for _ in out]
    dst = [t for out in edges for _, t, _ in out]
    cls = [c for out in edges for _, _, c in out]
    return (np.array(src, np.int64), np.array(dst, np.int64), np.array(cls, np.int64))
