"""Liveness under weak and strong fairness, on the explored state graph.

For ``P ~> Q`` (``eventually Q`` is ``init ~> Q``) a counterexample is a behaviour
that reaches a state where P holds and Q does not, and from there stays forever
in states where Q does not hold while respecting fairness. In a finite graph such
a behaviour ends in a strongly connected set C of not-Q states (those it visits
infinitely often, taking every edge among them) that is *fair*: every weakly fair
unit enabled in all states of C is taken on an edge inside C, and every strongly
fair unit enabled in some state of C is taken on an edge inside C. A single state
where no fair unit is enabled is fair too: the behaviour may stop there
(stuttering), which is how a deadlock or a state where only faults remain fails
liveness.

The search (the Emerson-Lei refinement for Streett conditions) starts from the
maximal components. A unit enabled everywhere in C and never taken inside C rules
out C and every cycle within it, whatever its strength. A strongly fair unit
enabled somewhere in C and never taken inside C rules out only the states where it
is enabled: those states are cut out and the components of what is left are
examined again. With weak fairness only nothing is ever cut, and the maximal
components are the answer. Faults are never fair and, since each one spends
budget, never lie on a cycle: behaviours have finitely many faults.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lifecheck.explore.exploration import Exploration
from lifecheck.explore.strong_components import strong_components


@dataclass
class Lasso:
    """A liveness counterexample as state ids: a stem from an initial state, then a loop."""

    property: str
    stem: list[tuple[int, int]]  # (state, step index) pairs leading to the loop's first state
    start: int  # the state the stem ends in
    loop: list[tuple[int, int]]  # (state, step index) pairs around the loop; empty = stutter
    trigger_state: int  # where P held and Q did not


def check_leads_to(name: str, exploration: Exploration, eventually: bool) -> Lasso | None:
    """The shortest-stem lasso violating the property, or None if it holds (found once per
    graph: a team finds it to fetch the states it shows, the verdict reads it again)."""
    graph = exploration.graph
    assert graph is not None
    if name not in graph.lassos:
        graph.lassos[name] = _leads_to(name, exploration, eventually)
    return graph.lassos[name]


def _leads_to(name: str, exploration: Exploration, eventually: bool) -> Lasso | None:
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
    stem = _tree_path(exploration, trigger) + inner
    return Lasso(name, stem, target, loop, trigger)


def _tree_path(exploration: Exploration, sid: int) -> list[tuple[int, int]]:
    path = []
    while exploration.parents[sid] >= 0:
        parent = exploration.parents[sid]
        path.append((parent, exploration.via[sid]))
        sid = parent
    path.reverse()
    return path


def _fair_states(exploration: Exploration, region: set[int]) -> dict[int, set[int] | None]:
    """Map each state of ``region`` that lies on a fair loop to its fair component, or to
    None where it may stutter (no fair step enabled: the behaviour may stay there).

    Only the loop of the state the lasso goes through is built (:func:`_fair_loop`, a
    search through the component): building one for every state of a component costs
    its size squared, minutes on a graph of 100,000 states.
    """
    graph = exploration.graph
    assert graph is not None
    result: dict[int, set[int] | None] = {}
    for s in region:
        if not graph.enabled[s]:
            result[s] = None
    src, dst, cls = graph.step_arrays()
    nodes = np.fromiter(region, np.int64, len(region))
    for component in _fair_components(graph, nodes, src, dst, cls):
        for s in component:
            if s not in result:
                result[s] = component
    return result


def _fair_components(graph: Any, nodes: np.ndarray, src: np.ndarray, dst: np.ndarray,
                     cls: np.ndarray) -> list[set[int]]:
    """The fair strongly connected sets among ``nodes`` (disjoint), refined for strong
    fairness; the steps are given as arrays (source, target, class)."""
    fair: list[set[int]] = []
    pending = [(nodes, src, dst, cls)]
    while pending:
        nodes, src, dst, cls = pending.pop()
        keep = np.isin(src, nodes) & np.isin(dst, nodes)
        src, dst, cls = src[keep], dst[keep], cls[keep]
        order = np.sort(nodes)
        at_src, at_dst = np.searchsorted(order, src), np.searchsorted(order, dst)
        count, labels = strong_components(len(order), at_src, at_dst)
        label_src, label_dst = labels[at_src], labels[at_dst]
        inner = label_src == label_dst
        looped = np.zeros(count, bool)
        looped[label_src[inner & (src == dst)]] = True
        members = _split(labels, order, count)
        inner_at = _split(label_src[inner], np.nonzero(inner)[0], count)
        for label in range(count):
            states = members[label]
            if len(states) == 1 and not looped[label]:
                continue
            component = set(states.tolist())
            enabled = [graph.enabled[s] for s in component]
            always_enabled = frozenset.intersection(*enabled)
            steps = inner_at[label]
            taken = {c for c in cls[steps].tolist() if c >= 0}
            if not always_enabled <= taken:
                continue
            starved = {c for e in enabled for c in e if c in graph.strong} - taken
            if not starved:
                fair.append(component)
                continue
            rest = np.array([s for s, e in zip(component, enabled, strict=True)
                             if not e & starved], np.int64)
            if len(rest):
                pending.append((rest, src[steps], dst[steps], cls[steps]))
    return fair


def _split(labels: np.ndarray, values: np.ndarray, count: int) -> list[np.ndarray]:
    """``values`` grouped by their ``labels`` (0..count-1)."""
    order = np.argsort(labels, kind="stable")
    ends = np.cumsum(np.bincount(labels, minlength=count))
    return np.split(values[order], ends[:-1])


def _fair_loop(graph, component: set[int], start: int) -> list[tuple[int, int]]:
    """A short loop from ``start`` through ``component`` that is itself fair.

    For each weakly fair class enabled somewhere in the component the loop either
    takes an edge of that class or passes a state where the class is disabled, and
    it takes every strongly fair class enabled somewhere in the component (the
    component is fair, so each is taken inside it), so a reader can check fairness
    on the loop that is printed. Greedy: from where the loop has got to, walk to the
    nearest step that settles a class still owed, counting everything passed on the
    way, then walk back to the start.
    """
    owed = set().union(*(graph.enabled[s] for s in component))
    owed -= _disabled_at(graph, owed, start)
    loop: list[tuple[int, int]] = []
    cur = start
    while owed:
        path = _nearest(graph, component, cur, owed)
        for s, k in path:
            owed -= _disabled_at(graph, owed, s)
            target, cls = _edge(graph, s, k)
            owed.discard(cls)
            owed -= _disabled_at(graph, owed, target)
            cur = target
        loop += path
    loop += _shortest(graph, component, cur, start)
    if not loop:  # a self-loop component with no fair class: take the self-loop
        k = next(k for k, t, _ in graph.edges[start] if t == start)
        loop = [(start, k)]
    return loop


def _disabled_at(graph, classes: set[int], state: int) -> set[int]:
    """The weakly fair ``classes`` disabled in ``state``: passing there settles them (a
    strongly fair class is settled only by being taken)."""
    return {c for c in classes if c not in graph.enabled[state] and c not in graph.strong}


def _edge(graph, state: int, k: int) -> tuple[int, int]:
    return next((t, c) for kk, t, c in graph.edges[state] if kk == k)


def _nearest(graph, component: set[int], src: int, owed: set[int]) -> list[tuple[int, int]]:
    """The shortest path from ``src`` whose last step is of an owed class or ends where
    an owed class is disabled."""
    return _path_until(graph, component, src,
                       lambda t, c: c in owed or bool(_disabled_at(graph, owed, t)))


def _shortest(graph, component: set[int], src: int, dst: int) -> list[tuple[int, int]]:
    if src == dst:
        return []
    return _path_until(graph, component, src, lambda t, _: t == dst)


def _path_until(graph, component: set[int], src: int,
                stop: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """BFS inside ``component``: the shortest path from ``src`` whose last step, to
    state t of fairness class c, satisfies ``stop(t, c)``."""
    parent: dict[int, tuple[int, int]] = {}
    queue = deque([src])
    seen = {src}
    while queue:
        s = queue.popleft()
        for k, t, c in graph.edges[s]:
            if t not in component:
                continue
            if stop(t, c):
                path = [(s, k)]
                cur = s
                while cur != src:
                    prev, kk = parent[cur]
                    path.append((prev, kk))
                    cur = prev
                path.reverse()
                return path
            if t not in seen:
                seen.add(t)
                parent[t] = (s, k)
                queue.append(t)
    raise AssertionError("a fair component holds a path to what is owed and back to its start")
