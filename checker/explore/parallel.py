"""Parallel exploration on one machine: worker processes own partitions of the states.

Each worker owns the states whose key hashes to its partition: it keeps their
seen-set, their parent references and its share of the frontier. The search goes
level by level, as the sequential explorer does, so the first violation of each
property is still found at the smallest depth and counterexamples stay shortest
(TLC with several workers loses this; a level barrier keeps it). In a level each
worker expands its frontier and sends every successor to the worker that owns it;
each owner then deduplicates what it received in a fixed order (sender by sender,
in the order sent), so the run is deterministic and its distinct states are
exactly the sequential explorer's.

Workers are forked after the model is compiled, so they share it without any
pickling, and Python's hash (the partition function) agrees between them. What
crosses a process boundary per state is the state itself, its parent reference
(worker, index) and the step index. Deduplication is exact (states, not
fingerprints).

Liveness needs the whole graph in one place, so a spec that checks liveness is
refused here with a message; safety properties, deadlocks, failing actions,
symmetry and the depth and time bounds all work as in the sequential explorer.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import pickle
import time
import traceback
from dataclasses import replace
from typing import Any, Protocol

from lifecheck.contract import ActionFailure, Options, TransitionSystem
from lifecheck.errors import EngineRefused, ModelError
from lifecheck.explore.checks import (
    Checks,
    Found,
    audit,
    deadlock,
    depth_bound,
    time_bound,
)
from lifecheck.explore.engines import team_refusal
from lifecheck.explore.exploration import Exploration
from lifecheck.explore.stable_hash import PartHasher
from lifecheck.typed_values import same_typed

Ref = tuple[int, int]  # (worker, index of the state in that worker)


def explore_parallel(system: TransitionSystem, options: Options, workers: int = 2
                     ) -> Exploration:
    why = team_refusal(system, replace(options, workers=workers))
    if why is not None:
        raise EngineRefused(why)
    with _ForkedWorkers(system, options, workers) as team:
        return coordinate(system, options, team)


class Team(Protocol):
    """How the coordinator talks to its workers: forked processes or Ray actors."""

    size: int

    def all(self, command: str, args: list[tuple]) -> list[Any]:
        """Send ``command`` with ``args[w]`` to each worker w; their replies, in order."""

    def one(self, worker: int, command: str, *args: Any) -> Any:
        """Ask one worker and wait for its reply."""


class _ForkedWorkers:
    """Worker processes forked from this one, one pipe each."""

    def __init__(self, system: TransitionSystem, options: Options, size: int) -> None:
        self.size = size
        ctx = mp.get_context("fork")
        self.pipes: list[Any] = []
        self.procs: list[Any] = []
        for w in range(size):
            here, there = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, args=(system, options, w, size, there),
                               daemon=True)
            proc.start()
            there.close()
            self.pipes.append(here)
            self.procs.append(proc)

    def __enter__(self) -> _ForkedWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(BrokenPipeError, OSError):
                pipe.send(("stop",))
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()

    def all(self, command: str, args: list[tuple]) -> list[Any]:
        for pipe, a in zip(self.pipes, args, strict=True):
            pipe.send((command, *a))
        return [_answer(pipe) for pipe in self.pipes]

    def one(self, worker: int, command: str, *args: Any) -> Any:
        self.pipes[worker].send((command, *args))
        return _answer(self.pipes[worker])


def _answer(pipe: Any) -> Any:
    reply = pipe.recv()
    if reply[0] == "error":
        raise worker_error(reply[1], reply[2])
    return reply[1]


def worker_error(message: str, failed_at: Ref | None) -> ModelError:
    error = ModelError(message)
    if failed_at is not None:
        error.failed_at = failed_at
    return error


def coordinate(system: TransitionSystem, options: Options, team: Team) -> Exploration:
    """Run the level-synchronous search on a team of workers (processes or actors)."""
    started = time.perf_counter()
    bounds = options.bounds
    workers = team.size
    inits = list(system.init_states())
    found: dict[str, Found] = {}
    sometimes_seen: set[str] = set()
    coverage: dict[str, int] = {name: 0 for name in system.actions()}
    totals = [0] * workers
    transitions = 0
    frontier = 0
    depth = 0
    complete, reason = True, ""
    deadline = started + bounds.max_seconds if bounds.max_seconds is not None else None
    try:
        # Every worker sees every initial state and keeps the ones it owns.
        for w, report in enumerate(team.all("init", [(inits,)] * workers)):
            totals[w] = report["states"]
            frontier += report["new"]
            _merge(found, report["found"])
            sometimes_seen |= report["sometimes"]
        while frontier:
            at_bound = bounds.max_depth is not None and depth >= bounds.max_depth
            # Phase 1: every worker expands its frontier and hands back what others own.
            outboxes = []
            for report in team.all("expand", [(depth,)] * workers):
                transitions += report["transitions"]
                for name, n in report["coverage"].items():
                    coverage[name] = coverage.get(name, 0) + n
                _merge(found, report["found"])
                outboxes.append(report["outbox"])
            # Phase 2: each owner absorbs, sender by sender, in the order sent.
            inboxes = [([outboxes[src][w] for src in range(workers)], at_bound, depth + 1)
                       for w in range(workers)]
            frontier = 0
            for w, report in enumerate(team.all("absorb", inboxes)):
                totals[w] = report["states"]
                frontier += report["new"]
                _merge(found, report["found"])
                sometimes_seen |= report["sometimes"]
                if report["blocked"]:
                    complete, reason = False, depth_bound(bounds.max_depth)
            if frontier:
                depth += 1
            if deadline is not None and time.perf_counter() > deadline:
                complete, reason = False, time_bound(bounds.max_seconds)
                break
    except ModelError as exc:
        ref = exc.failed_at
        if ref is not None:
            key = _path(team, ref)
            exc = exc.at(key)
        raise exc from None
    keys = {}
    for name, f in found.items():
        key = _path(team, f.state)
        if f.step_index is not None:
            key.append(f.step_index)
        keys[name] = key
    return Exploration(states=[], parents=None, via=None, level_starts=[], found=found,
                       transitions=transitions, depth=depth,
                       seconds=time.perf_counter() - started, coverage=coverage, complete=complete,
                       incomplete_reason=reason, sometimes_seen=sometimes_seen, graph=None,
                       stored_bytes=0, count=sum(totals), keys=keys, workers=workers,
                       per_worker=totals)


def _merge(found: dict[str, Found], new: list[Found]) -> None:
    """Keep, per property, the violation at the smallest depth (then the first worker's)."""
    for f in new:
        old = found.get(f.property)
        if old is None or (f.depth, f.state) < (old.depth, old.state):
            found[f.property] = f


def _path(team: Team, ref: Ref) -> list[int]:
    """The replay key of a state: follow parent references from worker to worker."""
    key = []
    while True:
        parent, via = team.one(ref[0], "parent", ref[1])
        key.append(via)
        if parent is None:
            break
        ref = parent
    key.reverse()
    return key


# -- the worker ------------------------------------------------------------------------
class _Partition:
    """The states one worker owns, and its share of each level."""

    def __init__(self, system: TransitionSystem, options: Options, me: int, workers: int,
                 stable_partitions: bool = False) -> None:
        self.system = system
        # Forked workers agree on Python's hash (same salt, same addresses); processes
        # started apart (Ray actors) need a hash that does not depend on the process.
        self.hasher: Any = PartHasher() if stable_partitions else hash
        self.options = options
        self.me = me
        self.workers = workers
        self.checks = Checks(system)
        self.seen: dict[Any, int] = {}
        self.typing_version = system.typing_version
        self.states: list[Any] = []
        self.canons: list[Any] = []  # under symmetry, each owned state's representative
        self.parents: list[Ref | None] = []
        self.via: list[int] = []
        self.frontier: list[int] = []
        self.sometimes_seen: set[str] = set()
        self.expanded = 0

    def owner(self, canon: Any) -> int:
        """The worker that owns a state, from its (orbit representative's) plain value:
        equal states of different types go to one owner, which tells them apart."""
        return self.hasher(canon) % self.workers

    def canon(self, state: Any) -> Any:
        return self.system.canonical(state) if self.system.reduces_symmetry else state

    def lookup(self, canon: Any) -> tuple[Any, int | None]:
        """The seen-set's key for a state's representative and the id held under it, a hit
        confirmed to have the same types (0 is not False; see lifecheck.typed_values)."""
        system = self.system
        while True:
            key = system.state_key(canon)
            sid = self.seen.get(key)
            if sid is None:
                return key, None
            held = self.canons[sid] if system.reduces_symmetry else self.states[sid]
            if held is canon or not system.type_clashes(held, canon):
                return key, sid
            self.retype()

    def retype(self) -> None:
        """Key the seen-set by type where 0 and False have now met (see lifecheck.typed_values).
        Owners decide alone: every state has one owner, chosen from its plain value."""
        if self.system.typing_version != self.typing_version:
            self.typing_version = self.system.typing_version
            key = self.system.state_key
            if self.system.reduces_symmetry:
                self.canons = [self.canon(s) for s in self.states]
            self.seen = {key(c): sid for sid, c in enumerate(
                self.canons if self.system.reduces_symmetry else self.states)}

    def add(self, state: Any, key: Any, canon: Any, parent: Ref | None, via: int, depth: int,
            found: list[Found]) -> None:
        sid = len(self.states)
        self.seen[key] = sid
        self.states.append(state)
        if self.system.reduces_symmetry:
            self.canons.append(canon)
        self.parents.append(parent)
        self.via.append(via)
        self.frontier.append(sid)
        try:
            found.extend(Found(*broken, (self.me, sid), None, depth)
                         for broken in self.checks.broken(state))
            self.checks.witness(state, self.sometimes_seen)
        except ModelError as exc:
            exc.failed_at = (self.me, sid)
            raise

    def init(self, inits: list[Any]) -> dict[str, Any]:
        found: list[Found] = []
        for index, state in enumerate(inits):
            canon = self.canon(state)
            if self.owner(canon) == self.me:
                key, sid = self.lookup(canon)
                if sid is None:
                    self.add(state, key, canon, None, index, 0, found)
        return {"states": len(self.states), "new": len(self.frontier), "found": found,
                "sometimes": set(self.sometimes_seen)}

    def expand(self, depth: int) -> dict[str, Any]:
        system, options = self.system, self.options
        # Per destination, each key once (the first time this worker reached it): most
        # successors of a level repeat, and every repeat would cross a process boundary.
        outbox: list[dict[Any, tuple[Any, Any, Ref, int]]] = [{} for _ in range(self.workers)]
        extras: list[list[tuple[Any, Any, Ref, int]]] = [[] for _ in range(self.workers)]
        found: list[Found] = []
        coverage: dict[str, int] = {}
        transitions = 0
        for sid in self.frontier:
            state = self.states[sid]
            ref = (self.me, sid)
            try:
                succs = system.successors(state)
                audit(system, options, self.expanded, state, succs)
            except ModelError as exc:
                exc.failed_at = ref
                raise
            self.expanded += 1
            if options.check_deadlock and not any(not s.is_fault for s, _ in succs):
                try:
                    final = system.is_final(state)
                except ModelError as exc:
                    exc.failed_at = ref
                    raise
                if not final:
                    found.append(Found(*deadlock(), ref, None, depth))
            for k, (step, out) in enumerate(succs):
                transitions += 1
                coverage[step.action] = coverage.get(step.action, 0) + 1
                if isinstance(out, ActionFailure):
                    found.append(Found(out.property_name, out.kind,
                                         f"{step.who()} {step.label()}: {out.message}", ref, k,
                                         depth + 1))
                    continue
                found.extend(Found(*broken, ref, k, depth + 1)
                             for broken in self.checks.across(state, step, out))
                try:
                    canon = self.canon(out)
                    owner = self.owner(canon)
                    if owner == self.me and self.lookup(canon)[1] is not None:
                        continue
                except TypeError as exc:
                    raise ModelError(f"the state reached by {step.who()} {step.label()} is not "
                                     f"hashable ({exc})") from None
                # Per destination, each state once; the owner confirms types, so a state
                # that only compares equal to one already in the box goes too.
                box = outbox[owner]
                key = system.state_key(canon)
                held = box.get(key)
                if held is None:
                    box[key] = (out, canon, ref, k)
                elif held[1] is not canon and not same_typed(held[1], canon):
                    extras[owner].append((out, canon, ref, k))
        self.frontier = []
        symmetric = self.system.reduces_symmetry
        # Pickled here, once, and forwarded as bytes: the coordinator never unpickles them.
        blobs = [pickle.dumps([(out, canon if symmetric else None, ref, k)
                               for out, canon, ref, k in [*box.values(), *extra]],
                              protocol=pickle.HIGHEST_PROTOCOL)
                 for box, extra in zip(outbox, extras, strict=True)]
        return {"transitions": transitions, "coverage": coverage, "found": found,
                "outbox": blobs}

    def handle(self, command: str, *args: Any) -> tuple:
        """One command from the coordinator: ("ok", reply) or ("error", message, where)."""
        try:
            if command == "init":
                reply: Any = self.init(*args)
            elif command == "expand":
                reply = self.expand(*args)
            elif command == "absorb":
                reply = self.absorb(*args)
            elif command == "parent":
                reply = (self.parents[args[0]], self.via[args[0]])
            else:
                raise ModelError(f"unknown command {command!r}")
            return ("ok", reply)
        except ModelError as exc:
            return ("error", str(exc), exc.failed_at)
        except Exception as exc:  # a bug of ours: say so rather than hang the coordinator
            return ("error", f"worker {self.me} failed: {type(exc).__name__}: {exc}\n"
                             f"{traceback.format_exc()}", None)

    def absorb(self, inboxes: list[bytes], at_bound: bool, depth: int) -> dict[str, Any]:
        found: list[Found] = []
        blocked = False
        for blob in inboxes:
            for out, canon, parent, k in pickle.loads(blob):
                canon = out if canon is None else canon
                key, sid = self.lookup(canon)
                if sid is not None:
                    continue
                if at_bound:
                    blocked = True
                    continue
                self.add(out, key, canon, parent, k, depth, found)
        return {"states": len(self.states), "new": len(self.frontier), "found": found,
                "sometimes": set(self.sometimes_seen), "blocked": blocked}


def _worker_main(system: TransitionSystem, options: Options, me: int, workers: int,
                 pipe: Any) -> None:
    part = _Partition(system, options, me, workers)
    while True:
        try:
            message = pipe.recv()
        except EOFError:
            return
        if message[0] == "stop":
            return
        pipe.send(part.handle(message[0], *message[1:]))

