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

import numpy as np

from lifecheck.explore.exploration import Exploration, Graph
from lifecheck.explore.graph_arrays import GraphArrays
from lifecheck.explore.ordering import counted_distinct, first_of_each, sorted_distinct, stable_order
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
    arrays = graph.as_arrays()
    bits = np.array(graph.predicate_bits[name], bool).reshape(-1, 2)  # (P, Q) per state
    bad = ~bits[:, 1]
    # eventually Q: from the initial states; P ~> Q: from the states where P holds
    starts = np.asarray(exploration.parents, np.int64)[:len(bad)] < 0 if eventually else bits[:, 0]
    sources = np.flatnonzero(starts & bad)  # in the explorer's BFS order: shallowest first
    if not len(sources):
        return None
    order, parent, via = _reach(arrays, sources, bad)
    fair_of, components = _fair_states(graph, arrays, order)
    on_fair = fair_of[order] != NOT_FAIR
    if not on_fair.any():
        return None
    # The first fair state in BFS order from the sources has the shortest stem.
    target = int(order[int(np.argmax(on_fair))])
    label = int(fair_of[target])
    loop = [] if label == STUTTERS else _fair_loop(graph, arrays, components[label], target)
    inner: list[tuple[int, int]] = []
    cur = target
    while parent[cur] >= 0:
        inner.append((int(parent[cur]), int(via[cur])))
        cur = int(parent[cur])
    inner.reverse()
    trigger = cur
    stem = _tree_path(exploration, trigger) + inner
    return Lasso(name, stem, target, loop, trigger)


def _reach(arrays: GraphArrays, sources: np.ndarray,
           bad: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The states reachable from ``sources`` through ``bad`` states, in breadth-first order
    (a level at a time: each state where the steps of the level before, in order, first
    reach it, as a queue would), and each one's BFS parent and step (-1: a source)."""
    parent = np.full(len(bad), -2, np.int64)  # (-2: not reached)
    via = np.full(len(bad), -1, np.int64)
    parent[sources] = -1
    levels, frontier = [sources], sources
    while len(frontier):
        at, src = arrays.steps_of(frontier)
        target = arrays.dst[at]
        fresh = target >= 0
        fresh[fresh] = bad[target[fresh]] & (parent[target[fresh]] == -2)
        target, src, at = target[fresh], src[fresh], at[fresh]
        first = first_of_each(target)
        frontier = target[first]
        parent[frontier], via[frontier] = src[first], arrays.via[at[first]]
        levels.append(frontier)
    return np.concatenate(levels), parent, via


def _tree_path(exploration: Exploration, sid: int) -> list[tuple[int, int]]:
    path = []
    while exploration.parents[sid] >= 0:
        parent = exploration.parents[sid]
        path.append((parent, exploration.via[sid]))
        sid = parent
    path.reverse()
    return path


NOT_FAIR, STUTTERS = -2, -1


def _fair_states(graph: Graph, arrays: GraphArrays,
                 region: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """For each state, whether it lies on a fair loop within ``region``: the index of its
    fair component (among those returned), :data:`STUTTERS` where no fair step is enabled
    (the behaviour may stay there), or :data:`NOT_FAIR`.

    Only the loop of the state the lasso goes through is built (:func:`_fair_loop`, a
    search through the component): building one for every state of a component costs
    its size squared, minutes on a graph of 100,000 states.
    """
    n = len(arrays.offsets) - 1
    fair_of = np.full(n, NOT_FAIR, np.int64)
    idle = np.diff(arrays.enabled_offsets)[region] == 0
    fair_of[region[idle]] = STUTTERS
    components = _fair_components(graph, arrays, region)
    for i, component in enumerate(components):
        fair_of[component[fair_of[component] == NOT_FAIR]] = i
    return fair_of, components


def _fair_components(graph: Graph, arrays: GraphArrays, nodes: np.ndarray) -> list[np.ndarray]:
    """The fair strongly connected sets among ``nodes`` (disjoint), refined for strong
    fairness; each a sorted array of states."""
    width = max(arrays.width, 1)
    strong = np.array(sorted(graph.strong), np.int64)
    fair: list[np.ndarray] = []
    pending = [(nodes, arrays.sources(), arrays.dst, arrays.cls)]
    while pending:
        nodes, src, dst, cls = pending.pop()
        keep = np.isin(src, nodes) & np.isin(dst, nodes)
        src, dst, cls = src[keep], dst[keep], cls[keep]
        order = np.sort(nodes)
        at_src, at_dst = np.searchsorted(order, src), np.searchsorted(order, dst)
        count, labels = strong_components(len(order), at_src, at_dst)
        label_src, label_dst = labels[at_src], labels[at_dst]
        inner = label_src == label_dst
        size = np.bincount(labels, minlength=count)
        looped = np.zeros(count, bool)
        looped[label_src[inner & (src == dst)]] = True
        # Each component's enabled classes, with how many of its states enable each, and
        # the classes taken on its inner steps: as (component, class) keys.
        where, place = arrays.enabled_of(order)
        keys = labels[place] * width + arrays.enabled[where]
        enabled, counts = counted_distinct(keys)
        taken_inside = inner & (cls >= 0)
        taken = np.isin(enabled, label_src[taken_inside] * width + cls[taken_inside])
        owner = enabled // width
        # A class enabled in every state of a component and never taken inside rules it out.
        ruled_out = np.zeros(count, bool)
        ruled_out[owner[(counts == size[owner]) & ~taken]] = True
        # A strongly fair class enabled somewhere and never taken inside starves it.
        starving = np.isin(enabled % width, strong) & ~taken
        starved = np.zeros(count, bool)
        starved[owner[starving]] = True
        candidate = ((size > 1) | looped) & ~ruled_out
        members = _split(labels, order, count)
        for label in np.flatnonzero(candidate & ~starved).tolist():
            fair.append(members[label])
        cut = candidate & starved
        if not cut.any():
            continue
        # Cut out the states where a starving class is enabled; search what is left again.
        kept = np.ones(len(order), bool)
        kept[place[np.isin(keys, enabled[starving])]] = False
        kept_members = _split(labels, kept, count)
        inner_at = _split(label_src[inner], np.nonzero(inner)[0], count)
        for label in np.flatnonzero(cut).tolist():
            rest = members[label][kept_members[label]]
            if len(rest):
                steps = inner_at[label]
                pending.append((rest, src[steps], dst[steps], cls[steps]))
    return fair


def _split(labels: np.ndarray, values: np.ndarray, count: int) -> list[np.ndarray]:
    """``values`` grouped by their ``labels`` (0..count-1), in their order within a group."""
    order = stable_order(labels)
    ends = np.cumsum(np.bincount(labels, minlength=count))
    return np.split(values[order], ends[:-1])


def _fair_loop(graph: Graph, arrays: GraphArrays, members: np.ndarray,
               start: int) -> list[tuple[int, int]]:
    """A short loop from ``start`` through ``component`` that is itself fair.

    For each weakly fair class enabled somewhere in the component the loop either
    takes an edge of that class or passes a state where the class is disabled, and
    it takes every strongly fair class enabled somewhere in the component (the
    component is fair, so each is taken inside it), so a reader can check fairness
    on the loop that is printed. Greedy: from where the loop has got to, walk to the
    nearest step that settles a class still owed, counting everything passed on the
    way, then walk back to the start.
    """
    component = set(members.tolist())
    owed = set(sorted_distinct(arrays.enabled[arrays.enabled_of(members)[0]]).tolist())
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
