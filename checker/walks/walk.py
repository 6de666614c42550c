"""One behaviour of a system, taken a step at a time and checked for safety as it goes.

The explorer visits every state breadth first; three tools instead follow one
behaviour at a time and choose each next step themselves: the Hypothesis
bridge (:mod:`lifecheck.stateful`), random simulation (:mod:`lifecheck.walks.simulate`)
and conformance with real code (:mod:`lifecheck.conformance`). They share this
module: a :class:`Walk` keeps the replay key of the steps it took (so a trace is
rebuilt exactly as the explorer's are) and reports what each step broke, in
the explorer's own words; :func:`shorten` drops the steps a violation does not
need by rerunning candidate sequences, on the model or on the model and a real
implementation together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from lifecheck.contract import ALWAYS, ActionFailure, Step, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.explore.checks import Checks, deadlock, failed_step, stuck
from lifecheck.replay import replay
from lifecheck.result import Violation


@dataclass(frozen=True)
class Problem:
    """Something a step broke: a safety property, an action that raised, a deadlock."""

    property: str
    kind: str  #: always, transition, assertion, exception, deadlock, divergence
    message: str


class Successors:
    """Successors and problems of states already seen, for walks that cover the same ground
    again and again (the reruns of :func:`shorten`)."""

    def __init__(self) -> None:
        self.successors: dict[Any, list[tuple[Step, Any]]] = {}
        self.problems: dict[Any, list[Problem]] = {}


class Walk:
    """One behaviour of a system, taken a step at a time and checked for safety as it goes.

    The stateful test, random simulation and conformance all step through a system
    like this; they differ only in how they choose the next step. The replay key
    (initial state index, then the index of each step among its state's enabled
    steps) is kept, so that a trace can be rebuilt exactly as the explorer's are.
    """

    def __init__(self, system: TransitionSystem, init: int = 0, *, deadlock: bool = True,
                 memo: Successors | None = None) -> None:
        inits = system.init_states()
        if not 0 <= init < len(inits):
            raise ModelError(f"{system.name}: there is no initial state #{init} "
                             f"(it has {len(inits)})")
        self.system = system
        self.deadlock = deadlock
        self.state: Any = inits[init]
        self.key: list[int] = [init]
        self.steps: list[Step] = []
        self.failure: ActionFailure | None = None
        # The last step left the spec's constraints: its state is checked, and the walk
        # ends there, as an explorer keeps no such state (lifecheck.modelling.constraint).
        self.outside = False
        self._succs: list[tuple[Step, Any]] | None = None
        self._memo = memo
        self._checks = Checks(system)

    @property
    def depth(self) -> int:
        return len(self.steps)

    def successors(self) -> list[tuple[Step, Any]]:
        """The enabled steps of the current state with their outcomes (computed once)."""
        if self._succs is None:
            memo = self._memo
            if self.failure is not None or self.outside:
                self._succs = []
            elif memo is not None and self.state in memo.successors:
                self._succs = memo.successors[self.state]
            else:
                try:
                    self._succs = list(self.system.successors(self.state))
                except ModelError as exc:
                    raise exc.within(step=self.depth + 1) from None
                if memo is not None:
                    memo.successors[self.state] = self._succs
        return self._succs

    def problems(self) -> list[Problem]:
        """What the current state breaks: invariants, and a deadlock where that is checked."""
        memo = self._memo
        if memo is None or self.failure is not None or self.outside:
            return self._problems()
        found = memo.problems.get(self.state)
        if found is None:
            found = memo.problems[self.state] = self._problems()
        return list(found)

    def _problems(self) -> list[Problem]:
        found = [Problem(*broken) for broken in self._checks.broken(self.state)]
        if self.deadlock and self.failure is None and not self.outside:
            succs = self.successors()
            try:
                if stuck(self.system, self.state, succs):
                    found.append(Problem(*deadlock()))
            except ModelError as exc:
                raise exc.within(step=self.depth) from None
        return found

    def take(self, index: int) -> list[Problem]:
        """Take the enabled step at ``index``; what the step and the state it reaches break."""
        step, out = self.successors()[index]
        self.key.append(index)
        self.steps.append(step)
        self._succs = None
        if isinstance(out, ActionFailure):
            self.failure = out
            return [Problem(*failed_step(step, out))]
        before, self.state = self.state, out
        found = [Problem(*broken) for broken in self._checks.across(before, step, out)]
        if self.system.constraint is not None:
            try:
                self.outside = not self.system.in_model(before, out)
            except ModelError as exc:
                raise exc.within(step=self.depth) from None
        return found + self.problems()


def exact_key(system: TransitionSystem, init: int, steps: Sequence[Step]) -> list[int] | None:
    """The replay key of ``steps`` among every enabled step of each state (None if one is
    missing): for a walk whose fault steps listed only a sampled outcome."""
    walk = Walk(system, init)
    for step in steps:
        succs = walk.successors()
        index = next((i for i, (s, _) in enumerate(succs) if s == step), None)
        if index is None:
            return None
        walk.take(index)
    return walk.key


def build_violation(system: TransitionSystem, key: Sequence[int], problem: Problem) -> Violation:
    """The violation as the checker reports it: the trace replayed from ``key``, and for an
    invariant, the fields it read on the last state."""
    trace, last = replay(system, list(key))
    observed: list[tuple[str, Any]] = []
    if problem.kind == ALWAYS and not isinstance(last, ActionFailure):
        observed = system.observe(problem.property, last)
    return Violation(problem.property, problem.kind, problem.message, trace, observed)


class Broken(NamedTuple):
    """A rerun that broke something: the steps it took, their replay key, what broke first."""

    key: list[int]
    problem: Problem
    steps: list[Step]


Rerun = Callable[[Sequence[Step]], "Broken | None"]
"""Runs a sequence of steps afresh from the initial state, skipping any that is not enabled
when its turn comes, up to the first problem; None when nothing broke."""


def find_step(succs: Sequence[tuple[Step, Any]], step: Step) -> int | None:
    """The index of ``step`` among enabled steps: the same step if it is there, else the
    same action of the same process with the same parameters and fault whose choices read
    most like it.

    A shorter rerun changes what a choice offers: a power loss that kept some writes and
    lost others in the long run has other operations pending in the short one. Choice
    labels that list items under headings ("kept: a, b; lost: c") are compared item by
    item: the candidate that puts most of the shared items under the same heading, and
    fewest under another, is taken (the last of equals: of a power loss's outcomes, the
    one that keeps the most).
    """
    for i, (s, _) in enumerate(succs):
        if s == step:
            return i
    same = (step.process, step.action, step.params, step.fault)
    wanted = _headed_items(step.choices)
    found, best = None, None
    for i, (s, _) in enumerate(succs):
        if (s.process, s.action, s.params, s.fault) == same:
            items = _headed_items(s.choices)
            agree = len(items & wanted)
            clash = sum(1 for head, item in items
                        if any(item == w and head != h for h, w in wanted))
            score = agree - clash
            if best is None or score >= best:
                found, best = i, score
    return found


def _headed_items(labels: Sequence[Any]) -> set[tuple[str, str]]:
    """("kept", "create /a") and so on, from labels such as "kept: create /a; lost: ..."."""
    items: set[tuple[str, str]] = set()
    for label in labels:
        if not isinstance(label, str):
            continue
        for part in label.split("; "):
            head, sep, rest = part.partition(": ")
            if not sep:
                head, rest = "", part
            items.update((head, item) for item in rest.split(", "))
    return items


def model_rerun(system: TransitionSystem, init: int = 0, *, deadlock: bool = True) -> Rerun:
    """Rerun steps on the model alone (remembering the states' successors between reruns)."""
    memo = Successors()

    def run(steps: Sequence[Step]) -> Broken | None:
        walk = Walk(system, init, deadlock=deadlock, memo=memo)
        found = walk.problems()
        for step in steps:
            if found:
                break
            index = find_step(walk.successors(), step)
            if index is not None:
                found = walk.take(index)
        return Broken(walk.key, found[0], walk.steps) if found else None

    return run


def shorten(steps: Sequence[Step], prop: str, rerun: Rerun, *,
            system: TransitionSystem | None = None, init: int = 0, max_runs: int = 2000,
            seconds: float | None = 10.0) -> Broken | None:
    """A shorter sequence of ``steps`` that still breaks ``prop`` first (delta debugging).

    Drops chunks of steps, halving the chunk size when no chunk can go, down to
    single steps; a candidate is kept when rerunning it breaks the same property
    before anything else. A rerun skips a step that is no longer enabled, so
    dropping one step also drops those that only made sense after it (the seal
    of a segment whose appends went). With the ``system``, it also tries each
    step's earlier siblings (the same action of the same process with other
    parameters or choices, ``retention(segment=0)`` for ``retention(segment=1)``),
    which can open the way to dropping more. Returns the shortest outcome found
    (None when even ``steps`` does not break ``prop``: a model that is not
    deterministic). Bounded by ``max_runs`` reruns and ``seconds`` (None: by the
    count alone, so that the result is the same on every machine).
    """
    deadline = time.monotonic() + seconds if seconds is not None else float("inf")
    runs = 0
    memo = Successors()

    def budget_left() -> bool:
        return runs < max_runs and time.monotonic() < deadline

    def attempt(candidate: list[Step]) -> Broken | None:
        nonlocal runs
        runs += 1
        got = rerun(candidate)
        return got if got is not None and got.problem.property == prop else None

    def drop(best: Broken) -> Broken:
        chunk = max(1, len(best.steps) // 2)
        while chunk >= 1 and budget_left():
            start, progressed = 0, False
            while start < len(best.steps) and budget_left():
                got = attempt(best.steps[:start] + best.steps[start + chunk:])
                if got is not None and len(got.steps) < len(best.steps):
                    best, progressed = got, True
                else:
                    start += chunk
            if not progressed:
                chunk //= 2
        return best

    def lower(best: Broken) -> Broken | None:
        """The first run that takes an earlier sibling of one of the steps and is no longer."""
        assert system is not None
        walk = Walk(system, init, deadlock=False, memo=memo)
        for i, (step, index) in enumerate(zip(best.steps, best.key[1:], strict=True)):
            succs = walk.successors()
            for sibling, _ in succs[:index]:
                if (sibling.process, sibling.action) != (step.process, step.action):
                    continue
                if not budget_left():
                    return None
                got = attempt([*best.steps[:i], sibling, *best.steps[i + 1:]])
                if got is not None and len(got.steps) <= len(best.steps):
                    return got
            walk.take(index)
        return None

    def drop_each_process(best: Broken) -> Broken:
        """Every step of one process (or one fault kind) at once: in a random walk most steps
        are other processes going about their business."""
        for who in dict.fromkeys((s.process, s.fault if s.is_fault else "") for s in best.steps):
            if not budget_left():
                break
            got = attempt([s for s in best.steps if (s.process, s.fault if s.is_fault else "") != who])
            if got is not None and len(got.steps) < len(best.steps):
                best = got
        return best

    best = attempt(list(steps))
    if best is None:
        return None
    best = drop(drop_each_process(best))
    while system is not None and budget_left():
        lowered = lower(best)
        if lowered is None:
            break
        best = drop(lowered)
    return best
