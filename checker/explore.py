"""Breadth-first exploration with exact deduplication.

States are visited level by level, so the first violation of each property found
is at the smallest depth: counterexamples are shortest. The seen-set maps each
state to an id; for each id the explorer keeps its parent id and the index of the
step that reached it, and traces are rebuilt by replaying those steps (see
:mod:`lifecheck.trace`). The full graph is recorded only when a liveness property
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

from .checkpoint import load_checkpoint, run_signature, save_checkpoint
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
from .execution import as_bool
from .seen import FingerprintTable
from .stable_hash import Fingerprinter
from .typed_values import same_typed
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
    resumed_at: int = 0  # distinct states already found by the run this one resumed
    count: int = -1  # distinct states (states holds them all unless fingerprints were used)
    fingerprints: bool = False  # the seen-set held 64-bit fingerprints, not states

    @property
    def distinct_states(self) -> int:
        return self.count if self.count >= 0 else len(self.states)

    def path_to(self, sid: int) -> list[int]:
        """The replay key of the BFS path to ``sid``: init index, then step indices."""
        return path_key(self.parents, self.via, sid)

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


def path_key(parents: array, via: array, sid: int) -> list[int]:
    key = []
    while sid >= 0:
        key.append(via[sid])
        sid = parents[sid]
    key.reverse()
    return key


def unhashable(exc: TypeError, where: str) -> ModelError:
    return ModelError(f"the state reached by {where} is not hashable ({exc}); states must be "
                      "built from immutable values (tuple, frozenset, FrozenMap)")


def explore(system: TransitionSystem, options: Options,
            on_state: Callable[[int, Any], None] | None = None) -> Exploration:
    """Explore every state reachable within ``options.bounds``.

    ``on_state(id, state)``, when given, sees every distinct state once (tests use it
    to compare the reachable set against a reference explorer). With
    ``options.checkpoint`` set, the run saves itself at level boundaries and, if that
    file already holds a run of the same system, resumes from it.
    """
    run = _Run(system, options, on_state)
    saved = load_checkpoint(options.checkpoint, run.signature) if options.checkpoint else None
    if saved is not None:
        run.restore(saved)
        run.resumed_at = len(run.states)
    else:
        run.start()
    last_saved = time.perf_counter()
    while run.frontier and not run.stopped:
        if options.checkpoint and time.perf_counter() - last_saved >= options.checkpoint_every:
            save_checkpoint(options.checkpoint, run.signature, run.snapshot())
            last_saved = time.perf_counter()
        run.level()
    return run.finish()


class _Run:
    """One exploration, as data that can be saved between two BFS levels and resumed."""

    SAVED = ("seen", "states", "count", "parents", "via", "found", "sometimes_seen", "coverage",
             "transitions", "level_starts", "complete", "reason", "graph", "class_ids",
             "frontier", "depth", "expanded", "elapsed", "types", "canons")

    def __init__(self, system: TransitionSystem, options: Options,
                 on_state: Callable[[int, Any], None] | None) -> None:
        self.system = system
        self.options = options
        self.bounds = options.bounds
        self.on_state = on_state
        self.started = time.perf_counter()
        props = list(system.properties)
        self.invariants = [p for p in props if p.kind == ALWAYS]
        self.sometimes = [p for p in props if p.kind == SOMETIMES]
        self.transition_props = [p for p in props if p.kind == TRANSITION]
        self.liveness = [p for p in props if p.is_liveness] if options.check_liveness else []
        self.graph = Graph() if self.liveness or options.record_graph else None
        self.class_ids: dict[Any, int] = {}
        self.classify = system.fairness().classify if self.graph is not None else None
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
        self.signature = run_signature(system, options, "bfs")
        # Keys tell 0 from False: a state's own typed parts, or its typed fingerprint.
        self.state_key = system.state_key
        self.typing_version = system.typing_version
        self.canons: list[Any] = []  # under symmetry, each kept state's representative

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

    def snapshot(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.SAVED}
        data["elapsed"] = self.elapsed + time.perf_counter() - self.started
        return data

    def restore(self, data: dict[str, Any]) -> None:
        for name in self.SAVED:
            setattr(self, name, data[name])
        self.started = time.perf_counter()

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

    def note(self, f: Found) -> None:
        if f.property not in self.found:
            self.found[f.property] = f

    def check_state(self, sid: int, state: Any) -> None:
        for p in self.invariants:
            if not safely(p.check, state, p.name):
                self.note(Found(p.name, ALWAYS, does_not_hold(p), sid))
        for p in self.sometimes:
            if p.name not in self.sometimes_seen and safely(p.check, state, p.name):
                self.sometimes_seen.add(p.name)
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
        key = path_key(self.parents, self.via, sid)
        error = exc.within(step=len(key) - 1)
        error.replay_key = key  # type: ignore[attr-defined]
        return error

    def locate_step(self, exc: ModelError, sid: int, k: int) -> ModelError:
        """Say where bad input showed up on the step ``k`` out of state ``sid``."""
        key = [*path_key(self.parents, self.via, sid), k]
        error = exc.within(step=len(key) - 1)
        error.replay_key = key  # type: ignore[attr-defined]
        return error

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
                self.complete, self.reason = False, f"state bound {bounds.max_states} reached"
                break
            self.frontier.append((self.add(state, -1, i, key, canon), state))

    def level(self) -> None:
        """Expand every state of the frontier: one BFS level."""
        system, options, bounds, graph = self.system, self.options, self.bounds, self.graph
        classify, find = self.classify, self.find
        coverage, class_ids = self.coverage, self.class_ids
        depth = self.depth
        at_depth_bound = bounds.max_depth is not None and depth >= bounds.max_depth
        max_states = bounds.max_states
        deadline = (self.started + bounds.max_seconds - self.elapsed
                    if bounds.max_seconds is not None else None)
        next_frontier: list[tuple[int, Any]] = []
        self.level_starts.append(self.count)
        for sid, state in self.frontier:
            try:
                succs = system.successors(state)
                audit(system, options, self.expanded, state, succs)
            except ModelError as exc:
                raise self.locate(exc.within(step=depth + 1), sid) from None
            self.expanded += 1
            if options.check_deadlock and not any(not s.is_fault for s, _ in succs):
                try:
                    final = system.is_final(state)
                except ModelError as exc:
                    raise self.locate(exc, sid) from None
                if not final:
                    self.note(Found("Deadlock", "deadlock",
                                    "no step is enabled and this is not a declared final state",
                                    sid))
            enabled: set[int] = set()
            for k, (step, out) in enumerate(succs):
                self.transitions += 1
                coverage[step.action] = coverage.get(step.action, 0) + 1
                cid = -1
                if classify is not None:
                    fair_class = classify(step)
                    if fair_class is not None:
                        cid = class_ids.setdefault(fair_class, len(class_ids))
                        enabled.add(cid)
                if isinstance(out, ActionFailure):
                    self.note(Found(out.property_name, out.kind,
                                    f"{step.who()} {step.label()}: {out.message}", sid, k))
                    continue
                try:
                    key, canon, tid = find(out)
                except TypeError as exc:
                    raise unhashable(exc, f"{step.who()} {step.label()}").within(
                        step=depth + 1) from None
                # Every step out of an explored state is checked, wherever it leads; a
                # bound only keeps the states beyond it from being explored.
                for p in self.transition_props:
                    try:
                        holds = safely(p.check, (state, out), p.name, pair=True)
                    except ModelError as exc:
                        raise self.locate_step(exc, sid, k).within(
                            action=f"{step.who()} {step.label()}") from None
                    if not holds:
                        self.note(Found(p.name, TRANSITION, f"{p.name} does not hold across "
                                        f"{step.who()} {step.label()}", sid, k))
                if tid is None:
                    if at_depth_bound:
                        self.complete = False
                        self.reason = f"depth bound {bounds.max_depth} reached"
                        continue
                    if max_states is not None and self.count >= max_states:
                        self.complete, self.reason = False, f"state bound {max_states} reached"
                        continue
                    tid = self.add(out, sid, k, key, canon)
                    next_frontier.append((tid, out))
                if graph is not None:
                    graph.edges[sid].append((k, tid, cid))
            if graph is not None:
                graph.enabled[sid] = frozenset(enabled)
            if (self.expanded & 255) == 0 and self._must_stop(deadline, len(next_frontier)):
                next_frontier = []
                break
        if next_frontier:
            self.depth += 1
        self.frontier = next_frontier

    def _must_stop(self, deadline: float | None, pending: int) -> bool:
        """Bounds on time and memory, and the progress line: checked every 256 states."""
        reason, self.next_report = watch_run(
            self.options, deadline, self.next_report,
            lambda rss, now: Progress(self.count, self.transitions, len(self.frontier) + pending,
                                      self.depth, self.elapsed + now - self.started, rss))
        if reason:
            self.complete, self.reason, self.stopped = False, reason, True
        return bool(reason)

    def finish(self) -> Exploration:
        states, graph = self.states, self.graph
        if self.level_starts[-1] == self.count:
            self.level_starts.pop()
        if graph is not None:
            graph.classes = [None] * len(self.class_ids)
            for key, cid in self.class_ids.items():
                graph.classes[cid] = key
        if not self.options.measure_memory:
            stored = 0
        elif self.compact:
            stored = self.seen.nbytes + sum(a.itemsize * len(a) for a in (self.parents, self.via))
        else:
            stored = _stored_bytes(self.seen, states, self.parents, self.via)
        seconds = self.elapsed + time.perf_counter() - self.started
        return Exploration(states, self.parents, self.via, self.level_starts, self.found,
                           self.transitions, self.depth, seconds, self.coverage, self.complete,
                           self.reason, self.sometimes_seen, graph, stored, self.resumed_at,
                           self.count, self.compact)


def watch_run(options: Options, deadline: float | None, next_report: float,
              progress: Callable[[int, float], Progress]) -> tuple[str, float]:
    """Why a long run must stop now (a time or memory bound), or ""; and when to report next.

    Prints the progress line through ``options.progress`` when it is due;
    ``progress(rss, now)`` builds it only then.
    """
    bounds = options.bounds
    now = time.perf_counter()
    if deadline is not None and now > deadline:
        return f"time bound {bounds.max_seconds:g}s reached", next_report
    report = options.progress is not None and now >= next_report
    if not (bounds.max_memory_mb is not None or report):
        return "", next_report
    rss = resident_bytes()
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


def does_not_hold(p: Any) -> str:
    doc = " ".join(p.doc.split("\n\n")[0].split()) if p.doc else ""
    return f"{p.name} does not hold" + (f" ({doc})" if doc else "")


def safely(check: Callable[..., Any], arg: Any, name: str, pair: bool = False) -> bool:
    where = f"property {name}"
    try:
        value = check(*arg) if pair else check(arg)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"{where} raised {type(exc).__name__}: {exc}; a property must "
                         "return True or False on every reachable state") from None
    return as_bool(value, where)


def audit(system: TransitionSystem, options: Options, n: int, state: Any,
          succs: list[tuple[Step, Any]]) -> None:
    """Checks of the model itself, on the ``n``-th state expanded: every one of the first
    ``options.determinism_checks``, then one in ``options.audit_every``, at every depth.

    Its successors are computed again and must be the same (determinism), and under
    symmetry reduction swapping two interchangeable processes must commute with its
    steps and properties. Both are properties of the model, not of one state, which
    a sample catches without paying for every state.
    """
    every = options.audit_every
    if n < options.determinism_checks or (every and n % every == every - 1):
        check_deterministic(system, state, succs)
        if system.reduces_symmetry:
            system.check_symmetry(state, succs)


def check_deterministic(system: TransitionSystem, state: Any,
                         first: list[tuple[Step, Any]]) -> None:
    """Compute the successors again and insist on the same steps and outcomes.

    A model that reads a clock, a random generator or a global counter would
    make traces that do not replay and state counts that vary between runs.
    """
    second = system.successors(state)
    for i in range(max(len(first), len(second))):
        a = first[i] if i < len(first) else None
        b = second[i] if i < len(second) else None
        if a is not None and b is not None and a[0] == b[0] and same_typed(a[1], b[1]):
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
        if not same_typed(dx[key], dy.get(key)):
            return f"two runs from the same state set {key} to {dx[key]!r} and {dy.get(key)!r}"
    return "two runs from the same state gave different successors"
