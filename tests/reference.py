"""Naive reference implementations the real engine is checked against.

Nothing here imports from ``lifecheck.explore.bfs``, ``lifecheck.modelling.compile``,
``lifecheck.modelling.runtime`` or ``lifecheck.explore.liveness``: the reference keeps full states in a
Python set (no fingerprints), explores with a plain BFS, and computes the
successors of a randomly generated model directly from its description. When the
engine and this file agree on random inputs, they agree because both are right,
not because they share a bug.

Three parts:

* :func:`bfs_distances` and friends: reachable set, BFS distance of each state,
  the states violating a predicate with their shortest distance.
* :class:`ModelDesc` and :func:`reference_successors`: the semantics of a small
  random model (guards, effects, ``choose`` between effects, crash = reset the
  volatile fields of one process and spend one unit of budget).
* :func:`fair_lasso_exists`: a brute-force weak- and strong-fairness check over every subset
  of states, independent of the engine's "maximal SCC" argument.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# --------------------------------------------------------------------------------------
# Plain BFS over full states
# --------------------------------------------------------------------------------------


def bfs_distances(inits: Iterable[Hashable],
                  successors: Callable[[Hashable], Iterable[Hashable]]) -> dict[Hashable, int]:
    """Every reachable state mapped to its BFS distance from the nearest initial state."""
    dist: dict[Hashable, int] = {}
    queue: deque[Hashable] = deque()
    for s in inits:
        if s not in dist:
            dist[s] = 0
            queue.append(s)
    while queue:
        s = queue.popleft()
        for t in successors(s):
            if t not in dist:
                dist[t] = dist[s] + 1
                queue.append(t)
    return dist


def system_successor_states(system: Any) -> Callable[[Hashable], list[Hashable]]:
    """The successor *states* of a core TransitionSystem (failed steps lead nowhere).

    Only the public contract is used: ``successors(state)`` returns (step, outcome)
    pairs; an outcome that is not a state (an action failure) is skipped.
    """
    def succ(state: Hashable) -> list[Hashable]:
        return [out for _, out in system.successors(state) if _is_state(out)]
    return succ


def _is_state(outcome: Any) -> bool:
    return type(outcome).__name__ != "ActionFailure"


def reachable(system: Any) -> dict[Hashable, int]:
    """Reachable states of a core system with their BFS distances."""
    return bfs_distances(system.init_states(), system_successor_states(system))


def eccentricity(dist: dict[Hashable, int]) -> int:
    """The largest BFS distance: with this depth bound exploration is complete."""
    return max(dist.values(), default=0)


def violating(dist: dict[Hashable, int],
              predicate: Callable[[Hashable], bool]) -> dict[Hashable, int]:
    """Reachable states where ``predicate`` (an invariant) is false, with their distances."""
    return {s: d for s, d in dist.items() if not predicate(s)}


def shortest_violation(dist: dict[Hashable, int],
                       predicate: Callable[[Hashable], bool]) -> int | None:
    """The BFS distance of the nearest violating state, or None if the invariant holds."""
    bad = violating(dist, predicate)
    return min(bad.values()) if bad else None


def count_transitions(system: Any, states: Iterable[Hashable]) -> int:
    """Total number of (step, outcome) pairs over ``states``."""
    return sum(len(system.successors(s)) for s in states)


# --------------------------------------------------------------------------------------
# Reference semantics of small random models
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDesc:
    name: str
    domain: int  # values are 0..domain-1
    durable: bool
    initial: int
    others: tuple[int, ...] = ()  # further initial values (one_of): a restart chooses again

    @property
    def initials(self) -> tuple[int, ...]:
        return (self.initial, *self.others)


@dataclass(frozen=True)
class Effect:
    """``owner.target = (acting_process.source + k) % domain(target)``.

    ``owner`` is None for the acting process, or a role index: the first process of
    that role (so that actions can write another process's fields).
    """

    owner: int | None
    target: str
    source: str
    k: int


@dataclass(frozen=True)
class ActionDesc:
    """Guard ``(owner.field == value) == equal``, then one effect, or ``choose`` between two."""

    name: str
    guard_owner: int | None  # None: the acting process; else first process of that role
    guard_field: str
    guard_value: int
    equal: bool
    effects: tuple[Effect, ...]  # one effect, or two: choose_from(range(2)) picks one


@dataclass(frozen=True)
class RoleDesc:
    attr: str  # the role's attribute on the model
    class_name: str  # the Process subclass's name
    count: int
    fields: tuple[FieldDesc, ...]
    actions: tuple[ActionDesc, ...]

    def field(self, name: str) -> FieldDesc:
        return next(f for f in self.fields if f.name == name)

    def process_names(self) -> list[str]:
        # Processes are named after their class, numbered from 1 ("broker1").
        return [f"{self.class_name.lower()}{i + 1}" for i in range(self.count)]


@dataclass(frozen=True)
class ModelDesc:
    roles: tuple[RoleDesc, ...]


# A reference state: (crash budget spent, ((process name, (field values...)), ...)).
RefState = tuple[int, tuple[tuple[str, tuple[int, ...]], ...]]


def reference_initials(desc: ModelDesc) -> list[RefState]:
    """Every initial state: each process's fields range over their initial values on
    their own (a product), written out here without the checker's branching."""
    slots = [(pname, f) for r in desc.roles for pname in r.process_names() for f in r.fields]
    states = []
    for values in itertools.product(*(f.initials for _, f in slots)):
        procs: dict[str, tuple[int, ...]] = {}
        for (pname, _), v in zip(slots, values, strict=True):
            procs[pname] = (*procs.get(pname, ()), v)
        states.append((0, tuple(procs.items())))
    return states


def _locate(desc: ModelDesc) -> dict[str, tuple[int, RoleDesc]]:
    out = {}
    i = 0
    for r in desc.roles:
        for pname in r.process_names():
            out[pname] = (i, r)
            i += 1
    return out


def reference_successors(desc: ModelDesc, crash_max: int,
                         state: RefState) -> list[tuple[tuple[str, str, int | None], RefState]]:
    """Every enabled step of ``state``: ((process, action, choice or None), successor).

    ``action`` is ``"<role attr>_<action name>"`` for model actions and ``"crash"``
    for a crash; a crash of any process is possible while budget remains.
    """
    spent, procs = state
    where = _locate(desc)
    values = {pname: vals for pname, vals in procs}
    first_of_role = [r.process_names()[0] for r in desc.roles]
    out: list[tuple[tuple[str, str, int | None], RefState]] = []

    def read(pname: str, role: RoleDesc, field: str) -> int:
        return values[pname][[f.name for f in role.fields].index(field)]

    for r in desc.roles:
        for pname in r.process_names():
            for a in r.actions:
                if a.guard_owner is None:
                    gp, gr = pname, r
                else:
                    gr = desc.roles[a.guard_owner]
                    gp = first_of_role[a.guard_owner]
                if (read(gp, gr, a.guard_field) == a.guard_value) != a.equal:
                    continue
                for choice, eff in enumerate(a.effects):
                    if eff.owner is None:
                        tp, tr = pname, r
                    else:
                        tr = desc.roles[eff.owner]
                        tp = first_of_role[eff.owner]
                    new = (read(pname, r, eff.source) + eff.k) % tr.field(eff.target).domain
                    changed = dict(values)
                    slot = [f.name for f in tr.fields].index(eff.target)
                    vals = list(changed[tp])
                    vals[slot] = new
                    changed[tp] = tuple(vals)
                    succ = (spent, tuple((p, changed[p]) for p, _ in procs))
                    label = (pname, f"{r.attr}_{a.name}", choice if len(a.effects) > 1 else None)
                    out.append((label, succ))
    if spent < crash_max:
        for pname, vals in procs:
            _, r = where[pname]
            # A volatile field with several initial values restarts with any of them.
            options = [(v,) if f.durable else f.initials for f, v in zip(r.fields, vals, strict=True)]
            for reset in itertools.product(*options):
                chosen = frozenset(f"{pname}.{f.name}={v!r}" for f, v in zip(r.fields, reset, strict=True)
                                   if not f.durable and f.others)
                succ = (spent + 1, tuple((p, reset if p == pname else v) for p, v in procs))
                out.append(((pname, "crash", chosen or None), succ))
    return out


StopState = tuple[int, frozenset, tuple]  # (stops spent, stopped processes, processes' values)


def reference_stop_successors(desc: ModelDesc, stop_max: int,
                              state: StopState) -> list[tuple[tuple[str, str, Any], StopState]]:
    """Crash-stop, written apart from the checker: a stopped process takes no step again;
    stopping one resets its volatile fields as a crash does (one branch per restart value)
    and it stays stopped. Labels as :func:`reference_successors`, ``"stop"`` for a stop."""
    spent, stopped, procs = state
    out: list[tuple[tuple[str, str, Any], StopState]] = [
        (label, (spent, stopped, succ[1]))
        for label, succ in reference_successors(desc, 0, (spent, procs))
        if label[0] not in stopped]
    if spent < stop_max:
        where = _locate(desc)
        for pname, vals in procs:
            if pname in stopped:
                continue
            _, r = where[pname]
            options = [(v,) if f.durable else f.initials for f, v in zip(r.fields, vals, strict=True)]
            for reset in itertools.product(*options):
                chosen = frozenset(f"{pname}.{f.name}={v!r}" for f, v in zip(r.fields, reset, strict=True)
                                   if not f.durable and f.others)
                succ = tuple((p, reset if p == pname else v) for p, v in procs)
                out.append(((pname, "stop", chosen or None), (spent + 1, stopped | {pname}, succ)))
    return out


def reference_stop_reachable(desc: ModelDesc, stop_max: int) -> dict[StopState, int]:
    return bfs_distances(
        [(0, frozenset(), procs) for _, procs in reference_initials(desc)],
        lambda s: [t for _, t in reference_stop_successors(desc, stop_max, s)])


def canonical_stop(desc: ModelDesc) -> Callable[[StopState], tuple[int, frozenset]]:
    """As :func:`canonical_for`, with each process's ``status``: running or stopped."""
    canon = canonical_for(desc)

    def form(state: StopState) -> tuple[int, frozenset]:
        spent, stopped, procs = state
        _, pairs = canon((spent, procs))
        status = {(f"{p}.status", "stopped" if p in stopped else "running") for p, _ in procs}
        return spent, pairs | status
    return form


def reference_reachable(desc: ModelDesc, crash_max: int) -> dict[RefState, int]:
    return bfs_distances(
        reference_initials(desc),
        lambda s: [t for _, t in reference_successors(desc, crash_max, s)])


def canonical_for(desc: ModelDesc) -> Callable[[RefState], tuple[int, frozenset]]:
    """A function giving a comparable form of a reference state: the budget spent and
    the set of ("process.field", value) pairs (what ``describe`` shows for a state)."""
    names = {p: tuple(f.name for f in r.fields) for r in desc.roles for p in r.process_names()}

    def canon(state: RefState) -> tuple[int, frozenset]:
        spent, procs = state
        return spent, frozenset((f"{p}.{n}", v) for p, vals in procs
                                for n, v in zip(names[p], vals, strict=True))
    return canon


# --------------------------------------------------------------------------------------
# Brute-force weak and strong fairness
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    source: int
    target: int
    fair_class: Hashable | None  # None: the step is not fair (a fault)


def fair_lasso_exists(states: Sequence[int], edges: Sequence[Edge],
                      sources: Iterable[int], bad: Callable[[int], bool],
                      strong: Collection[Hashable] = ()) -> bool:
    """Whether some behaviour from a source stays forever in ``bad`` states under fairness.

    Brute force over every non-empty set S of states reachable from a source through
    bad states: S is the set of states visited infinitely often by a behaviour that
    takes every edge inside S infinitely often (the most favourable choice for
    fairness). It is a valid fair behaviour iff S is strongly connected by edges
    inside S (or is one state that may stutter because no fair step is enabled),
    every weakly fair class enabled in *every* state of S is taken on some edge inside
    S, and every strongly fair class (in ``strong``) enabled in *some* state of S is.
    """
    region: set[int] = set()
    frontier = [s for s in sources if bad(s)]
    region.update(frontier)
    out: dict[int, list[Edge]] = {s: [] for s in states}
    for e in edges:
        out[e.source].append(e)
    while frontier:
        s = frontier.pop()
        for e in out[s]:
            if bad(e.target) and e.target not in region:
                region.add(e.target)
                frontier.append(e.target)
    enabled = {s: {e.fair_class for e in out[s] if e.fair_class is not None} for s in states}
    for s in region:
        if not enabled[s]:
            return True  # stuttering here is allowed: nothing fair is enabled
    ordered = sorted(region)
    for size in range(1, len(ordered) + 1):
        for subset in itertools.combinations(ordered, size):
            chosen = set(subset)
            inner = [e for s in subset for e in out[s] if e.target in chosen]
            if not inner or not _strongly_connected(chosen, inner):
                continue
            always_enabled = set.intersection(*(enabled[s] for s in subset))
            somewhere_strong = set().union(*(enabled[s] for s in subset)) & set(strong)
            taken = {e.fair_class for e in inner if e.fair_class is not None}
            if always_enabled <= taken and somewhere_strong <= taken:
                return True
    return False


def _strongly_connected(nodes: set[int], edges: list[Edge]) -> bool:
    start = next(iter(nodes))

    def closure(forward: bool) -> set[int]:
        seen = {start}
        stack = [start]
        while stack:
            s = stack.pop()
            for e in edges:
                a, b = (e.source, e.target) if forward else (e.target, e.source)
                if a == s and b not in seen:
                    seen.add(b)
                    stack.append(b)
        return seen

    return closure(True) == nodes and closure(False) == nodes


# --------------------------------------------------------------------------------------
# Orbits under renaming processes (what symmetry reduction must keep one state of)
# --------------------------------------------------------------------------------------


def true_orbits(states: Iterable[Any], parts: Sequence[int], names: Sequence[str],
                key: Callable[[Any], Any] = repr) -> int:
    """How many orbits ``states`` fall into under every permutation of the processes whose
    fields are the state parts ``parts`` and whose names are ``names``: their parts are
    swapped, and their names replaced wherever one stands between characters that are
    not letters or digits (alone, or inside strings, tuples, sets and maps). ``key``
    tells states apart (give a typed one where 0 and False must differ)."""
    import re

    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(sorted(names, key=len, reverse=True))
                         + r")(?![A-Za-z0-9])")

    def rename(value: Any, table: dict[str, str]) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda m: table[m.group(0)], value)
        if type(value) is tuple:
            return tuple(rename(v, table) for v in value)
        if isinstance(value, frozenset):
            return frozenset(rename(v, table) for v in value)
        if hasattr(value, "items") and hasattr(value, "set"):  # a FrozenMap
            return type(value)({rename(k, table): rename(v, table) for k, v in value.items()})
        if dataclasses.is_dataclass(value) and not isinstance(value, type):  # a RemoteObject
            return type(value)(**{f.name: rename(getattr(value, f.name), table)
                                  for f in dataclasses.fields(value)})
        return value

    def image(state: Any, perm: tuple[int, ...]) -> Any:
        table = {names[i]: names[perm[i]] for i in range(len(names))}
        out = [rename(part, table) for part in state]
        for i, p in enumerate(parts):
            out[parts[perm[i]]] = rename(state[p], table)
        return tuple(out)

    def stable(value: Any) -> str:
        """A repr that equal values share: a set's repr follows its hash order, which
        differs between equal sets built in another order."""
        if isinstance(value, (frozenset, set)):
            return "{" + ", ".join(sorted(stable(v) for v in value)) + "}"
        if type(value) is tuple:
            return "(" + ", ".join(stable(v) for v in value) + ",)"
        return repr(value)

    perms = list(itertools.permutations(range(len(parts))))
    return len({min(stable(key(image(s, p))) for p in perms) for s in states})
