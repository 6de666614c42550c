"""What an exhaustive run leaves behind: the states' parents and steps, what was found, the figures.

Every engine returns an :class:`Exploration`; replay keys are rebuilt from the parent
and step arrays (:func:`path_key`), and the memory and time bounds are watched the
same way by every engine (:func:`watch_run`).
"""

from __future__ import annotations

import resource
import sys
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lifecheck.contract import (
    Options,
    Progress,
)
from lifecheck.explore.checks import Found, time_bound
from lifecheck.explore.graph_arrays import GraphArrays
from lifecheck.values import FrozenMap


@dataclass
class Graph:
    """The explored graph, kept only for liveness checking (lists as the bfs explorer
    appends to them, or :class:`~lifecheck.explore.graph_arrays.Rows`, read alike)."""

    edges: Any = field(default_factory=list)  # per state: (step idx, target, class)
    enabled: Any = field(default_factory=list)  # per state: the fair classes enabled
    classes: list[Any] = field(default_factory=list)  # class id -> class key
    strong: frozenset[int] = frozenset()  # the class ids that are strongly fair
    predicate_bits: dict[str, list[tuple[bool, bool]]] = field(default_factory=dict)  # (P, Q)
    arrays: GraphArrays | None = None  # the graph as flat arrays, once the search needs them
    lassos: dict[str, Any] = field(default_factory=dict)  # each liveness property's, once found

    def as_arrays(self) -> GraphArrays:
        """The graph as flat arrays, built once for all the liveness properties checked."""
        if self.arrays is None:
            self.arrays = GraphArrays(self.edges, self.enabled)
        return self.arrays

    def name_classes(self, class_ids: dict[Any, int], is_strong: Callable[[Any], bool]) -> None:
        """Record which fairness unit each class id stands for, and which are strong."""
        self.classes = [None] * len(class_ids)
        for key, cid in class_ids.items():
            self.classes[cid] = key
        self.strong = frozenset(cid for key, cid in class_ids.items() if is_strong(key))


@dataclass
class Exploration:
    """What every engine returns, so that the verdict is built once (:mod:`.verdict`).

    A single process keeps a parent id and a step index per state (``parents`` and
    ``via``), from which replay keys are rebuilt; a team of workers keeps them spread
    over its workers and fills ``keys`` (the replay key of each violation) itself.
    ``states`` holds every state unless fingerprints were kept instead (``count``
    then says how many there were).
    """

    states: list[Any]
    parents: array | None
    via: array | None
    level_starts: list[int]
    found: dict[str, Found]
    transitions: int
    depth: int
    seconds: float
    coverage: dict[str, int]
    complete: bool
    incomplete_reason: str
    sometimes_seen: set[str]
    graph: Graph | None
    stored_bytes: int
    resumed_at: int = 0  # distinct states already found by the run this one resumed
    count: int = -1  # distinct states (states holds them all unless fingerprints were used)
    fingerprints: bool = False  # the seen-set held 64-bit fingerprints, not states
    keys: dict[str, list[int]] = field(default_factory=dict)  # a team's replay key per violation
    workers: int = 1
    per_worker: list[int] = field(default_factory=list)  # distinct states each worker owns
    outside: int = 0  # steps into states outside the spec's constraints (checked, not kept)

    @property
    def distinct_states(self) -> int:
        return self.count if self.count >= 0 else len(self.states)

    def path_to(self, sid: int) -> list[int]:
        """The replay key of the BFS path to ``sid``: init index, then step indices."""
        assert self.parents is not None and self.via is not None
        return path_key(self.parents, self.via, sid)

    def depth_of(self, sid: int) -> int:
        assert self.parents is not None
        depth = 0
        while self.parents[sid] >= 0:
            sid = self.parents[sid]
            depth += 1
        return depth

    def in_order(self) -> list[Found]:
        """The violations found, shallowest first (then in the order the search met them)."""
        if self.parents is None:  # a team's, in the reference's order already
            return list(self.found.values())
        return sorted(self.found.values(),
                      key=lambda f: (self.depth_of(f.state) + (f.step_index is not None), f.state))

    def key_of(self, f: Found) -> list[int]:
        """The replay key of a violation: to its state, then the offending step if any."""
        if f.property in self.keys:
            return list(self.keys[f.property])
        key = self.path_to(f.state)
        if f.step_index is not None:
            key.append(f.step_index)
        return key

    def states_along(self, f: Found) -> list[Any] | None:
        """The states the replay of ``key_of(f)`` must meet, where they were kept."""
        if self.parents is None or self.fingerprints:
            return None
        ids = []
        sid = f.state
        while sid >= 0:
            ids.append(sid)
            sid = self.parents[sid]
        along: list[Any] = [self.states[i] for i in reversed(ids)]
        if f.step_index is not None:
            along.append(None)
        return along


def resident_bytes() -> int:
    """The checker's resident memory now (Linux /proc; 0 where that is not available)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def path_key(parents: array, via: array, sid: int) -> list[int]:
    key = []
    while sid >= 0:
        key.append(via[sid])
        sid = parents[sid]
    key.reverse()
    return key


def watch_run(options: Options, deadline: float | None, next_report: float,
              progress: Callable[[int, float], Progress],
              resident: Callable[[], int] = resident_bytes) -> tuple[str, float]:
    """Why a long run must stop now (a time or memory bound, or a stop asked for through
    ``options.stop_requested``), or ""; and when to report next.

    Prints the progress line through ``options.progress`` when it is due;
    ``progress(rss, now)`` builds it only then. ``resident()`` measures the memory the
    run holds (a team adds its workers').
    """
    bounds = options.bounds
    if options.stop_requested is not None:
        why = options.stop_requested()
        if why:
            return why, next_report
    now = time.perf_counter()
    if deadline is not None and now > deadline:
        return time_bound(bounds.max_seconds), next_report
    report = options.progress is not None and now >= next_report
    if not (bounds.max_memory_mb is not None or report):
        return "", next_report
    rss = resident()
    if report:
        next_report = now + options.progress_every
        options.progress(progress(rss, now))  # type: ignore[misc]
    if bounds.max_memory_mb is not None and rss > bounds.max_memory_mb * 2**20:
        return (f"memory budget {bounds.max_memory_mb:g} MiB reached "
                f"({rss / 2**20:.0f} MiB resident)"), next_report
    return "", next_report


def _stored_bytes(seen: dict[Any, int], states: list[Any], *arrays: array) -> int:
    """Bytes the explorer holds for its states: the seen-set, the id list, the states
    themselves (every distinct object once, since states share unchanged parts) and
    the parent and step arrays."""
    total = sys.getsizeof(seen) + sys.getsizeof(states)
    total += sum(sys.getsizeof(sid) for sid in seen.values() if sid > 256)
    total += deep_size(states)
    return total + sum(a.itemsize * len(a) for a in arrays)


def deep_size(roots: Any) -> int:
    """Bytes held by every distinct object reachable from ``roots`` (an iterable of states)."""
    seen: set[int] = set()
    total = 0
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, (tuple, frozenset)):
            stack.extend(obj)
        elif isinstance(obj, FrozenMap):
            total += sys.getsizeof(obj._d)
            stack.extend(obj._d.keys())
            stack.extend(obj._d.values())
    return total
