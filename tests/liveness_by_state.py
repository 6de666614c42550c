"""The liveness search as it was first written: state by state, in Python sets and
dicts. Kept as the reference that the array search of
:mod:`lifecheck.explore.liveness` is held to (tests/engines/test_liveness.py): the same
verdicts and the very same lassos (stem, loop start, loop) on random graphs. The loop
through a fair component is built by the product's own code, unchanged.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from lifecheck.explore import liveness
from lifecheck.explore.exploration import Exploration
from lifecheck.explore.liveness import Lasso


def leads_to(name: str, exploration: Exploration, eventually: bool) -> Lasso | None:
    graph = exploration.graph
    assert graph is not None
    bits = graph.predicate_bits[name]
    n = len(bits)
    bad = [not q for _, q in bits]
    if eventually:
        sources = [s for s in range(n) if exploration.parents[s] < 0 and bad[s]]
    else:
        sources = [s for s in range(n) if bits[s][0] and bad[s]]
    if not sources:
        return None

    # States reachable from a source through not-Q states, with BFS parents (shortest stems).
    reach_parent: dict[int, tuple[int, int] | None] = {}
    queue = deque()
    for s in sources:  # sources are in BFS order of the explorer: shallowest first
        if s not in reach_parent:
            reach_parent[s] = None
            queue.append(s)
    order = []
    while queue:
        s = queue.popleft()
        order.append(s)
        for k, t, _ in graph.edges[s]:
            if t >= 0 and bad[t] and t not in reach_parent:
                reach_parent[t] = (s, k)
                queue.append(t)

    fair_states = _fair_states(exploration, set(order))
    if not fair_states:
        return None
    # The first fair state in BFS order from the sources has the shortest stem.
    target = next(s for s in order if s in fair_states)
    component = fair_states[target]
    loop = _fair_loop(graph, component, target) if component is not None else []
    inner: list[tuple[int, int]] = []
    cur = target
    while reach_parent[cur] is not None:
        prev, k = reach_parent[cur]  # type: ignore[misc]
        inner.append((prev, k))
        cur = prev
    inner.reverse()
    trigger = cur
    stem = liveness._tree_path(exploration, trigger) + inner
    return Lasso(name, stem, target, loop, trigger)


def _fair_states(exploration: Exploration, region: set[int]) -> dict[int, set[int] | None]:
    """Map each state of ``region`` that lies on a fair loop to its fair component, or to
    None where it may stutter (no fair step enabled: the behaviour may stay there)."""
    graph = exploration.graph
    assert graph is not None
    result: dict[int, set[int] | None] = {}
    for s in region:
        if not graph.enabled[s]:
            result[s] = None
    for component in _fair_components(graph, region):
        for s in component:
            if s not in result:
                result[s] = component
    return result


def _fair_components(graph: Any, region: set[int]) -> list[set[int]]:
    """The fair strongly connected sets within ``region``, refined for strong fairness
    (the Emerson-Lei refinement), by sets and the definition of a component."""
    fair: list[set[int]] = []
    pending = [set(region)]
    while pending:
        within = pending.pop()
        for component in _components(graph, within):
            inner = [(s, t, c) for s in component for _, t, c in graph.edges[s] if t in component]
            if len(component) == 1 and not inner:
                continue
            enabled = {s: set(graph.enabled[s]) for s in component}
            always = set.intersection(*enabled.values())
            taken = {c for _, _, c in inner if c >= 0}
            if not always <= taken:
                continue
            starved = {c for e in enabled.values() for c in e if c in graph.strong} - taken
            if not starved:
                fair.append(component)
                continue
            rest = {s for s in component if not enabled[s] & starved}
            if rest:
                pending.append(rest)
    return fair


def _components(graph: Any, within: set[int]) -> list[set[int]]:
    """The strongly connected components of the graph restricted to ``within``: the
    states each state reaches and is reached from."""
    reach = {}
    for s in within:
        seen, queue = {s}, deque([s])
        while queue:
            for _, t, _ in graph.edges[queue.popleft()]:
                if t in within and t not in seen:
                    seen.add(t)
                    queue.append(t)
        reach[s] = seen
    components: list[set[int]] = []
    placed: set[int] = set()
    for s in sorted(within):
        if s not in placed:
            component = {t for t in reach[s] if s in reach[t]}
            placed |= component
            components.append(component)
    return components


def _fair_loop(graph: Any, component: set[int], start: int) -> list[tuple[int, int]]:
    """The loop is built as the product builds it: what changed is how the components and
    the stem are found."""
    return liveness._fair_loop(graph, graph.as_arrays(), np.array(sorted(component)), start)
