"""Parallel exploration on one machine: worker processes own partitions of the states.

Each worker owns the states whose key hashes to its partition: it keeps their
seen-set, their parent references and its share of the frontier. The search goes
level by level, as the sequential explorer does, so the first violation of each
property is still found at the smallest depth and counterexamples stay shortest
(TLC with several workers loses this; a level barrier keeps it). In a level each
worker expands its frontier and sends every successor to the worker that owns it,
tagged with its parent's rank in the level and its step; each owner keeps, of each
state it has never seen, the sender with the smallest tag (its bfs parent), and the
coordinator ranks the level's new states as one process would have reached them
(:mod:`lifecheck.explore.team_ranks`). So the run is deterministic, its distinct
states are exactly the sequential explorer's (the first N of them under a state
bound) and its counterexamples are the reference's, step for step.

Workers are forked after the model is compiled, so they share it without any
pickling. Each worker is a vector engine where that engine can check the spec
(the default; :mod:`lifecheck.explore.vector.partition`: steps learned once,
fingerprints, and rows sent only for states their owner has never seen), and a
bfs explorer when asked (``--engine bfs``, ``--exact``) or for a transition system
not written with the modelling API: ``_Partition`` below, whose owners are chosen by
Python's hash (it agrees between forked processes) and deduplicate exactly
(states, not fingerprints); what crosses a process boundary per state is then the
state itself, its parent reference (worker, index), the step index and the parent's
rank, and 8 bytes each way for the level's ranks.

Liveness needs the whole graph in one place: workers record their shares of it
(:mod:`lifecheck.explore.team_graph`, and for vector workers
:mod:`lifecheck.explore.vector.partition_graph`), and the coordinator joins them once
the run is complete (:mod:`lifecheck.explore.team_liveness`). Safety properties, deadlocks, failing
actions, symmetry, the depth, time and memory bounds, the progress line and
checkpoints all work as in the sequential explorer (the coordinator runs the same
search loop: :mod:`lifecheck.explore.team`).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import pickle
import signal
from array import array
from dataclasses import replace
from typing import Any

import numpy as np

from lifecheck.contract import ActionFailure, Options, TransitionSystem
from lifecheck.errors import EngineRefused, ModelError
from lifecheck.explore.checks import (
    Checks,
    Found,
    audit,
    deadlock,
    failed_step,
    stuck,
    unhashable,
)
from lifecheck.explore.engines import team_kind, team_refusal
from lifecheck.explore.exploration import Exploration, resident_bytes
from lifecheck.explore.forked import fork_worker
from lifecheck.explore.stable_hash import PartHasher
from lifecheck.explore.team import Ref, coordinate, first_failure, serve, worker_error
from lifecheck.explore.team_graph import PartitionGraph, keeps_graph
from lifecheck.explore.team_ranks import key as rank_key
from lifecheck.modelling.straight import straight_predicates, straight_successors
from lifecheck.typed_values import same_typed


def explore_parallel(system: TransitionSystem, options: Options, workers: int = 2
                     ) -> Exploration:
    why = team_refusal(system, replace(options, workers=workers))
    if why is not None:
        raise EngineRefused(why)
    with _ForkedWorkers(system, options, workers) as team:
        return coordinate(system, options, team)


class _ForkedWorkers:
    """Worker processes forked from this one, one pipe each."""

    def __init__(self, system: TransitionSystem, options: Options, size: int) -> None:
        self.size = size
        self.kind = team_kind(system, options)
        ctx = mp.get_context("fork")
        self.pipes: list[Any] = []
        self.procs: list[Any] = []
        for w in range(size):
            here, proc = fork_worker(ctx, _worker_main, (system, options, w, size, self.kind),
                                     self.pipes)
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
        replies = [pipe.recv() for pipe in self.pipes]
        first_failure(replies)
        return [reply[1] for reply in replies]

    def one(self, worker: int, command: str, *args: Any) -> Any:
        self.pipes[worker].send((command, *args))
        return _answer(self.pipes[worker])


def _answer(pipe: Any) -> Any:
    return _unwrap(pipe.recv())


def _unwrap(reply: tuple) -> Any:
    if reply[0] == "error":
        raise worker_error(*reply[1:])
    return reply[1]


# -- the worker ------------------------------------------------------------------------
class _Partition:
    """The states one worker owns, and its share of each level."""

    def __init__(self, system: TransitionSystem, options: Options, me: int, workers: int,
                 stable_partitions: bool = False) -> None:
        self.system = system
        # Forked workers agree on Python's hash (same salt, same addresses); processes
        # started apart (Ray actors), and a run resumed from a checkpoint by another
        # process, need a hash that does not depend on the process.
        stable = stable_partitions or bool(options.checkpoint)
        self.hasher: Any = PartHasher() if stable else hash
        self.options = options
        self.me = me
        self.workers = workers
        # A team of the reference engine (--engine bfs) runs steps as written; otherwise
        # actions and properties run as translated code (lifecheck.modelling.straight).
        reference = options.engine == "bfs"
        self.successors = system.successors if reference else straight_successors(system)
        self.checks = Checks(system, None if reference else straight_predicates(system))
        self.seen: dict[Any, int] = {}
        self.typing_version = system.typing_version
        self.states: list[Any] = []
        self.canons: list[Any] = []  # under symmetry, each owned state's representative
        self.parents: list[Ref | None] = []
        self.via: list[int] = []
        self.frontier: list[int] = []
        # The frontier in rank order (lifecheck.explore.team_ranks), with each state's
        # rank in its level.
        self.ranks: list[int] = []
        self.offered: list[list[Any]] = []  # the states offered and not yet admitted
        self.offered_depth = 0
        self.where: list[list[int]] = []  # per sender, each slot's sid, or -2 - its offer
        self.sometimes_seen: set[str] = set()
        self.expanded = 0
        # A run that checks liveness records this worker's share of the graph.
        self.graph = PartitionGraph(system) if keeps_graph(system, options) else None

    SAVED = ("seen", "states", "canons", "parents", "via", "frontier", "ranks",
             "sometimes_seen", "expanded", "types", "graph")

    def load(self, blob: bytes) -> None:
        """Take up a partition saved from :data:`SAVED` (the coordinator checked it is ours)."""
        data = pickle.loads(blob)
        types = data.pop("types")
        saved_graph = data.pop("graph")
        if self.graph is not None and saved_graph is not None:
            self.graph.restore(saved_graph)
        for name, value in data.items():
            setattr(self, name, value)
        typed = getattr(self.system, "typed", None)
        if typed is not None and types:
            typed.mark(types)  # the seen-set was keyed by type on these fields
        self.typing_version = self.system.typing_version

    @property
    def types(self) -> Any:
        """The fields keyed by type when the partition was saved."""
        typed = getattr(self.system, "typed", None)
        return sorted(typed.columns) if typed is not None else None

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
            found: list[Found], order: int, rank: int) -> None:
        sid = len(self.states)
        self.seen[key] = sid
        self.states.append(state)
        if self.system.reduces_symmetry:
            self.canons.append(canon)
        self.parents.append(parent)
        self.via.append(via)
        self.frontier.append(sid)
        try:
            found.extend(Found(*broken, (self.me, sid), None, depth, order, rank)
                         for broken in self.checks.broken(state))
            self.checks.witness(state, self.sometimes_seen)
            if self.graph is not None:
                self.graph.note_state(state)
        except ModelError as exc:
            exc.failed_at, exc.order = (self.me, sid), rank_key(rank, 0)
            raise

    def init(self, inits: list[Any]) -> dict[str, Any]:
        """Offer the initial states this worker owns (every worker sees them all)."""
        symmetric = self.system.reduces_symmetry
        mine = [(state, canon if symmetric else None, None, index, 0)
                for index, state in enumerate(inits)
                if self.owner(canon := self.canon(state)) == self.me]
        return self.offer([pickle.dumps(mine)], False, 0)

    def expand(self, depth: int) -> dict[str, Any]:
        system, options = self.system, self.options
        # Per destination, each key once (the first time this worker reached it): most
        # successors of a level repeat, and every repeat would cross a process boundary.
        # A successor's slot is its place in the batch for its owner.
        batches: list[list[tuple[Any, Any, Ref, int]]] = [[] for _ in range(self.workers)]
        slots: list[dict[Any, int]] = [{} for _ in range(self.workers)]
        graph = self.graph
        found: list[Found] = []
        coverage: dict[str, int] = {}
        transitions = outside = 0
        constrained = system.constraint is not None
        ranks = self.ranks
        for i, sid in enumerate(self.frontier):
            state = self.states[sid]
            ref = (self.me, sid)
            rank = ranks[i]
            try:
                succs = self.successors(state)
                audit(system, options, self.expanded, state, succs)
            except ModelError as exc:
                exc = exc.within(step=depth + 1)  # (the step being taken, as bfs says)
                exc.failed_at, exc.order = ref, rank_key(rank, 0)
                raise exc from None
            self.expanded += 1
            if options.check_deadlock:
                try:
                    if stuck(system, state, succs):
                        found.append(Found(*deadlock(), ref, None, depth, rank_key(rank, 0), rank))
                except ModelError as exc:
                    exc.failed_at, exc.order = ref, rank_key(rank, 0)
                    raise
            enabled: set[int] = set()
            for k, (step, out) in enumerate(succs):
                transitions += 1
                coverage[step.action] = coverage.get(step.action, 0) + 1
                cid = -1
                if graph is not None:
                    cid = graph.class_of(step)
                    if cid >= 0:
                        enabled.add(cid)
                order = rank_key(rank, k)
                if isinstance(out, ActionFailure):
                    found.append(Found(*failed_step(step, out), ref, k, depth + 1, order, rank))
                    continue
                try:
                    found.extend(Found(*broken, ref, k, depth + 1, order, rank)
                                 for broken in self.checks.across(state, step, out))
                except ModelError as exc:  # (located at the step, as bfs locates it)
                    exc = exc.within(action=f"{step.who()} {step.label()}")
                    exc.failed_at = (self.me, sid, k)
                    exc.order = rank_key(rank, k + 1)
                    raise exc from None
                if constrained and self.outside_constraint(state, step, out, ref, k, depth, found,
                                                           order, rank):
                    outside += 1
                    continue
                try:
                    canon = self.canon(out)
                    owner = self.owner(canon)
                    tid = self.lookup(canon)[1] if owner == self.me else None
                except TypeError as exc:
                    error = unhashable(exc, f"{step.who()} {step.label()}").within(
                        step=depth + 1)
                    error.order = rank_key(rank, k + 1)
                    raise error from None
                if tid is None:
                    tid = -1 - self.batched(batches[owner], slots[owner], out, canon, ref, k,
                                            rank)
                if graph is not None:
                    graph.note_step(sid, k, cid, owner, tid)
            if graph is not None:
                graph.note_enabled(sid, enabled)
        self.frontier = []
        symmetric = self.system.reduces_symmetry
        # Pickled here, once, and forwarded as bytes: the coordinator never unpickles them.
        blobs = [pickle.dumps([(out, canon if symmetric else None, ref, k, rank)
                               for out, canon, ref, k, rank in batch],
                              protocol=pickle.HIGHEST_PROTOCOL)
                 for batch in batches]
        return {"transitions": transitions, "coverage": coverage, "found": found,
                "outbox": blobs, "rss": resident_bytes(), "outside": outside}

    def batched(self, batch: list[tuple[Any, Any, Ref, int, int]], slots: dict[Any, int],
                out: Any, canon: Any, ref: Ref, k: int, rank: int) -> int:
        """The slot of a successor in the batch for its owner, added the first time (the
        frontier goes in rank order, so with its smallest key): per destination each state
        goes once. The owner confirms types, so a state that only compares equal to one
        already batched goes too."""
        key = self.system.state_key(canon)
        slot = slots.get(key)
        if slot is not None:
            held = batch[slot][1]
            if held is canon or same_typed(held, canon):
                return slot
        batch.append((out, canon, ref, k, rank))
        if slot is None:
            slots[key] = len(batch) - 1
        return len(batch) - 1

    def outside_constraint(self, state: Any, step: Any, out: Any, ref: Ref, k: int, depth: int,
                           found: list[Found], order: int, rank: int) -> bool:
        """Whether step ``k`` out of ``ref`` leaves the spec's constraints; the state it
        reaches is then checked here, and sent to no owner (see lifecheck.modelling.constraint)."""
        try:
            if self.system.in_model(state, out):
                return False
            found.extend(Found(*broken, ref, k, depth + 1, order, rank)
                         for broken in self.checks.broken(out))
            self.checks.witness(out, self.sometimes_seen)
        except ModelError as exc:
            exc = exc.within(action=f"{step.who()} {step.label()}")
            exc.failed_at = (*ref, k)
            exc.order = rank_key(rank, k + 1)
            raise exc from None
        return True

    def handle(self, command: str, *args: Any) -> tuple:
        """One command from the coordinator: ("ok", reply) or ("error", ...)."""
        return serve(self.me, {
            "init": self.init, "expand": self.expand, "offer": self.offer, "admit": self.admit,
            "parent": lambda sid: (self.parents[sid], self.via[sid]),
            "save": lambda: pickle.dumps({name: getattr(self, name) for name in self.SAVED},
                                         protocol=pickle.HIGHEST_PROTOCOL),
            "load": self.load, "resolve": self.resolve, "share": self.share,
            "states": lambda sids: [self.states[sid] for sid in sids]}, command, args)

    def resolve(self, ids: list[Any]) -> None:
        assert self.graph is not None
        self.graph.resolve(ids)

    def share(self) -> dict[str, Any]:
        assert self.graph is not None
        return self.graph.share(self.parents, self.via)

    def offer(self, inboxes: list[bytes], at_bound: bool, depth: int) -> dict[str, Any]:
        """Of the successors every sender reached, the states never seen, each from its
        sender with the smallest key (its bfs parent): their keys, sorted, for the
        coordinator to rank (lifecheck.explore.team_ranks)."""
        batches = [pickle.loads(blob) for blob in inboxes]
        self.offered_depth = depth
        while (found := self.candidates(batches)) is None:
            self.retype()  # (0 and False met: the keys changed, so again from the start)
        offered, where = found
        blocked = at_bound and bool(offered)
        places = sorted(range(len(offered)), key=lambda at: offered[at][0])
        place_of = [0] * len(offered)
        for place, at in enumerate(places):
            place_of[at] = place
        self.offered = [] if blocked else [offered[at] for at in places]
        self.where = [[sid if sid >= 0 else -2 - place_of[-2 - sid] for sid in slots]
                      for slots in where]
        return {"offers": np.array([o[0] for o in self.offered], np.uint64), "blocked": blocked}

    def candidates(self, batches: list[list[tuple]]) -> tuple[list[list[Any]], list[list[int]]] | None:
        """The states never seen among ``batches``, each as [key, state, seen-set key,
        representative, parent, step] from its smallest key, and per sender each slot's
        id (or -2 - its candidate); None where values equal across types met on the way."""
        version = self.system.typing_version
        pending: dict[Any, int] = {}
        offered: list[list[Any]] = []
        where: list[list[int]] = []
        for batch in batches:
            slots: list[int] = []
            where.append(slots)
            for out, canon, parent, k, rank in batch:
                canon = out if canon is None else canon
                key, sid = self.lookup(canon)
                if self.system.typing_version != version:
                    return None
                if sid is not None:
                    slots.append(sid)
                    continue
                order = rank_key(rank, k)
                at = pending.get(key)
                if at is None:
                    pending[key] = at = len(offered)
                    offered.append([order, out, key, canon, parent, k])
                elif offered[at][3] is not canon and \
                        self.system.type_clashes(offered[at][3], canon):
                    return None
                elif order < offered[at][0]:
                    offered[at] = [order, out, key, canon, parent, k]
                slots.append(-2 - at)
        return offered, where

    def admit(self, inboxes: list[Any], ranks: Any) -> dict[str, Any]:
        """The states offered that the coordinator ranked (a prefix of them, under a state
        bound): the next frontier, in rank order."""
        found: list[Found] = []
        depth = self.offered_depth
        sid0 = len(self.states)
        kept = len(ranks)
        for (order, out, key, canon, parent, k), rank in zip(self.offered[:kept], ranks, strict=True):
            self.add(out, key, canon, parent, k, depth, found, order, int(rank))
        self.ranks = [int(r) for r in ranks]
        answers = None
        if self.graph is not None:  # per sender, the id of each slot of its batch
            answers = [array("q", [sid if sid >= 0 else
                                   (sid0 + (-2 - sid) if -2 - sid < kept else -1)
                                   for sid in slots]) for slots in self.where]
        self.offered, self.where = [], []
        return {"states": len(self.states), "new": len(self.frontier), "found": found,
                "sometimes": set(self.sometimes_seen), "rss": resident_bytes(), "ids": answers}


def partition(system: TransitionSystem, options: Options, me: int, workers: int, kind: str,
              stable_partitions: bool = False) -> Any:
    """One worker's partition: explored by the vector engine or state by state."""
    if kind == "vector":
        from lifecheck.explore.vector.partition import VectorPartition

        return VectorPartition(system, options, me, workers)
    return _Partition(system, options, me, workers, stable_partitions)


def _worker_main(system: TransitionSystem, options: Options, me: int, workers: int, kind: str,
                 pipe: Any) -> None:
    # A Ctrl-C reaches the whole process group: the coordinator decides what it means
    # (a stop at the end of the level), so a worker neither dies of it nor prints a
    # traceback. A SIGTERM sent to a worker itself still ends it, whatever handler the
    # coordinator had when it forked.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    part = partition(system, options, me, workers, kind)
    while True:
        try:
            message = pipe.recv()
        except (EOFError, OSError):
            return  # the coordinator is gone
        if message[0] == "stop":
            return
        reply = part.handle(message[0], *message[1:])
        try:
            pipe.send(reply)
        except (BrokenPipeError, OSError):
            return  # the coordinator is gone (killed while this worker expanded its level)

