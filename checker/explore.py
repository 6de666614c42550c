"""Breadth-first exploration with exact deduplication.

States are visited level by level, so the first violation of each property found
is at the smallest depth: counterexamples are shortest. The seen-set maps each
state to an id; for each id the explorer keeps its parent id and the index of the
step that reached it, and traces are rebuilt by replaying those steps (see
:mod:`checker.trace`). The full graph is recorded only when a liveness property
needs it.

Deduplication compares states, not Python's ``hash``: that hash is no fingerprint
(``hash(-1) == hash(-2)``, so two states differing only there would be merged and
a reachable violation missed). States share unchanged parts with their parent
(copy on write), which keeps the memory per state small.

Exploration continues past a violation so that every property gets its own
shortest counterexample; successors of a violating state are still reachable
states and are explored like any other.
"""

from __future__ import annotations

import resource
import sys
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .contract import (
    ALWAYS,
    SOMETIMES,
    TRANSITION,
    ActionFailure,
    Options,
    Progress,
    Step,
    TransitionSystem,
)
from .errors import ModelError
from .values import FrozenMap


@dataclass
class Found:
    """Where a violation was found: at a state, or at a step out of a state."""

    property: str
    kind: str
    message: str
    state: int  # the state id where it holds (or the source of the failing step)
    step_index: int | None = None  # index of the offending step among the state's steps


@dataclass
class Graph:
    """The explored graph, kept only for liveness checking."""

    edges: list[list[tuple[int, int, int]]] = field(default_factory=list)  # (step idx, target, class)
    enabled: list[frozenset[int]] = field(default_factory=list)  # fair classes enabled per state
    classes: list[Any] = field(default_factory=list)  # class id -> class key
    predicate_bits: dict[str, list[tuple[bool, bool]]] = field(default_factory=dict)  # (P, Q)


@dataclass
class Exploration:
    states: list[Any]
    parents: array
    via: array
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

    @property
    def distinct_states(self) -> int:
        return len(self.states)

    def path_to(self, sid: int) -> list[int]:
        """The replay key of the BFS path to ``sid``: init index, then step indices."""
        return _path(self.parents, self.via, sid)

    def depth_of(self, sid: int) -> int:
        depth = 0
        while self.parents[sid] >= 0:
            sid = self.parents[sid]
            depth += 1
        return depth


