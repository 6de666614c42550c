"""The whole graph of a team run, joined in one place so that liveness can be checked.

Each worker records its share (:mod:`lifecheck.explore.team_graph`); once the run is
complete the coordinator joins the shares and numbers the states as the bfs explorer
would have: initial states in the order given, then level by level, each state's
steps in order, a state numbered where it is first reached. The liveness search
(:mod:`lifecheck.explore.liveness`) picks the shortest stem and its loop by those
numbers, so the same numbering gives the reference engine's lassos, not merely lassos
as short; the tree of first parents it yields is the reference's too (each owner kept
a state's bfs parent: :mod:`lifecheck.explore.team_ranks`), so safety counterexamples
are rebuilt from it as a single process rebuilds them, for the violations the team
kept, which are the reference's. (Symmetry reduction is refused with liveness: fairness
is per process.)

The states themselves stay with their owners; only those a counterexample shows are
fetched, while the team still runs.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lifecheck.contract import EVENTUALLY, TransitionSystem
from lifecheck.explore.exploration import Exploration, Graph
from lifecheck.explore.graph_arrays import Rows, by_source
from lifecheck.explore.liveness import check_leads_to
from lifecheck.explore.ordering import first_of_each, sorted_distinct


@dataclass
class Joined:
    """The team's graph in the bfs explorer's numbering, and the way back to owners."""

    graph: Graph
    parents: array
    via: array
    base: np.ndarray  # where each worker's states start among the joined ids
    new_of: np.ndarray  # joined id (worker's base + its index) -> bfs number
    old_of: np.ndarray  # bfs number -> joined id

    def number(self, ref: tuple[int, int]) -> int:
        return int(self.new_of[self.base[ref[0]] + ref[1]])

    def ref(self, sid: int) -> tuple[int, int]:
        joined = int(self.old_of[sid])
        worker = int(np.searchsorted(self.base, joined, side="right")) - 1
        return worker, joined - int(self.base[worker])


def join(team: Any, system: TransitionSystem) -> Joined:
    """Gather every worker's share of the graph and number the states as bfs does."""
    if team.kind == "vector":  # steps recorded by their targets' keys: ask the owners once
        asks = team.all("asks", [()] * team.size)
        ids = team.all("lookup", [([asks[src][w] for src in range(team.size)],)
                                  for w in range(team.size)])
        team.all("answers", [([ids[owner][w] for owner in range(team.size)],)
                             for w in range(team.size)])
    shares = team.all("share", [()] * team.size)
    sizes = np.array([len(s["via"]) for s in shares], np.int64)
    base = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    n = int(sizes.sum())
    class_ids: dict[Any, int] = {}
    src_, via_, cls_, dst_, on_, en_ = [], [], [], [], [], []
    parents = np.empty(n, np.int64)
    first_via = np.empty(n, np.int64)
    for w, share in enumerate(shares):
        to_global = np.array([class_ids.setdefault(unit, len(class_ids))
                              for unit in share["classes"]] + [-1], np.int64)
        src, via, cls, owner, target = share["steps"]
        src_.append(src + base[w])
        via_.append(via)
        cls_.append(to_global[cls])  # (-1 indexes the appended -1: no class)
        dst_.append(target + base[owner])
        sids, classes = share["enabled"]
        on_.append(sids + base[w])
        en_.append(to_global[classes])
        p = share["parents"]
        lo, hi = int(base[w]), int(base[w] + sizes[w])
        parents[lo:hi] = np.where(p[:, 0] < 0, -1, base[np.maximum(p[:, 0], 0)] + p[:, 1])
        first_via[lo:hi] = share["via"]
    src, via, cls, dst = (np.concatenate(c) if c else np.empty(0, np.int64)
                          for c in (src_, via_, cls_, dst_))
    new_of, new_parents, new_via = _bfs_numbers(n, parents, first_via, src, via, dst)
    old_of = np.empty(n, np.int64)
    old_of[new_of] = np.arange(n, dtype=np.int64)

    graph = Graph()
    s, t = new_of[src], new_of[dst]
    order = by_source(s, via)
    graph.edges = Rows(n, s[order], (via[order], t[order], cls[order]))
    on = new_of[np.concatenate(on_)] if on_ else np.empty(0, np.int64)
    en = np.concatenate(en_) if en_ else np.empty(0, np.int64)
    width = max(len(class_ids), 1)
    pairs = sorted_distinct(on * width + en)
    graph.enabled = Rows(n, pairs // width, (pairs % width,), as_set=True)
    graph.name_classes(class_ids, system.fairness().is_strong)
    for p in system.properties:
        if p.is_liveness:
            trigger = np.concatenate([share["bits"][p.name][0] for share in shares])[old_of]
            goal = np.concatenate([share["bits"][p.name][1] for share in shares])[old_of]
            graph.predicate_bits[p.name] = list(zip(trigger.tolist(), goal.tolist(), strict=True))
    return Joined(graph, array("i", new_parents.tolist()), array("I", new_via.tolist()), base,
                  new_of, old_of)


def _bfs_numbers(n: int, parents: np.ndarray, first_via: np.ndarray, src: np.ndarray,
                 via: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Number the states as the bfs explorer reaches them: the initial states in the order
    given, then, level by level, the targets of each state's steps in order, each where
    it is first reached. Also the tree of first parents and steps in those numbers."""
    order = by_source(src, via)
    src, via, dst = src[order], via[order], dst[order]
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=offsets[1:])
    new_of = np.full(n, -1, np.int64)
    roots = np.nonzero(parents < 0)[0]
    roots = roots[np.argsort(first_via[roots], kind="stable")]
    new_of[roots] = np.arange(len(roots))
    tree_parent, tree_via = [np.full(len(roots), -1, np.int64)], [first_via[roots]]
    numbered = len(roots)
    frontier = roots
    while len(frontier):
        lo, counts = offsets[frontier], offsets[frontier + 1] - offsets[frontier]
        total = int(counts.sum())
        if not total:
            break
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        at = starts + np.arange(total)  # every step of the frontier, in order
        targets, sources, steps = dst[at], np.repeat(frontier, counts), via[at]
        fresh = new_of[targets] < 0
        targets, sources, steps = targets[fresh], sources[fresh], steps[fresh]
        first = first_of_each(targets)
        frontier = targets[first]
        new_of[frontier] = numbered + np.arange(len(frontier))
        numbered += len(frontier)
        tree_parent.append(new_of[sources[first]])
        tree_via.append(steps[first])
    if numbered != n:
        raise AssertionError(f"the team's graph reaches {numbered} of its {n} states")
    return new_of, np.concatenate(tree_parent), np.concatenate(tree_via)


class FetchedStates(dict):
    """The states a counterexample shows, by bfs number, fetched from their owners."""

    def __missing__(self, sid: int) -> Any:
        raise KeyError(f"state {sid} was not fetched from its worker")


def with_liveness(exploration: Exploration, team: Any, system: TransitionSystem) -> Exploration:
    """``exploration`` (a complete team run) with the joined graph, the bfs numbering, its
    lassos found, and the states its counterexamples show fetched from their owners.
    Its violations are the reference's already (:mod:`lifecheck.explore.team_ranks`): only
    their states are numbered anew."""
    joined = join(team, system)
    exploration.graph = joined.graph
    exploration.parents, exploration.via = joined.parents, joined.via
    exploration.keys = {}  # rebuilt from the tree of first parents, as a single process does
    exploration.found = {name: replace(f, state=joined.number(f.state))
                         for name, f in exploration.found.items()}
    shown: set[int] = set()
    for f in exploration.found.values():
        sid = f.state
        while sid >= 0:
            shown.add(sid)
            sid = joined.parents[sid]
    for p in system.properties:
        if p.is_liveness:
            lasso = check_leads_to(p.name, exploration, p.kind == EVENTUALLY)
            if lasso is not None:
                shown.update(s for s, _ in lasso.stem)
                shown.update(s for s, _ in lasso.loop)
                shown.add(lasso.start)
    states = FetchedStates()
    wanted: dict[int, list[int]] = {}
    for sid in sorted(shown):
        worker, index = joined.ref(sid)
        wanted.setdefault(worker, []).append(index)
    for worker, indices in wanted.items():
        fetched = team.one(worker, "states", indices)
        for index, state in zip(indices, fetched, strict=True):
            states[joined.number((worker, index))] = state
    exploration.states = states  # type: ignore[assignment]
    return exploration

