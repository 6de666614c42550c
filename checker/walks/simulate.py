"""Random simulation: many random walks with faults, for state spaces too large to exhaust.

Where ``lifecheck check`` would need hours (many files, several brokers, power
loss and crashes together), random walks still find the bugs that short
behaviours reach. Each walk starts at the initial state and takes random enabled
steps, checking the safety properties after every one, as the explorer does.
Walks differ in their fault mix, swarm style (Groce et al., "Swarm Testing",
ISSTA 2012): each walk draws, for every fault kind, how often it strikes (never,
rarely, often), and leaves out some actions (taken only when nothing else can
happen). A bug that needs a fault late in a long lifecycle is found by the walks
that inject rarely; one that needs many faults by those that inject often.

A violation found is real: its trace replays on the model, and is shortened by
dropping the steps it does not need. No violation found proves nothing: the
output says so every time. The same seed gives the same walks, the same
violations and the same traces (unless ``--seconds``, which bounds each spec's
walks, cuts the run short: the output then says how many walks to ask for to
repeat it exactly). Only safety properties are checked; liveness needs the
whole state graph, and ``sometimes`` properties are reported as reached or not.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lifecheck.contract import ALWAYS, SOMETIMES, TRANSITION, Step, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.modelling.faults import Fail
from lifecheck.modelling.spec import Spec
from lifecheck.result import VIOLATED, Expectation, Violation
from lifecheck.walks.walk import Problem, Walk, build_violation, exact_key, model_rerun, shorten

RATES = (0.0, 0.005, 0.02, 0.08, 0.3)
"""Per walk and fault kind: the chance, at each step where such a fault can strike, that it does."""
LEAVE_OUT = 0.25
"""Per walk and action: the chance that the walk takes the action only when nothing else can happen."""
SHORTEN_RUNS = 400
"""Reruns spent shortening each violation found (a count, not a time, so output is repeatable)."""


@dataclass(frozen=True)
class Mix:
    """One walk's emphasis: how often each fault kind strikes, which actions it puts off."""

    rates: tuple[tuple[str, float], ...]
    left_out: frozenset[str]

    def rate(self, kind: str) -> float:
        return dict(self.rates).get(kind, 0.0)

    def describe(self) -> str:
        faults = ", ".join(f"{k} {r:.1%}" for k, r in self.rates) or "no faults"
        later = f"; puts off {', '.join(sorted(self.left_out))}" if self.left_out else ""
        return faults + later


@dataclass
class Finding:
    """The shortest walk found breaking one property, and where it was first seen."""

    problem: Problem
    key: list[int]
    steps: list[Step]
    walk: int
    mix: Mix
    first_walk: int
    first_depth: int
    first_seconds: float
    times: int = 1
    violation: Violation | None = None

    @property
    def depth(self) -> int:
        return len(self.key) - 1


@dataclass
class Simulation:
    """What a simulation did and found; plain data, like a :class:`~lifecheck.result.Result`."""

    spec: str
    model: str
    faults: str
    expected: Expectation | None
    seed: int
    max_walks: int
    max_depth: int
    walks: int = 0
    steps: int = 0
    seconds: float = 0.0
    distinct: int = 0
    stopped_by: str = "walks"
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    findings: dict[str, Finding] = field(default_factory=dict)
    reached: dict[str, int] = field(default_factory=dict)  # sometimes-property -> first walk
    unreached: list[str] = field(default_factory=list)

    @property
    def violated(self) -> list[str]:
        return list(self.findings)

    @property
    def unexpected(self) -> list[str]:
        """Violations the spec does not expect: a finding that contradicts the spec."""
        exp = self.expected
        allowed = set(exp.properties) if exp is not None and exp.verdict == VIOLATED else set()
        return [p for p in self.findings if p not in allowed]

    @property
    def missed(self) -> list[str]:
        """Violations the spec expects that no walk found (not an error: walks are samples)."""
        exp = self.expected
        if exp is None or exp.verdict != VIOLATED:
            return []
        return [p for p in exp.properties if p not in self.findings and p not in self.not_checked]


def fault_kinds(system: TransitionSystem) -> list[str]:
    """The fault names steps carry (``Step.fault``), from the spec's budgets when it has any."""
    kinds: list[str] = []
    for f in getattr(system, "faults", ()):
        name = f.step
        if name not in kinds:
            kinds.append(name)
    return kinds


def draw_mix(rng: random.Random, kinds: Sequence[str], actions: Sequence[str]) -> Mix:
    rates = tuple((k, rng.choice(RATES)) for k in kinds)
    left_out = frozenset(a for a in actions if rng.random() < LEAVE_OUT)
    return Mix(rates, left_out)


def next_step(rng: random.Random, succs: Sequence[tuple[Step, Any]], mix: Mix) -> int | None:
    """The walk's next step: a fault where one strikes, else an ordinary step, else None."""
    ordinary: list[int] = []
    faulty: dict[str, list[int]] = {}
    for i, (step, _) in enumerate(succs):
        if step.fault:
            for kind in dict.fromkeys(step.fault.split(",")):
                faulty.setdefault(kind, []).append(i)
        else:
            ordinary.append(i)
    for kind in sorted(faulty):
        if rng.random() < mix.rate(kind):
            return rng.choice(faulty[kind])
    preferred = [i for i in ordinary if succs[i][0].action not in mix.left_out]
    pool = preferred or ordinary
    if pool:
        return rng.choice(pool)
    # Only faults can happen (every process is done): one strikes if this walk injects it at all.
    live = [k for k in sorted(faulty) if mix.rate(k) > 0]
    if live:
        return rng.choice(faulty[rng.choice(live)])
    return None


