"""One worker's partition of a team run, explored with the vector engine.

A team (forked workers or Ray actors, :mod:`lifecheck.explore.team`) runs the same
level-synchronous search whatever its workers are; this worker expands its share
of each level as the vector engine does (steps learned once, looked up for whole
chunks of rows) instead of running every step as the bfs workers do.

Fingerprints are the same in every worker: the code of a value in a column is
derived from the value itself (:func:`lifecheck.explore.stable_hash.fingerprint`,
typed, so 0 and False differ), not from the small integer a worker interned it
as. So a worker computes its successors' fingerprints from their parents' (the
learned step's delta, as the vector engine does), and the owner of a state is its
fingerprint modulo the number of workers. A level then goes in four steps, each a
command from the coordinator:

1. ``expand``: each worker expands its frontier and sends each owner the
   fingerprints of the distinct successors it owns, each with its rank key (its
   parent's rank in the level and its step: 16 bytes in all), keeping how to build
   each one;
2. ``claim``: each owner claims the fingerprints it has never seen, each from the
   sender with the smallest rank key (its bfs parent), and offers their keys for the
   coordinator to rank (:mod:`lifecheck.explore.team_ranks`);
3. ``deliver``: each worker builds the rows of the successors claimed from it, and
   only those, and sends them: a row in the sender's ids (4 bytes per column),
   its parent reference (8) and step index (4), and, the first time the sender
   uses an id with that owner, the value it stands for;
4. ``admit``: each owner translates the rows into its own ids (per sender and
   column, an array from the sender's ids to its own: one numpy indexing per
   column) and keeps the ones ranked within a state bound as the next frontier, in
   rank order, checking them.

So a distinct successor costs 16 bytes across, and a new state a byte or two per
column plus 12, and 16 for its rank; the rows of states already seen are never built nor sent, which
is where most successors of a level go. The seen-set is the vector engine's, 8
bytes per state: the run is fingerprinted and reports the chance of a collision.

Scaling, on paper. With W workers, a level whose senders reach S distinct successors
(each sender's repeats dropped) of which N are new, and F fields a state:

* bytes across: 16 S (W-1)/W of keys and tags, at most 4 N of claims back, 16 N of ranks, N (W-1)/W (F + 12)
  of rows (F bytes while no field holds more than 256 values), and each distinct value
  once per pair of workers (W^2 copies of the value tables at most, which is what
  grows with W). On the crash benchmark (38 fields, about 3.5 distinct successors per
  new state, each sender's counted apart) that is about 75 bytes a state with 2
  workers and about 125 with many, where its row alone takes 152 bytes in memory;
* work: each worker expands and deduplicates its share (S/W lookups and one sort of
  its keys), but learns every step it meets itself: the learned steps are paid W
  times (1,128 per worker on the crash benchmark, against 961,441 states; a spec whose
  steps run as written pays per state anyway, which splits evenly);
* waits: four round trips through the coordinator per level, and every worker waits
  for the slowest (a fingerprint modulo W spreads states evenly: 480,577 and 480,864
  on the crash benchmark).

So 8 workers on one machine should scale with its cores and its memory bandwidth
(forked workers relay every batch through the coordinator's pipes, which caps the
total at what one process can pass on: a pipe carried 0.4 GB/s here, so a few
million states a second at two hops each); at 64 and 512, on Ray, batches go actor
to actor through the object store and what bounds a run is the slowest worker per
level and the four round trips per level: a space as deep as the crash benchmark's
48 levels pays about 200 of them, a long thin space (the token ring's 300,000 levels)
far too many to gain anything.
Measured here, on 2 cores where two numpy-heavy processes each run at about 0.7 of
their speed alone: see the README.

Under symmetry reduction the keys claimed and kept are orbits' keys (computed from
the values too, :mod:`lifecheck.explore.vector.orbits`), which also choose the
owner, while the rows delivered are the states reached, as in one vector run.
State constraints are applied where a step is taken, by its sender: a step out of
them is checked there and its state sent nowhere. A run that checks liveness records
this worker's share of the graph, its steps by their targets' keys
(:mod:`lifecheck.explore.vector.partition_graph`).
"""

from __future__ import annotations

import pickle
from array import array
from dataclasses import replace
from itertools import pairwise
from typing import Any

import numpy as np

