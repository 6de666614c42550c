"""The coordinator of a team of workers: the level-synchronous search they share.

Forked workers (:mod:`lifecheck.explore.parallel`) and Ray actors
(:mod:`lifecheck.explore.distributed`) own partitions of the states; this module runs
their search on :class:`~lifecheck.explore.search.Search`, the loop every engine
shares, so a team has what a single process has: the time and memory bounds, the
progress line, and checkpoints that a later run resumes.

Per level, every worker expands its frontier and hands back what others own; then
each owner offers the states it has never seen, each from its bfs parent, and the
coordinator ranks them as one process would have reached them (and cuts them to a
state bound: :mod:`lifecheck.explore.team_ranks`) before the owners admit them. The
coordinator keeps only counts, coverage and the first violation of each property in
the reference's order; states stay with their owners, and a counterexample's key is
rebuilt at the end by following parent references from worker to worker: the
reference's own counterexample.

A checkpoint holds the coordinator's figures and each worker's partition. Owners
are chosen by a hash every process computes alike when checkpointing (Python's own
is salted per process), so the resumed team owns the states it saved.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from lifecheck.contract import Options, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.explore.checkpoint import run_signature
from lifecheck.explore.checks import Found, depth_bound, state_bound
from lifecheck.explore.exploration import Exploration, resident_bytes
from lifecheck.explore.search import Search
from lifecheck.explore.team_graph import keeps_graph
from lifecheck.explore.team_liveness import with_liveness
from lifecheck.explore.team_ranks import in_reference_order, rank_level

Ref = tuple[int, int]  # (worker, index of the state in that worker)
Where = tuple[int, ...]  # a Ref, or (worker, index, step index) for a step out of that state


class Team(Protocol):
    """How the coordinator talks to its workers: forked processes or Ray actors."""

    size: int
    kind: str  # what each worker explores with: "vector" or "bfs" (see engines.team_kind)

    def all(self, command: str, args: list[tuple]) -> list[Any]:
        """Send ``command`` with ``args[w]`` to each worker w; their replies, in order."""

    def one(self, worker: int, command: str, *args: Any) -> Any:
        """Ask one worker and wait for its reply."""


def worker_error(message: str, failed_at: Where | None, action: str | None = None,
                 step: int | None = None, order: int | None = None) -> ModelError:
    """A worker's error, told the coordinator as its parts: it adds the path to it."""
    error = ModelError(message, action=action, step=step)
    if failed_at is not None:
        error.failed_at = failed_at
    error.order = order
    return error


def serve(me: int, handlers: dict[str, Callable[..., Any]], command: str, args: tuple) -> tuple:
    """A worker runs one command from the coordinator: ("ok", reply), or ("error", message,
    where, action, step, order) for the coordinator to raise (:func:`worker_error`).
    ``order``: where the reference would have met it, as a worker sets it on the error
    (``ModelError.order``, :func:`lifecheck.explore.team_ranks.key` of the state's rank, and 0
    for the state itself or 1 + k for its step k), so that of the errors several workers
    meet in one command the coordinator raises the reference's (:func:`first_failure`)."""
    try:
        handler = handlers.get(command)
        if handler is None:
            raise ModelError(f"unknown command {command!r}")
        return ("ok", handler(*args))
    except ModelError as exc:
        return ("error", exc.message, exc.failed_at, exc.action, exc.step, exc.order)
    except Exception as exc:  # a bug of ours: say so rather than hang the coordinator
        return ("error", f"worker {me} failed: {type(exc).__name__}: {exc}\n"
                         f"{traceback.format_exc()}", None, None, None, None)


def first_failure(replies: list[tuple]) -> None:
    """Raise the error the reference would have met first among the replies to one command
    (every reply is read before: a reply left in its pipe would be taken for the answer to
    the next command); an error a worker could not place comes last, then by worker."""
    failed = [reply for reply in replies if reply[0] == "error"]
    if failed:
        first = min(failed, key=lambda reply: (reply[5] is None, reply[5] or 0))
        raise worker_error(*first[1:])


def coordinate(system: TransitionSystem, options: Options, team: Team) -> Exploration:
    """Run the level-synchronous search on a team of workers (processes or actors)."""
    return TeamSearch(system, options, team).run()