def resident_bytes() -> int:
    """The checker's resident memory now (Linux /proc; 0 where that is not available)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _path(parents: array, via: array, sid: int) -> list[int]:
    key = []
    while sid >= 0:
        key.append(via[sid])
        sid = parents[sid]
    key.reverse()
    return key


def _unhashable(exc: TypeError, where: str) -> ModelError:
    return ModelError(f"the state reached by {where} is not hashable ({exc}); states must be "
                      "built from immutable values (tuple, frozenset, FrozenMap)")


def explore(system: TransitionSystem, options: Options,
            on_state: Callable[[int, Any], None] | None = None) -> Exploration:
    """Explore every state reachable within ``options.bounds``.

    ``on_state(id, state)``, when given, sees every distinct state once (tests use it
    to compare the reachable set against a reference explorer).
    """
    bounds = options.bounds
    started = time.perf_counter()
    props = list(system.properties)
    invariants = [p for p in props if p.kind == ALWAYS]
    sometimes = [p for p in props if p.kind == SOMETIMES]
    transitions_props = [p for p in props if p.kind == TRANSITION]
    liveness = [p for p in props if p.is_liveness] if options.check_liveness else []
    graph = Graph() if liveness or options.record_graph else None
    class_ids: dict[Any, int] = {}
    classify = system.fairness().classify if graph is not None else None

    seen: dict[Any, int] = {}
    states: list[Any] = []
    symmetric = system.reduces_symmetry
    canonical = system.canonical
    parents = array("q")
    via = array("l")
    found: dict[str, Found] = {}
    sometimes_seen: set[str] = set()
    coverage: dict[str, int] = {name: 0 for name in system.actions()}
    transitions = 0
    level_starts = [0]
    complete = True
    reason = ""

    def note(f: Found) -> None:
        if f.property not in found:
            found[f.property] = f

    def check_state(sid: int, state: Any) -> None:
        for p in invariants:
            if not _safely(p.check, state, p.name):
                note(Found(p.name, ALWAYS, _does_not_hold(p), sid))
        for p in sometimes:
            if p.name not in sometimes_seen and _safely(p.check, state, p.name):
                sometimes_seen.add(p.name)
        if graph is not None:
            for p in liveness:
                trig = _safely(p.trigger, state, p.name) if p.trigger is not None else None
                goal = _safely(p.check, state, p.name)
                graph.predicate_bits.setdefault(p.name, []).append((bool(trig), goal))
            graph.edges.append([])
            graph.enabled.append(frozenset())
        if on_state is not None:
            on_state(sid, state)

    def locate(exc: ModelError, sid: int) -> ModelError:
        """Say where bad input showed up: the step number and the path to that state."""
        key = _path(parents, via, sid)
        error = exc.within(step=len(key) - 1)
        error.replay_key = key  # type: ignore[attr-defined]
        return error

    def add(state: Any, parent: int, index: int, key: Any) -> int:
        # Under symmetry the seen-set holds orbit representatives but the state kept
        # and expanded is the one actually reached, so replaying its steps rebuilds it.
        sid = len(states)
        seen[key] = sid
        states.append(state)
        parents.append(parent)
        via.append(index)
        try:
            check_state(sid, state)
        except ModelError as exc:
            raise locate(exc, sid) from None
        return sid

    frontier: list[tuple[int, Any]] = []
    for i, state in enumerate(system.init_states()):
        try:
            key = canonical(state) if symmetric else state
            if key in seen:
                continue
        except TypeError as exc:
            raise _unhashable(exc, "the initial state") from None
        if bounds.max_states is not None and len(states) >= bounds.max_states:
            complete, reason = False, f"state bound {bounds.max_states} reached"
            break
        frontier.append((add(state, -1, i, key), state))

    depth = 0
    expanded = 0
    max_states = bounds.max_states
    deadline = started + bounds.max_seconds if bounds.max_seconds is not None else None
    watch_memory = bounds.max_memory_mb is not None
    next_report = started + options.progress_every
    while frontier:
        at_depth_bound = bounds.max_depth is not None and depth >= bounds.max_depth
        next_frontier: list[tuple[int, Any]] = []
        level_starts.append(len(states))
        for sid, state in frontier:
            try:
                succs = system.successors(state)
                if expanded < options.determinism_checks:
                    _check_deterministic(system, state, succs)
            except ModelError as exc:
                raise locate(exc.within(step=depth + 1), sid) from None
            expanded += 1
            if options.check_deadlock and not any(not s.is_fault for s, _ in succs):
                try:
                    final = system.is_final(state)
                except ModelError as exc:
                    raise locate(exc, sid) from None
                if not final:
                    note(Found("Deadlock", "deadlock",
                               "no step is enabled and this is not a declared final state", sid))
            enabled: set[int] = set()
            for k, (step, out) in enumerate(succs):
                transitions += 1
                coverage[step.action] = coverage.get(step.action, 0) + 1
                if classify is not None:
                    key = classify(step)
                    cid = -1
                    if key is not None:
                        cid = class_ids.setdefault(key, len(class_ids))
                        enabled.add(cid)
                if isinstance(out, ActionFailure):
                    note(Found(out.property_name, out.kind,
                               f"{step.who()} {step.label()}: {out.message}", sid, k))
                    continue
                try:
                    key = canonical(out) if symmetric else out
                    tid = seen.get(key)
                except TypeError as exc:
                    raise _unhashable(exc, f"{step.who()} {step.label()}").within(
                        step=depth + 1) from None
                if tid is None:
                    if at_depth_bound:
                        complete, reason = False, f"depth bound {bounds.max_depth} reached"
                        continue
                    if max_states is not None and len(states) >= max_states:
                        complete, reason = False, f"state bound {max_states} reached"
                        continue
                    tid = add(out, sid, k, key)
                    next_frontier.append((tid, out))
                for p in transitions_props:
                    try:
                        holds = _safely(p.check, (state, out), p.name, pair=True)
                    except ModelError as exc:
                        raise locate(exc, tid).within(action=f"{step.who()} {step.label()}") from None
                    if not holds:
                        note(Found(p.name, TRANSITION, f"{p.name} does not hold across "
                                   f"{step.who()} {step.label()}", sid, k))
                if graph is not None:
                    graph.edges[sid].append((k, tid, cid))
            if graph is not None:
                graph.enabled[sid] = frozenset(enabled)
            if (expanded & 255) == 0:
                now = time.perf_counter()
                if deadline is not None and now > deadline:
                    complete, reason = False, f"time bound {bounds.max_seconds:g}s reached"
                    next_frontier = []
                    break
                if watch_memory or (options.progress and now >= next_report):
                    rss = resident_bytes()
                    if options.progress and now >= next_report:
                        next_report = now + options.progress_every
                        options.progress(Progress(len(states), transitions,
                                                  len(frontier) + len(next_frontier), depth,
                                                  now - started, rss))
                    if watch_memory and rss > bounds.max_memory_mb * 2**20:  # type: ignore[operator]
                        complete = False
                        reason = (f"memory budget {bounds.max_memory_mb:g} MiB reached "
                                  f"({rss / 2**20:.0f} MiB resident)")
                        next_frontier = []
                        break
        if next_frontier:
            depth += 1
        frontier = next_frontier
    if level_starts[-1] == len(states):
        level_starts.pop()
    if graph is not None:
        graph.classes = [None] * len(class_ids)
        for key, cid in class_ids.items():
            graph.classes[cid] = key
    stored = _stored_bytes(seen, states, parents, via) if options.measure_memory else 0
    return Exploration(states, parents, via, level_starts, found, transitions, depth,
                       time.perf_counter() - started, coverage, complete, reason, sometimes_seen,
                       graph, stored)


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


def _does_not_hold(p: Any) -> str:
    doc = " ".join(p.doc.split("\n\n")[0].split()) if p.doc else ""
    return f"{p.name} does not hold" + (f" ({doc})" if doc else "")


def _safely(check: Callable[..., Any], arg: Any, name: str, pair: bool = False) -> bool:
    try:
        return bool(check(*arg) if pair else check(arg))
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"property {name} raised {type(exc).__name__}: {exc}; a property must "
                         "return True or False on every reachable state") from None


def _check_deterministic(system: TransitionSystem, state: Any,
                         first: list[tuple[Step, Any]]) -> None:
    """Compute the successors again and insist on the same steps and outcomes.

    A model that reads a clock, a random generator or a global counter would
    make traces that do not replay and state counts that vary between runs.
    """
    second = system.successors(state)
    for i in range(max(len(first), len(second))):
        a = first[i] if i < len(first) else None
        b = second[i] if i < len(second) else None
        if a == b:
            continue
        step = (a or b)[0]  # type: ignore[index]
        what = f"{step.who()} {step.label()}"
        if a is None or b is None or a[0] != b[0]:
            detail = (f"the enabled steps differ between two runs from the same state "
                      f"({a[0].label() if a else 'nothing'} vs {b[0].label() if b else 'nothing'})")
        else:
            detail = _diff_outcomes(system, a[1], b[1])
        raise ModelError(f"{what} is not deterministic: {detail}; actions must depend only on "
                         "the state, their parameters and choose()", action=what)


def _diff_outcomes(system: TransitionSystem, x: Any, y: Any) -> str:
    if isinstance(x, ActionFailure) or isinstance(y, ActionFailure):
        return f"two runs from the same state gave {x!r} and {y!r}"
    dx, dy = system.describe(x), system.describe(y)
    for key in dx:
        if dx[key] != dy.get(key):
            return f"two runs from the same state set {key} to {dx[key]!r} and {dy.get(key)!r}"
    return "two runs from the same state gave different successors"