from lifecheck.contract import ActionFailure, Options
from lifecheck.errors import ModelError
from lifecheck.explore.checks import Found, audit, deadlock, failed_step, stuck, unhashable
from lifecheck.explore.exploration import resident_bytes
from lifecheck.explore.ordering import stable_order
from lifecheck.explore.stable_hash import fingerprint
from lifecheck.explore.team import serve
from lifecheck.explore.team_ranks import key as rank_key
from lifecheck.explore.team_ranks import keys as rank_keys
from lifecheck.explore.vector.hashing import (
    distinct,
    finalise_int,
    in_sorted,
    smallest_tag,
    smallest_unsigned,
)
from lifecheck.explore.vector.memo import CHUNK, SMALL, ValueIds
from lifecheck.explore.vector.partition_graph import PartitionGraphing
from lifecheck.explore.vector.run import VectorRun
from lifecheck.explore.vector.run import refusal as single_refusal
from lifecheck.modelling.footprint import learner_for

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def refusal(system: Any, options: Options) -> str | None:
    """Why a team cannot explore this system with vector workers (None when it can)."""
    return single_refusal(system, replace(options, workers=1, ray=False))


def narrow(ids: np.ndarray) -> np.ndarray:
    """Non-negative integers in the smallest unsigned type that holds them: a row crosses in
    a byte per column rather than four."""
    dtype = smallest_unsigned(ids)
    return ids if dtype is np.uint64 else ids.astype(dtype)


class CodedValues(ValueIds):
    """Value ids whose codes come from the values, so every process fingerprints alike."""

    def __init__(self, columns: int) -> None:
        super().__init__(columns)
        self.codes: list[list[int]] = [[] for _ in range(columns)]
        self.arrays = [np.empty(0, np.uint64) for _ in range(columns)]

    def intern(self, column: int, value: Any) -> int:
        i = super().intern(column, value)
        codes = self.codes[column]
        if i == len(codes):
            codes.append(finalise_int(fingerprint(value) ^ ((column + 1) * _GOLDEN & _MASK)))
        return i

    def code(self, column: int, i: int) -> int:
        return self.codes[column][i]

    def fingerprints(self, rows: np.ndarray) -> np.ndarray:
        h = np.zeros(len(rows), np.uint64)
        for c, codes in enumerate(self.codes):
            have = len(self.arrays[c])
            if have < len(codes):  # (the codes of the values interned since: appended)
                self.arrays[c] = np.concatenate((self.arrays[c], np.array(codes[have:], np.uint64)))
            h ^= self.arrays[c][rows[:, c]]
        return h


