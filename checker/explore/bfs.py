"""Breadth-first exploration with exact deduplication.

States are visited level by level, so the first violation of each property found
is at the smallest depth: counterexamples are shortest. The seen-set maps each
state to an id; for each id the explorer keeps its parent id and the index of the
step that reached it, and traces are rebuilt by replaying those steps (see
:mod:`lifecheck.replay`). The full graph is recorded only when a liveness property
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

import time
from array import array
from collections.abc import Callable
from typing import Any

from lifecheck.contract import (
    ActionFailure,
    Options,
    TransitionSystem,
)
from lifecheck.errors import ModelError
from lifecheck.explore.checks import (
    Checks,
    Found,
    audit,
    deadlock,
    depth_bound,
    failed_step,
    safely,
    state_bound,
    stuck,
    unhashable,
)
from lifecheck.explore.exploration import Exploration, Graph, _stored_bytes, path_key
from lifecheck.explore.search import Search
from lifecheck.explore.seen import FingerprintTable
from lifecheck.explore.stable_hash import Fingerprinter
from lifecheck.modelling.straight import straight_predicates, straight_successors


def explore(system: TransitionSystem, options: Options,
            on_state: Callable[[int, Any], None] | None = None,
            straight: bool = False) -> Exploration:
    """Explore every state reachable within ``options.bounds``.

    ``on_state(id, state)``, when given, sees every distinct state once (tests use it
    to compare the reachable set against a reference explorer). With
    ``options.checkpoint`` set, the run saves itself at level boundaries and, if that
    file already holds a run of the same system, resumes from it.
    """
    run = _Run(system, options, on_state)
    if straight:
        run.straight_from = options.handover
    return run.run()


class _Run(Search):
    """One breadth-first exploration, state by state (see :class:`~lifecheck.explore.search.Search`)."""

    ENGINE = "bfs"

    SAVED = ("seen", "states", "count", "parents", "via", "found", "sometimes_seen", "coverage",
             "transitions", "level_starts", "complete", "reason", "graph", "class_ids",
             "frontier", "depth", "expanded", "elapsed", "types", "canons", "outside")

    def __init__(self, system: TransitionSystem, options: Options,
                 on_state: Callable[[int, Any], None] | None) -> None:
        self.system = system
        # The reference runs every step as written; the default engine's bfs phase
        # runs plain actions as translated code (lifecheck.modelling.straight) from the
        # first level that starts with ``straight_from`` states: a smaller run, where
        # translating would not pay, is run as the reference runs it.
        self.successors = system.successors
        self.straight_from: int | None = None
        self.options = options
        self.bounds = options.bounds
        self.on_state = on_state
        self.started = time.perf_counter()
        props = list(system.properties)
        self.checks = Checks(system)
        self.liveness = [p for p in props if p.is_liveness] if options.check_liveness else []
        self.graph = Graph() if self.liveness or options.record_graph else None
        self.class_ids: dict[Any, int] = {}
        self.fairness = system.fairness() if self.graph is not None else None
        self.classify = self.fairness.classify if self.fairness is not None else None
        self.symmetric = system.reduces_symmetry
        self.canonical = system.canonical
        # Exact by default: the seen-set holds the states. With options.fingerprints (and
        # no graph to keep) it holds 64-bit fingerprints only, and states live only as
        # long as they are on the frontier.
        self.compact = options.fingerprints and self.graph is None
        self.seen: Any = FingerprintTable() if self.compact else {}
        self.fingerprint = Fingerprinter() if self.compact else None
        self.states: list[Any] = []
        self.count = 0
        self.parents = array("i")  # 4 bytes: up to 2^31 states
        self.via = array("I")  # 4 bytes: the index of the step among its state's steps
        self.found: dict[str, Found] = {}
        self.sometimes_seen: set[str] = set()
        self.coverage: dict[str, int] = {name: 0 for name in system.actions()}
        self.transitions = 0
        self.outside = 0  # steps that left the spec's constraints
        self.level_starts = [0]
        self.complete = True
        self.reason = ""
        self.frontier: list[tuple[int, Any]] = []
        self.depth = 0
        self.expanded = 0
        self.elapsed = 0.0  # seconds spent by earlier runs this one resumes
        self.stopped = False
        self.resumed_at = 0
        self.next_report = self.started + options.progress_every
        self.sign()
        # Keys tell 0 from False: a state's own typed parts, or its typed fingerprint.
        self.state_key = system.state_key
        self.typing_version = system.typing_version
        self.canons: list[Any] = []  # under symmetry, each kept state's representative

    def go_straight(self) -> None:
        """Run actions and state properties as translated code where they translate (the
        default engine; the reference runs everything as written)."""
        self.successors = straight_successors(self.system)
        self.checks = Checks(self.system, straight_predicates(self.system))
        self.straight_from = None

    # -- saving and resuming ----------------------------------------------------------
    @property
    def types(self) -> Any:
        """The fields keyed by type (saved with the run: the seen-set is keyed so)."""
        typed = getattr(self.system, "typed", None)
        return sorted(typed.columns) if typed is not None else None

    @types.setter
    def types(self, saved: Any) -> None:
        typed = getattr(self.system, "typed", None)
        if typed is not None and saved:
            typed.mark(saved)
        self.typing_version = self.system.typing_version

    def resumed_count(self) -> int:
        return len(self.states)

    def pending(self) -> bool:
        return bool(self.frontier)

    def advance(self, until: float | None) -> None:
        """Levels until the frontier is empty, a bound stops the run, the run hands over, or
        ``until`` (a checkpoint is due)."""
        self.levels(until, once=False)

    def level(self) -> None:
        """Expand every state of the frontier: one BFS level."""
        self.levels(None, once=True)

    def frontier_size(self, pending: int) -> int:
        return len(self.frontier) + pending

    # -- the exploration ----------------------------------------------------------------
    def find(self, state: Any) -> tuple[Any, Any, int | None]:
        """The seen-set's key for ``state``, its orbit representative, and the id of the
        state held under that key (None: new; -1: seen, as a fingerprint).

        A hit is confirmed: the state held and this one compare equal, and must also
        have the same types (0 is not False); where they do not, those fields are keyed
        by type from now on and the lookup is done again (see lifecheck.typed_values).
        """
        while True:
            canon = self.canonical(state) if self.symmetric else state
            if self.compact:  # typed fingerprints: no two types share one
                key = self.fingerprint(canon)  # type: ignore[misc]
                return key, canon, -1 if key in self.seen else None
            key = self.state_key(canon)
            tid = self.seen.get(key)
            if tid is None:
                return key, canon, None
            held = self.canons[tid] if self.symmetric else self.states[tid]
            if held is canon or not self.system.type_clashes(held, canon):
                return key, canon, tid
            self.retype()

    def retype(self) -> None:
        """More fields now hold values of different types that compare equal (0, False):
        key them by type from now on, and re-key the states kept."""
        version = self.system.typing_version
        if version == self.typing_version:
            return
        self.typing_version = version
        if not self.compact and self.states:
            if self.symmetric:
                self.canons = [self.canonical(state) for state in self.states]
            key = self.state_key
            self.seen = {key(canon): sid for sid, canon in
                         enumerate(self.canons if self.symmetric else self.states)}

    def check_state(self, sid: int, state: Any) -> None:
        for broken in self.checks.broken(state):
            self.note(Found(*broken, sid))
        self.checks.witness(state, self.sometimes_seen)
        graph = self.graph
        if graph is not None:
            for p in self.liveness:
                trig = safely(p.trigger, state, p.name) if p.trigger is not None else None
                goal = safely(p.check, state, p.name)
                graph.predicate_bits.setdefault(p.name, []).append((bool(trig), goal))
            graph.edges.append([])
            graph.enabled.append(frozenset())
        if self.on_state is not None:
            self.on_state(sid, state)

    def locate(self, exc: ModelError, sid: int) -> ModelError:
        """Say where bad input showed up: the step number and the path to that state."""
        return exc.at(path_key(self.parents, self.via, sid))

    def locate_step(self, exc: ModelError, sid: int, k: int) -> ModelError:
        """Say where bad input showed up on the step ``k`` out of state ``sid``."""
        return exc.at([*path_key(self.parents, self.via, sid), k])

    def add(self, state: Any, parent: int, index: int, key: Any, canon: Any) -> int:
        # Under symmetry the seen-set holds orbit representatives but the state kept
        # and expanded is the one actually reached, so replaying its steps rebuilds it.
        sid = self.count
        self.count += 1
        if self.compact:
            self.seen.add(key)
        else:
            self.seen[key] = sid
            self.states.append(state)
            if self.symmetric:
                self.canons.append(canon)
        self.parents.append(parent)
        self.via.append(index)
        try:
            self.check_state(sid, state)
        except ModelError as exc:
            raise self.locate(exc, sid) from None
        return sid

    def start(self) -> None:
        bounds = self.bounds
        for i, state in enumerate(self.system.init_states()):
            try:
                key, canon, tid = self.find(state)
                if tid is not None:
                    continue
            except TypeError as exc:
                raise unhashable(exc, "the initial state") from None
            if bounds.max_states is not None and self.count >= bounds.max_states:
                self.complete, self.reason = False, state_bound(bounds.max_states)
                break
            self.frontier.append((self.add(state, -1, i, key, canon), state))

    def levels(self, until: float | None, once: bool) -> None:
        """One level (``once``), or levels as :meth:`advance` says. One loop for them all,
        so that what stays the same from level to level is looked up once: a thin state
        space (a chain of one state a level) pays for that per state."""
        system, options, bounds, graph = self.system, self.options, self.bounds, self.graph
        classify, find = self.classify, self.find
        coverage, class_ids = self.coverage, self.class_ids
        transition_props = bool(self.checks.transitions)
        constrained = system.constraint is not None
        max_states, max_depth = bounds.max_states, bounds.max_depth
        add, check_deadlock = self.add, options.check_deadlock
        # The seen-set looked up here where it holds the states themselves, as find does.
        plain = not (self.symmetric or self.compact)
        state_key, states = self.state_key, self.states
        while True:
            depth = self.depth
            at_depth_bound = max_depth is not None and depth >= max_depth
            next_frontier: list[tuple[int, Any]] = []
            if self.straight_from is not None and self.count >= self.straight_from:
                self.go_straight()  # (both run every step alike: tests/unit/test_straight.py)
            self.level_starts.append(self.count)
            successors, seen = self.successors, self.seen
            for sid, state in self.frontier:
                try:
                    succs = successors(state)
                    audit(system, options, self.expanded, state, succs)
                except ModelError as exc:
                    raise self.locate(exc.within(step=depth + 1), sid) from None
                self.expanded += 1
                if check_deadlock:
                    try:
                        if stuck(system, state, succs):
                            self.note(Found(*deadlock(), sid))
                    except ModelError as exc:
                        raise self.locate(exc, sid) from None
                self.transitions += len(succs)
                enabled: set[int] | None = set() if graph is not None else None
                for k, (step, out) in enumerate(succs):
                    action = step.action
                    coverage[action] = coverage.get(action, 0) + 1
                    cid = -1
                    if classify is not None:
                        fair_class = classify(step)
                        if fair_class is not None:
                            cid = class_ids.setdefault(fair_class, len(class_ids))
                            enabled.add(cid)  # type: ignore[union-attr]
                    if isinstance(out, ActionFailure):
                        self.note(Found(*failed_step(step, out), sid, k))
                        continue
                    # Every step out of an explored state is checked, wherever it leads; a
                    # bound only keeps the states beyond it from being explored.
                    if transition_props:
                        try:
                            broken = self.checks.across(state, step, out)
                        except ModelError as exc:
                            raise self.locate_step(exc, sid, k).within(
                                action=f"{step.who()} {step.label()}") from None
                        for f in broken:
                            self.note(Found(*f, sid, k))
                    if constrained and self.outside_constraint(sid, k, state, step, out):
                        continue
                    try:
                        if plain:
                            key = state_key(out)
                            tid = seen.get(key)
                            if tid is not None and states[tid] is not out:
                                key, canon, tid = find(out)  # (confirms the types: find)
                                seen = self.seen  # (re-keyed where they clashed)
                            canon = out
                        else:
                            key, canon, tid = find(out)
                    except TypeError as exc:
                        raise unhashable(exc, f"{step.who()} {step.label()}").within(
                            step=depth + 1) from None
                    if tid is None:
                        if at_depth_bound:
                            self.complete = False
                            self.reason = depth_bound(max_depth)
                            continue
                        if max_states is not None and self.count >= max_states:
                            self.complete, self.reason = False, state_bound(max_states)
                            continue
                        tid = add(out, sid, k, key, canon)
                        next_frontier.append((tid, out))
                    if graph is not None:
                        graph.edges[sid].append((k, tid, cid))
                if graph is not None:
                    graph.enabled[sid] = frozenset(enabled)  # type: ignore[arg-type]
                if (self.expanded & 255) == 0 and self.must_stop(len(next_frontier)):
                    next_frontier = []
                    break
            if next_frontier:
                self.depth += 1
            self.frontier = next_frontier
            if once or not next_frontier or self.stopped or self.hands_over() or \
                    (until is not None and time.perf_counter() >= until):
                return

    def finish(self) -> Exploration:
        states, graph = self.states, self.graph
        if self.level_starts[-1] == self.count:
            self.level_starts.pop()
        if graph is not None:
            assert self.fairness is not None
            graph.name_classes(self.class_ids, self.fairness.is_strong)
        # The search's time, not the walk that measures what its exact states hold.
        seconds = self.elapsed + time.perf_counter() - self.started
        if not self.options.measure_memory:
            stored = 0
        elif self.compact:
            stored = self.seen.nbytes + sum(a.itemsize * len(a) for a in (self.parents, self.via))
        else:
            stored = _stored_bytes(self.seen, states, self.parents, self.via)
        return Exploration(states, self.parents, self.via, self.level_starts, self.found,
                           self.transitions, self.depth, seconds, self.coverage, self.complete,
                           self.reason, self.sometimes_seen, graph, stored, self.resumed_at,
                           self.count, self.compact, outside=self.outside)
