"""One exhaustive run as data that can be saved between levels and resumed.

What every single-process engine shares, after TLC's ``AbstractChecker``: starting
or resuming from a checkpoint, the checkpoint cadence between levels, the first
violation kept per property, and the watch on time, memory and the progress line.
An engine supplies how to start, how to advance by a level (or by a stretch of
levels that ends by a given time), what it saves, and how it finishes.
"""

from __future__ import annotations

import time
from typing import Any

from lifecheck.contract import Options, Progress, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.explore.checkpoint import load_checkpoint, run_signature, save_checkpoint
from lifecheck.explore.checks import Found
from lifecheck.explore.exploration import Exploration, resident_bytes, watch_run


class Search:
    """The run loop of an engine; subclasses set the attributes below in ``__init__``."""

    ENGINE = ""  # the checkpoint signature's engine name: a run resumes only in its engine
    SAVED: tuple[str, ...] = ()  # the attributes a checkpoint holds

    system: TransitionSystem
    options: Options
    signature: str
    started: float
    elapsed: float  # seconds spent by the runs this one resumes
    resumed_at: int
    count: int
    transitions: int
    depth: int
    found: dict[str, Found]
    checks: Any  # the safety checks (lifecheck.explore.checks.Checks)
    sometimes_seen: set[str]
    outside: int  # steps that left the spec's constraints
    complete: bool
    reason: str
    stopped: bool
    next_report: float

    def run(self) -> Exploration:
        """Explore; with ``options.checkpoint``, save between levels and resume a saved run."""
        options = self.options
        path = options.checkpoint
        saved = load_checkpoint(path, self.signature) if path else None
        if saved is not None:
            self.restore(saved)
        else:
            self.start()
        return self.carry_on(time.perf_counter())

    def carry_on(self, last_saved: float) -> Exploration:
        """Level after level until the frontier is empty or a bound stops the run; an
        engine may hand the run over to another between levels (:meth:`successor`)."""
        options = self.options
        path = options.checkpoint
        while self.pending() and not self.stopped:
            if path and time.perf_counter() - last_saved >= options.checkpoint_every:
                save_checkpoint(path, self.signature, self.snapshot())
                last_saved = time.perf_counter()
            self.advance(last_saved + options.checkpoint_every if path else None)
            after = self.successor()
            if after is not None:
                return after.carry_on(last_saved)
        return self.finish()

    def sign(self) -> None:
        self.signature = run_signature(self.system, self.options, self.ENGINE)

    def snapshot(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.SAVED}
        data["elapsed"] = self.elapsed + time.perf_counter() - self.started
        return data

    def restore(self, data: dict[str, Any]) -> None:
        for name in self.SAVED:
            setattr(self, name, data[name])
        self.elapsed = data["elapsed"]
        self.resumed_at = self.resumed_count()
        self.started = time.perf_counter()

    def note(self, f: Found) -> None:
        """Keep the first violation of each property: the search meets the shallowest first."""
        if f.property not in self.found:
            self.found[f.property] = f

    def outside_constraint(self, sid: int, k: int, state: Any, step: Any, out: Any) -> bool:
        """Whether step ``k`` out of ``sid`` leaves the spec's constraints; the state it
        reaches is then checked here, and neither kept nor explored (an engine that runs
        steps as written; the vector engine learns the constraints instead)."""
        try:
            if self.system.in_model(state, out):
                return False
            self.outside += 1
            for broken in self.checks.broken(out):
                self.note(Found(*broken, sid, k))
            self.checks.witness(out, self.sometimes_seen)
        except ModelError as exc:
            raise self.locate_step(exc, sid, k).within(
                action=f"{step.who()} {step.label()}") from None
        return True

    def must_stop(self, pending: int) -> bool:
        """Bounds on time and memory, and the progress line; ``pending``: states found
        for the next level so far (the progress line's frontier counts them)."""
        seconds = self.options.bounds.max_seconds
        deadline = None if seconds is None else self.started + seconds - self.elapsed
        reason, self.next_report = watch_run(
            self.options, deadline, self.next_report,
            lambda rss, now: Progress(self.count, self.transitions, self.frontier_size(pending),
                                      self.depth, self.elapsed + now - self.started, rss),
            self.resident)
        if reason:
            self.complete, self.reason, self.stopped = False, reason, True
        return bool(reason)

    def resident(self) -> int:
        """The memory the run holds, for the memory bound and the progress line."""
        return resident_bytes()

    # -- what an engine supplies ---------------------------------------------------------
    def start(self) -> None:
        raise NotImplementedError

    def pending(self) -> bool:
        """Whether a frontier is left to expand."""
        raise NotImplementedError

    def advance(self, until: float | None) -> None:
        """Expand a level; an engine may go on through further levels until ``until``."""
        raise NotImplementedError

    def frontier_size(self, pending: int) -> int:
        raise NotImplementedError

    def hands_over(self) -> bool:
        """Whether the run goes on in another engine from this level boundary."""
        return False

    def successor(self) -> Search | None:
        """The run that goes on from here in another engine, or None to go on in this one
        (called between levels, with the frontier whole, where :meth:`hands_over`)."""
        return None

    def resumed_count(self) -> int:
        """Distinct states the resumed run had found."""
        return self.count

    def finish(self) -> Exploration:
        raise NotImplementedError

    def locate_step(self, exc: ModelError, sid: int, via: int) -> ModelError:
        """``exc`` located at step ``via`` out of state ``sid``."""
        raise NotImplementedError