class VectorPartition(PartitionGraphing, VectorRun):
    """The states one worker owns, as vector-engine rows, and its share of each level."""

    ENGINE = "vector team"
    VALUES = CodedValues
    SAVED = (*VectorRun.SAVED, "refs", "sent", "translations", "level_start", "expanded",
             "step_parts", "owned_keys", "ranks", "level_keys")

    def __init__(self, system: Any, options: Options, me: int, workers: int) -> None:
        super().__init__(system, learner_for(system), options, None)
        self.start_partition_graph()
        self.me, self.workers = me, workers
        width = len(self.learner.columns)
        self.refs = array("q")  # per owned state: parent as index * workers + worker; -1: initial
        self.level_start = 0  # the id of the frontier's first state
        self.expanded = 0
        self.sent = [[0] * width for _ in range(workers)]  # per owner: ids described to it
        self.translations: list[list[np.ndarray]] = [
            [np.empty(0, np.int32) for _ in range(width)] for _ in range(workers)]
        self.reported: list[Found] = []
        self.here = 0  # the depth of the states being expanded or admitted
        self.built: list[Any] = []  # per chunk of the level: (keys, parents, vias, ks, ts, rows)
        self.pending: list[tuple[np.ndarray, ...]] = []  # per owner: what it may claim
        self.claimed = np.empty(0, np.uint64)  # seen-set keys of the states being admitted
        self.own: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # The frontier in rank order (lifecheck.explore.team_ranks): ranks, keys of the steps
        # that first reached them; the claimed states' keys as delivered, and their ranking.
        self.ranks = np.empty(0, np.int64)
        self.level_keys = np.empty(0, np.uint64)
        self.claim_keys = np.empty(0, np.uint64)
        self.by_rank = np.empty(0, np.int64)

    # -- where things are: a team rebuilds paths from worker to worker ------------------
    def locate(self, exc: ModelError, sid: int, step: int = -1) -> ModelError:
        """``exc`` placed for the coordinator (:func:`lifecheck.explore.team.first_failure`)."""
        exc.failed_at = (self.me, sid) if step < 0 else (self.me, sid, step)
        at = sid - self.level_start  # (the level being expanded, or admitted)
        if 0 <= at < len(self.ranks):
            exc.order = rank_key(int(self.ranks[at]), step + 1)
        return exc

    def locate_step(self, exc: ModelError, sid: int, via: int) -> ModelError:
        return self.locate(exc, sid, via)  # (step ``via`` out of ``sid``)

    def note(self, f: Found) -> None:
        """Keep, per property, the violation the reference meets first (by depth, then by
        rank key); the coordinator keeps the first of all workers' alike."""
        at = f.state - self.level_start
        if f.kind == "deadlock":  # (keyed by the state's own rank: lifecheck.explore.team_ranks)
            depth, order = self.here, rank_key(int(self.ranks[at]), 0)
        elif f.step_index is None:
            depth, order = self.here, int(self.level_keys[at])
        else:
            depth, order = self.here + 1, rank_key(int(self.ranks[at]), f.step_index)
        old = self.found.get(f.property)
        if old is not None and (old.depth, old.order) <= (depth, order):
            return
        f = self.found[f.property] = replace(f, depth=depth, order=order,
                                            rank=int(self.ranks[at]))
        self.reported.append(replace(f, state=(self.me, f.state)))

    # -- the team's commands --------------------------------------------------------------
    def handle(self, command: str, *args: Any) -> tuple:
        """One command from the coordinator: ("ok", reply) or ("error", ...)."""
        return serve(self.me, {
            "init": self.init, "expand": self.expand_level, "claim": self.claim,
            "deliver": self.deliver, "admit": self.admit_level, "parent": self.parent,
            "asks": self.asks, "lookup": self.lookup, "answers": self.answers,
            "share": self.graph_share, "states": self.states_of,
            "save": lambda: pickle.dumps(self.snapshot(), protocol=pickle.HIGHEST_PROTOCOL),
            "load": lambda blob: self.restore(pickle.loads(blob))}, command, args)

    def parent(self, sid: int) -> tuple[tuple[int, int] | None, int]:
        ref = self.refs[sid]
        return (None if ref < 0 else (ref % self.workers, ref // self.workers)), self.vias[sid]

    def report(self, new: int, **more: Any) -> dict[str, Any]:
        found, self.reported = self.reported, []
        stored = self.seen.nbytes + self.refs.itemsize * len(self.refs) + \
            self.vias.itemsize * len(self.vias) + self.graph_bytes()
        return {"states": self.count, "new": new, "found": found, "stored": stored,
                "sometimes": set(self.sometimes_seen), "rss": resident_bytes(), **more}

    def init(self, inits: list[Any]) -> dict[str, Any]:
        """Keep the initial states this worker owns (each worker sees them all)."""
        width = len(self.learner.columns)
        try:
            rows = np.array([[self.values.intern(c, v) for c, v in enumerate(self.learner.encode(s))]
                             for s in inits], np.int32).reshape(len(inits), width)
        except TypeError as exc:
            raise unhashable(exc, "the initial state") from None
        keys = self.key_fingerprints(rows)
        _, first, _ = distinct(keys, inverse=False)
        first = np.sort(first)
        keep = first[self.owner(keys[first]) == self.me]
        self.here = 0
        self.own = (rows[keep], np.full(len(keep), -1, np.int64), keep)
        self.claimed, self.claim_keys = keys[keep], keep.astype(np.uint64)  # (rank 0, index)
        self.by_rank = np.arange(len(keep))
        return {"offers": self.claim_keys, "blocked": False}

    def owner(self, keys: np.ndarray) -> np.ndarray:
        return (keys % np.uint64(self.workers)).astype(np.int64)

    def admitted(self, rows: np.ndarray, fps: np.ndarray, refs: np.ndarray, vias: np.ndarray,
                 keys: np.ndarray) -> None:
        """New states (already in the seen-set under ``keys``), in the order they were
        reached: stored, checked, the next frontier."""
        self.note_owned(keys)
        count0 = self.level_start = self.count
        self.count += len(rows)
        self.refs.frombytes(refs.astype(np.int64).tobytes())
        self.vias.frombytes(vias.astype(np.uint32).tobytes())
        self.frontier = (rows, fps)
        if len(rows):
            self.check_states(rows, count0)

    # -- 1. expand ------------------------------------------------------------------------
    def expand_level(self, depth: int) -> dict[str, Any]:
        """Expand the frontier; send each owner the fingerprints of its distinct successors."""
        self.depth = self.here = depth
        transitions0, outside0, coverage0 = self.transitions, self.outside, dict(self.coverage)
        rows, fps = self.frontier
        self.built = []
        if self.direct_wide or (self.direct and len(rows) <= SMALL):
            self.as_written(rows, fps)
        else:
            for lo in range(0, len(rows), CHUNK):
                self.expand(rows[lo:lo + CHUNK], fps[lo:lo + CHUNK], self.level_start + lo, False)
        self.expanded += len(rows)
        self.pending = self.by_owner()
        coverage = {name: n - coverage0.get(name, 0) for name, n in self.coverage.items()
                    if n != coverage0.get(name, 0)}
        return {"transitions": self.transitions - transitions0, "coverage": coverage,
                "found": self.report(0)["found"], "outbox": [(p[0], p[6]) for p in self.pending],
                "rss": resident_bytes(), "outside": self.outside - outside0}

    def by_owner(self) -> list[tuple[np.ndarray, ...]]:
        """The level's successors, each distinct one once (with its smallest rank key),
        split by owner."""
        width = len(self.learner.columns)
        if not self.built:
            empty = (np.empty(0, np.uint64), *(np.empty(0, np.int64) for _ in range(4)),
                     np.empty((0, width), np.int32), np.empty(0, np.uint64))
            return [empty] * self.workers
        keys, parents, vias, ks, ts, rows = (np.concatenate(part) for part in zip(*self.built,
                                                                                 strict=True))
        self.built = []
        tags = rank_keys(self.ranks[parents], vias)
        first = np.sort(smallest_tag(keys, tags))
        owners = self.owner(keys[first])
        out = []
        for w in range(self.workers):
            at = first[owners == w]
            out.append((keys[at], parents[at], vias[at], ks[at], ts[at],
                        rows[at] if len(rows) else rows, tags[at]))
        return out

    def pend(self, keys: np.ndarray, parents: np.ndarray, vias: np.ndarray, ks: np.ndarray,
             ts: np.ndarray, rows: np.ndarray | None = None) -> None:
        """Successors of a chunk in bfs order, by their seen-set keys (``parents``: indices in
        the frontier; ``rows``: given where already built, else built from the frontier
        row and transition)."""
        self.built.append((keys.astype(np.uint64), parents.astype(np.int64), vias.astype(np.int64),
                           ks.astype(np.int64), ts.astype(np.int64),
                           np.empty((0, len(self.learner.columns)), np.int32) if rows is None else rows))

    # The vector engine's expansion admits what it generates; a worker pends it instead.
    def admit(self, rows: np.ndarray, sid0: int, fps: np.ndarray, parents: np.ndarray,
              ks: np.ndarray, ts: np.ndarray, vias: np.ndarray,
              at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        order = stable_order(parents)  # the bfs order: by parent, then step
        parents, ks, ts, vias, fps = parents[order], ks[order], ts[order], vias[order], fps[order]
        if self.checks.transitions:
            self.check_steps(rows, sid0, parents, ks, ts, vias)
        if self.constrained:
            # Steps out of the constraints are checked here, their states sent nowhere.
            # An invariant broken there is reported at the step (its depth the next
            # level's, as a kept state's would be): the coordinator keeps the shallowest.
            inside, rivals = self.within(rows, sid0, parents, ks, ts, vias)
            for name in rivals:
                self.note_rival(name, rivals)
            parents, ks, ts, vias, fps = (a[inside] for a in (parents, ks, ts, vias, fps))
        keys = self.successor_keys(rows, parents, ks, ts, fps)
        if self.keeps_graph:
            self.note_steps(sid0 + parents, vias, self.classes_of(ks, ts), keys)
        self.pend(keys, parents + (sid0 - self.level_start), vias, ks, ts)
        return rows[:0], fps[:0]

    def admit_small(self, rows: np.ndarray, sid0: int, cands: list[tuple[int, int, int, Any]],
                    built: Any, at_bound: bool) -> tuple[np.ndarray, np.ndarray]:
        lo = sid0 - self.level_start
        r, via, fp, how = zip(*cands, strict=True) if cands else ((), (), (), ())
        keys = self.row_keys([built(i, *h) for i, h in zip(r, how, strict=True)], list(fp)) \
            if self.orbits is not None else fp
        self.pend(np.array(keys, np.uint64), np.array(r, np.int64) + lo, np.array(via, np.int64),
                  np.array([k for k, _ in how], np.int64), np.array([t for _, t in how], np.int64))
        return rows[:0], np.empty(0, np.uint64)

    def as_written(self, rows: np.ndarray, fps: np.ndarray) -> None:
        """The frontier expanded by running steps as written, where learning has not paid
        (what the vector engine's thin path does)."""
        system, options, learner, values = self.system, self.options, self.learner, self.values
        new, new_fps, parents, vias = [], [], [], []
        sid0 = self.level_start
        constrained = self.constrained
        graph = self.keeps_graph
        classes: list[int] = []  # with a graph kept: each kept step's fairness class
        enabled: tuple[list[int], list[int]] = ([], [])
        for r, (row, parent_fp) in enumerate(zip(rows.tolist(), fps.tolist(), strict=True)):
            sid = sid0 + r
            state = learner.decode(values.row(row))
            try:
                succs = self.successors(state)
                audit(system, options, self.expanded + r, state, succs)
                if options.check_deadlock and stuck(system, state, succs):
                    self.note(Found(*deadlock(), sid))
                self.transitions += len(succs)
                for via, (step, out) in enumerate(succs):
                    self.coverage[step.action] = self.coverage.get(step.action, 0) + 1
                    cid = self.class_of(step) if graph else -1
                    if cid >= 0:
                        enabled[0].append(sid)
                        enabled[1].append(cid)
                    if isinstance(out, ActionFailure):
                        self.note(Found(*failed_step(step, out), sid, via))
                        continue
                    for broken in self.checks.across(state, step, out):
                        self.note(Found(*broken, sid, via))
                    if constrained and self.outside_constraint(sid, via, state, step, out):
                        continue
                    try:
                        succ, fp = self.successor_row(state, row, parent_fp, out)
                    except TypeError as exc:
                        raise unhashable(exc, f"{step.who()} {step.label()}") from None
                    new.append(succ)
                    new_fps.append(fp)
                    parents.append(r)
                    vias.append(via)
                    classes.append(cid)
            except ModelError as exc:
                if exc.failed_at is None:  # (one a step located already keeps its place)
                    exc = self.locate(exc.within(step=self.depth + 1), sid)
                raise exc from None
        none = np.zeros(len(new), np.int64)
        keys = np.array(self.row_keys(new, new_fps), np.uint64)
        if graph:
            self.note_enabled(np.array(enabled[0], np.int64), np.array(enabled[1], np.int64))
            self.note_steps(sid0 + np.array(parents, np.int64), np.array(vias, np.int64),
                            np.array(classes, np.int64), keys)
        self.pend(keys, np.array(parents, np.int64), np.array(vias, np.int64), none, none,
                  np.array(new, np.int32).reshape(len(new), rows.shape[1]))

    # -- 2. claim -------------------------------------------------------------------------
    def claim(self, inboxes: list[tuple[np.ndarray, np.ndarray]], at_bound: bool,
              depth: int) -> dict[str, Any]:
        """Of the fingerprints every worker sent, the ones never seen before, each from the
        sender with the smallest rank key (its bfs parent): per sender, the positions this
        worker wants built; and their keys, sorted, for the coordinator to rank."""
        fps = np.concatenate([fp for fp, _ in inboxes]) if inboxes else np.empty(0, np.uint64)
        tags = np.concatenate([t for _, t in inboxes]) if inboxes else np.empty(0, np.uint64)
        best = smallest_tag(fps, tags)
        fresh = np.sort(best[~in_sorted(self.seen, fps[best])[0]])
        blocked = bool(len(fresh)) and at_bound
        if blocked:
            fresh = fresh[:0]
        # (Delivered sender by sender, in the order sent; admitted in rank order.)
        self.claimed, self.claim_keys = fps[fresh], tags[fresh]
        self.by_rank = np.argsort(self.claim_keys, kind="stable")
        bounds = np.cumsum([0, *map(len, (fp for fp, _ in inboxes))])
        wants = [narrow(fresh[(fresh >= lo) & (fresh < hi)] - lo) for lo, hi in pairwise(bounds.tolist())]
        return {"wants": wants, "blocked": blocked, "offers": self.claim_keys[self.by_rank]}

    # -- 3. deliver -----------------------------------------------------------------------
    def deliver(self, wants: list[np.ndarray]) -> list[Any]:
        """The rows each owner claimed from this worker (this worker's own stay here)."""
        frontier = self.frontier[0]
        for table in self.tables:  # (steps learned on a few rows in plain Python: as arrays)
            table.arrays()
        boxes: list[Any] = []
        for w, (want, (_, parents, vias, ks, ts, rows, _)) in enumerate(
                zip(wants, self.pending, strict=True)):
            out = rows[want] if len(rows) else self.build(frontier, parents[want], ks[want], ts[want])
            refs = (self.level_start + parents[want]) * self.workers + self.me
            batch = (out, refs, vias[want])
            if w == self.me:
                self.own = batch
                boxes.append(b"")
            else:
                boxes.append(self.packed(w, batch))
        self.pending = []
        self.frontier = (frontier[:0], self.frontier[1][:0])
        return boxes

    def packed(self, owner: int, batch: tuple[np.ndarray, np.ndarray, np.ndarray]) -> bytes:
        """A batch for another worker: rows in this worker's ids, and the values of the ids
        it has not been told yet."""
        sent = self.sent[owner]
        news = []
        for c, values in enumerate(self.values.values):
            if len(values) > sent[c]:
                news.append((c, values[sent[c]:]))
                sent[c] = len(values)
        rows, refs, vias = batch
        return pickle.dumps((news, narrow(rows), refs, vias.astype(np.uint32)),
                            protocol=pickle.HIGHEST_PROTOCOL)

    # -- 4. admit -------------------------------------------------------------------------
    def admit_level(self, inboxes: list[bytes], ranks: np.ndarray) -> dict[str, Any]:
        """The rows claimed (the initial states, with no ``inboxes``) that the coordinator
        ranked, a prefix of them under a state bound: the next frontier, in rank order."""
        width = len(self.learner.columns)
        rows_in, refs_in, vias_in = [], [], []
        for sender, blob in enumerate(inboxes or [b""]):
            if sender == self.me or not inboxes:
                assert self.own is not None
                rows, refs, vias = self.own
                self.own = None
            else:
                news, rows, refs, vias = pickle.loads(blob)
                rows = self.translated(sender, news, rows)
            rows_in.append(rows)
            refs_in.append(refs)
            vias_in.append(vias)
        rows = np.concatenate(rows_in) if rows_in else np.empty((0, width), np.int32)
        assert len(rows) == len(self.claimed), "every claimed state delivered"
        if inboxes:
            self.here += 1
        kept = self.by_rank[:len(ranks)]
        rows, claimed = rows[kept], self.claimed[kept]
        # (The seen-set holds the claimed keys: under symmetry, orbits' keys, while the
        # frontier goes on from the rows reached, with their own fingerprints.)
        merged = np.concatenate((self.seen, claimed))
        merged.sort(kind="stable")
        self.seen = merged
        self.ranks, self.level_keys = np.asarray(ranks, np.int64), self.claim_keys[kept]
        fps = claimed if self.orbits is None else self.values.fingerprints(rows)
        self.admitted(rows, fps, np.concatenate(refs_in)[kept], np.concatenate(vias_in)[kept],
                      claimed)
        return self.report(len(rows))

    def translated(self, sender: int, news: list[tuple[int, list[Any]]], rows: np.ndarray) -> np.ndarray:
        """``rows`` in the sender's ids, in this worker's."""
        table = self.translations[sender]
        for c, values in news:
            ids = np.array([self.values.intern(c, v) for v in values], np.int32)
            table[c] = np.concatenate((table[c], ids))
        out = np.empty(rows.shape, np.int32)
        for c in range(rows.shape[1]):
            out[:, c] = table[c][rows[:, c]]
        return out