def simulate(system: TransitionSystem, *, walks: int = 1000, depth: int = 200,
             seconds: float | None = None, seed: int = 0, deadlock: bool = True,
             name: str = "", expected: Expectation | None = None, faults: str = "") -> Simulation:
    """Run random walks on ``system``; every safety violation found, each with its shortest trace."""
    if walks < 1 or depth < 1:
        raise ModelError(f"simulate needs at least one walk of at least one step "
                         f"(got --walks {walks}, --depth {depth})")
    if seconds is not None and seconds <= 0:
        raise ModelError(f"--seconds must be positive, got {seconds:g}")
    props = list(system.properties)
    model = getattr(system, "model", None)
    sim = Simulation(name or system.name, repr(model) if model is not None else system.name,
                     faults, expected, seed, walks, depth)
    sim.checked = [p.name for p in props if p.kind in (ALWAYS, TRANSITION)]
    sim.not_checked = [p.name for p in props if p.is_liveness]
    sometimes = [p for p in props if p.kind == SOMETIMES]
    kinds = fault_kinds(system)
    injected = {f.step for f in getattr(system, "faults", ()) if not isinstance(f, Fail)}
    actions = [a for a in system.actions() if a not in injected | {"crash", "power_loss"}]
    inits = len(system.init_states())
    started = time.perf_counter()
    deadline = started + seconds if seconds is not None else None
    visited: set[int] = set()
    sampled = hasattr(system, "fault_sampler")
    try:
        _walk(system, sim, walks, depth, seed, started, deadline, deadlock, kinds, actions,
              inits, sometimes, visited, sampled)
    finally:
        if sampled:
            system.fault_sampler = None  # type: ignore[attr-defined]
    sim.distinct = len(visited)
    sim.unreached = [p.name for p in sometimes if p.name not in sim.reached]
    for finding in sim.findings.values():
        if sampled:  # the walk's key indexes sampled steps; find them among every step
            finding.key = exact_key(system, finding.key[0], finding.steps) or finding.key
        rerun = model_rerun(system, finding.key[0], deadlock=deadlock)
        short = shorten(finding.steps, finding.problem.property, rerun, system=system,
                        init=finding.key[0], max_runs=SHORTEN_RUNS, seconds=None)
        key, problem = (short.key, short.problem) if short is not None else (finding.key,
                                                                             finding.problem)
        finding.violation = build_violation(system, key, problem)
    sim.seconds = time.perf_counter() - started
    return sim


def _walk(system: TransitionSystem, sim: Simulation, walks: int, depth: int, seed: int,
          started: float, deadline: float | None, deadlock: bool, kinds: Sequence[str],
          actions: Sequence[str], inits: int, sometimes: list[Any], visited: set[int],
          sampled: bool) -> None:
    """The walks themselves; a fault step's hooks take one random outcome when ``sampled``."""
    for w in range(walks):
        if deadline is not None and time.perf_counter() > deadline:
            sim.stopped_by = "time"
            break
        rng = random.Random(f"{seed}/{w}")
        if sampled:
            system.fault_sampler = random.Random(f"{seed}/{w}/faults")  # type: ignore[attr-defined]
        mix = draw_mix(rng, kinds, actions)
        walk = Walk(system, rng.randrange(inits), deadlock=deadlock)
        found = walk.problems()
        _reach(sim, sometimes, walk.state, w)
        while not found and walk.depth < depth:
            index = next_step(rng, walk.successors(), mix)
            if index is None:
                break
            found = walk.take(index)
            sim.steps += 1
            visited.add(hash(walk.state))
            if walk.failure is None:
                _reach(sim, sometimes, walk.state, w)
            if deadline is not None and (sim.steps & 255) == 0 and time.perf_counter() > deadline:
                break
        sim.walks = w + 1
        for problem in found:
            _record(sim, problem, walk, w, mix, time.perf_counter() - started)


def _reach(sim: Simulation, sometimes: list[Any], state: Any, walk: int) -> None:
    for p in sometimes:
        if p.name not in sim.reached and p.check(state):
            sim.reached[p.name] = walk


def _record(sim: Simulation, problem: Problem, walk: Walk, w: int, mix: Mix, seconds: float) -> None:
    old = sim.findings.get(problem.property)
    if old is None:
        sim.findings[problem.property] = Finding(problem, list(walk.key), list(walk.steps), w, mix,
                                                 w, walk.depth, seconds)
        return
    old.times += 1
    if len(walk.key) < len(old.key):
        old.problem, old.key, old.steps, old.walk, old.mix = (problem, list(walk.key),
                                                              list(walk.steps), w, mix)


def simulate_spec(spec: Spec, *, walks: int, depth: int, seconds: float | None,
                  seed: int) -> Simulation:
    return simulate(spec.system(), walks=walks, depth=depth, seconds=seconds, seed=seed,
                    deadlock=spec.deadlock, name=spec.name, expected=spec.expect,
                    faults=spec.describe_faults())