class TeamSearch(Search):
    """The coordinator's side of a team run (see the module notes)."""

    ENGINE = "team"
    SAVED = ("found", "sometimes_seen", "coverage", "totals", "transitions", "frontier",
             "depth", "complete", "reason", "outside")

    def __init__(self, system: TransitionSystem, options: Options, team: Team) -> None:
        self.system = system
        self.options = options
        self.team = team
        self.started = time.perf_counter()
        self.elapsed = 0.0
        self.resumed_at = 0
        self.next_report = self.started + options.progress_every
        self.found: dict[str, Found] = {}
        self.sometimes_seen: set[str] = set()
        self.coverage: dict[str, int] = {name: 0 for name in system.actions()}
        self.totals = [0] * team.size
        self.worker_rss = [0] * team.size
        self.stored = [0] * team.size  # bytes each worker keeps per state, as it reports them
        self.transitions = 0
        self.outside = 0  # steps that left the spec's constraints
        self.frontier = 0
        self.depth = 0
        self.complete, self.reason, self.stopped = True, "", False
        # Liveness needs the whole graph: workers record their shares (bfs workers resolve
        # their steps' targets level by level, vector workers once at the end), and the
        # coordinator joins them (lifecheck.explore.team_liveness).
        self.keeps_graph = keeps_graph(system, options)
        # The partitions depend on the number of workers and on what they explore with: a
        # run resumes only with as many, of the same kind.
        kind = "" if team.kind == "bfs" else f"{team.kind} "
        self.signature = run_signature(system, options, f"{kind}{self.ENGINE} of {team.size}")

    @property
    def count(self) -> int:  # type: ignore[override]
        return sum(self.totals)

    def run(self) -> Exploration:
        try:
            return super().run()
        except ModelError as exc:
            if exc.failed_at is not None:
                worker, index, *via = exc.failed_at
                exc = exc.at([*self.path((worker, index)), *via])
            raise exc from None

    # -- saving and resuming: the coordinator's figures and every worker's partition -----
    def snapshot(self) -> dict[str, Any]:
        data = super().snapshot()
        data["partitions"] = self.team.all("save", [()] * self.team.size)
        return data

    def restore(self, data: dict[str, Any]) -> None:
        super().restore(data)
        self.team.all("load", [(blob,) for blob in data["partitions"]])

    # -- the search -------------------------------------------------------------------
    def start(self) -> None:
        # Every worker sees every initial state and keeps the ones it owns.
        inits = list(self.system.init_states())
        self.frontier = 0
        offers = self.team.all("init", [(inits,)] * self.team.size)
        ranks = self.ranked(offers)
        for w, report in enumerate(self.team.all("admit", [([], r) for r in ranks])):
            self.absorbed(w, report)

    def pending(self) -> bool:
        return self.frontier > 0

    def frontier_size(self, pending: int) -> int:
        return self.frontier + pending

    def resident(self) -> int:
        """The coordinator's memory and its workers', as they last reported it."""
        return resident_bytes() + sum(self.worker_rss)

    def advance(self, until: float | None) -> None:
        size = self.team.size
        bounds = self.options.bounds
        at_bound = bounds.max_depth is not None and self.depth >= bounds.max_depth
        # Phase 1: every worker expands its frontier and hands back what others own.
        outboxes = []
        for w, report in enumerate(self.team.all("expand", [(self.depth,)] * size)):
            self.transitions += report["transitions"]
            self.outside += report["outside"]
            for name, n in report["coverage"].items():
                self.coverage[name] = self.coverage.get(name, 0) + n
            self.merge(report["found"])
            self.worker_rss[w] = report["rss"]
            outboxes.append(report["outbox"])
        # Phase 2: each owner offers what it has never seen, the coordinator ranks the
        # level, and the owners admit the states ranked within the state bound.
        inboxes = [([outboxes[src][w] for src in range(size)], at_bound, self.depth + 1)
                   for w in range(size)]
        self.frontier = 0
        if self.team.kind == "vector":
            reports = self.claimed(inboxes)
        else:
            offers = self.team.all("offer", inboxes)
            ranks = self.ranked(offers)
            reports = self.team.all("admit", [([], r) for r in ranks])
            for report, offer in zip(reports, offers, strict=True):
                report["blocked"] = offer["blocked"]
        for w, report in enumerate(reports):
            self.absorbed(w, report)
            if report["blocked"]:
                self.complete, self.reason = False, depth_bound(bounds.max_depth)  # type: ignore[arg-type]
        if self.keeps_graph and self.team.kind == "bfs":  # each sender learns the ids its
            # owners gave its batches
            self.team.all("resolve", [([reports[owner]["ids"][w] for owner in range(size)],)
                                      for w in range(size)])
        if self.frontier:
            self.depth += 1
        self.must_stop(0)

    def claimed(self, inboxes: list[tuple]) -> list[dict[str, Any]]:
        """Vector workers absorb in three steps (see :mod:`lifecheck.explore.vector.partition`):
        owners claim the fingerprints they have never seen, senders deliver the rows of
        those only, owners admit the ones ranked within the state bound."""
        size = self.team.size
        claims = self.team.all("claim", inboxes)
        blocked = any(c["blocked"] for c in claims)
        ranks = self.ranked(claims)
        boxes = self.team.all("deliver", [([claims[w]["wants"][src] for w in range(size)],)
                                          for src in range(size)])
        reports = self.team.all("admit", [([boxes[src][w] for src in range(size)], ranks[w])
                                          for w in range(size)])
        for report in reports:
            report["blocked"] = blocked
        return reports

    def ranked(self, offers: list[dict[str, Any]]) -> list[Any]:
        """The ranks of the level's new states, owner by owner, within the state bound."""
        limit = self.options.bounds.max_states
        ranks, cut = rank_level([o["offers"] for o in offers],
                                None if limit is None else max(0, limit - self.count))
        if cut:
            self.complete, self.reason = False, state_bound(limit)  # type: ignore[arg-type]
        return ranks

    def absorbed(self, w: int, report: dict[str, Any]) -> None:
        self.totals[w] = report["states"]
        self.stored[w] = report.get("stored", 0)
        self.frontier += report["new"]
        self.worker_rss[w] = report["rss"]
        self.merge(report["found"])
        self.sometimes_seen |= report["sometimes"]

    def merge(self, new: list[Found]) -> None:
        """Keep, per property, the violation the reference meets first: by depth, then by
        rank key (:mod:`lifecheck.explore.team_ranks`)."""
        for f in new:
            old = self.found.get(f.property)
            if old is None or (f.depth, f.order) < (old.depth, old.order):
                self.found[f.property] = f

    def path(self, ref: Ref) -> list[int]:
        """The replay key of a state: follow parent references from worker to worker."""
        key = []
        while True:
            parent, via = self.team.one(ref[0], "parent", ref[1])
            key.append(via)
            if parent is None:
                break
            ref = parent
        key.reverse()
        return key

    def finish(self) -> Exploration:
        exploration = self.explored()
        if self.keeps_graph and self.complete:
            exploration = with_liveness(exploration, self.team, self.system)
            # (the join and the liveness search it ran are the run's time too)
            exploration.seconds = self.elapsed + time.perf_counter() - self.started
        return exploration

    def explored(self) -> Exploration:
        self.found = in_reference_order(self.found, [p.name for p in self.system.properties])
        keys = {}
        for name, f in self.found.items():
            key = self.path(f.state)
            if f.step_index is not None:
                key.append(f.step_index)
            keys[name] = key
        return Exploration(states=[], parents=None, via=None, level_starts=[], found=self.found,
                           transitions=self.transitions, depth=self.depth,
                           seconds=self.elapsed + time.perf_counter() - self.started,
                           coverage=self.coverage, complete=self.complete,
                           incomplete_reason=self.reason, sometimes_seen=self.sometimes_seen,
                           graph=None, stored_bytes=sum(self.stored) if self.options.measure_memory
                           else 0, count=self.count, keys=keys,
                           workers=self.team.size, per_worker=list(self.totals),
                           fingerprints=self.team.kind == "vector",
                           resumed_at=self.resumed_at, outside=self.outside)
