"""Keys that collide on purpose: a vector run's seen-set keys cut to a few bits.

With 64-bit keys a collision is too rare to meet in a test, so the code that handles
one (exact runs give a colliding row a key of its own) would otherwise never run.
Cutting every key the seen-set is searched by to ``bits`` bits makes most states
collide: a fingerprinted run then loses states, and an exact one must not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

import numpy as np

from lifecheck.explore.vector import VectorRun


@contextlib.contextmanager
def colliding_keys(bits: int = 2) -> Iterator[None]:
    mask = np.uint64((1 << bits) - 1)
    real_keys, real_successors, real_rows = (VectorRun.key_fingerprints, VectorRun.successor_keys,
                                             VectorRun.row_keys)

    def key_fingerprints(self: Any, rows: np.ndarray) -> np.ndarray:
        return real_keys(self, rows) & mask

    def successor_keys(self: Any, *args: Any) -> np.ndarray:
        return real_successors(self, *args) & mask

    def row_keys(self: Any, rows: list[list[int]], fps: list[int]) -> list[int]:
        return [k & int(mask) for k in real_rows(self, rows, fps)]

    with mock.patch.object(VectorRun, "key_fingerprints", key_fingerprints), \
            mock.patch.object(VectorRun, "successor_keys", successor_keys), \
            mock.patch.object(VectorRun, "row_keys", row_keys):
        yield
