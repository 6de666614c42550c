"""Checking a spec end to end: explore, check liveness, rebuild traces, give a verdict.

The verdict rules: any violation found makes it ``violated`` (a real
counterexample is real even in a bounded run); otherwise a bound hit makes it
``incomplete``, never ``holds``; bad input makes it ``error`` with a message that
names the spec, the action and the step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .certify import Uncertified, certify
from .contract import EVENTUALLY, SOMETIMES, Options, Progress, TransitionSystem
from .errors import ModelError
from .explore import Exploration, Found, explore
from .liveness import Lasso, check_leads_to
from .parallel import explore_parallel
from .result import ERROR, HOLDS, INCOMPLETE, VIOLATED, Result, Stats, Trace, Violation
from .seen import collision_probability
from .spec import Spec
from .trace import replay


def check_spec(spec: Spec, options: Options | None = None,
               progress: Callable[[Progress], None] | None = None) -> Result:
    """Check one spec; never raises for a problem in the spec or the model."""
    options = options or Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                                 progress=progress)
    result = Result(spec.name, repr(spec.model), ERROR, expected=spec.expect,
                    faults=spec.describe_faults(), bounds=options.bounds.describe(),
                    covers=spec.covers,
                    reduction=f"symmetry of {', '.join(spec.symmetry)}" if spec.symmetry else "")
    system = None
    try:
        system = spec.system()
        result.properties = [p.name for p in system.properties]
        result.fairness = system.fairness().description
        if options.ray:
            from .distributed import explore_on_ray

            _fill_from_team(system, result, explore_on_ray(spec, options, max(options.workers, 1),
                                                           options.ray_address))
        else:
            check_system(system, options, result)
    except ModelError as exc:
        result.verdict = ERROR
        result.violations = []
        result.error = str(exc.within(spec=spec.name))
        key = getattr(exc, "replay_key", None)
        if system is not None and key:
            result.error_trace = _trace_to_error(system, key)
    except Uncertified as exc:  # an engine's bug, never a verdict
        result.verdict = ERROR
        result.violations = []
        result.error = f"spec {spec.name}: {exc}"
    return result


def _trace_to_error(system: TransitionSystem, key: list[int]) -> Trace | None:
    """The path to the state where bad input showed up, when it can be replayed at all."""
    try:
        trace, _ = replay(system, key)
    except ModelError:
        return None
    return trace


def check_system(system: TransitionSystem, options: Options, result: Result) -> Any:
    """Fill ``result`` from exploring ``system``; raises :class:`ModelError` on bad input."""
    if options.workers > 1:
        return _check_parallel(system, options, result)
    engine = options.engine
    if engine in ("vector", "auto"):
        from .vector import explore_vector, refusal

        if engine == "auto":
            engine = "bfs" if refusal(system, options) else "vector"
    if engine == "vector":
        exploration = explore_vector(system, options)
    elif engine == "bfs":
        exploration = explore(system, options)
    else:
        raise ModelError(f"unknown engine {options.engine!r}: the engines are bfs and vector")
    result.stats = Stats(exploration.distinct_states, exploration.transitions, exploration.depth,
                         exploration.seconds, exploration.stored_bytes)
    result.coverage = dict(exploration.coverage)
    result.resumed_at = exploration.resumed_at
    result.warnings = [f"action {name} never fired: a proof over it is vacuous"
                       for name, count in exploration.coverage.items() if count == 0]
    if exploration.fingerprints:
        result.warnings.append(
            f"states were told apart by 64-bit fingerprints: the chance that two of them "
            f"collided (and a state was missed) is about "
            f"{collision_probability(exploration.distinct_states):.1g}")
    violations = [_safety_violation(system, exploration, f)
                  for f in sorted(exploration.found.values(), key=lambda f: _depth_key(exploration, f))]
    if exploration.complete:
        for p in system.properties:
            if p.kind == SOMETIMES and p.name not in exploration.sometimes_seen:
                violations.append(Violation(p.name, SOMETIMES,
                                            f"{p.name}: no reachable state satisfies it"))
        if options.check_liveness:
            for p in system.properties:
                if p.is_liveness:
                    lasso = check_leads_to(p.name, exploration, p.kind == EVENTUALLY)
                    if lasso is not None:
                        violations.append(_liveness_violation(system, exploration, p.name, p.kind, lasso))
    else:
        result.incomplete_reason = exploration.incomplete_reason
        unchecked = [p.name for p in system.properties if p.is_liveness or p.kind == SOMETIMES]
        if unchecked:
            result.warnings.append("not checked on an incomplete run: " + ", ".join(unchecked))
    for v in violations:  # printed only once it replays, by the plain successor function
        certify(system, v)
    if not system.properties:
        result.warnings.append(_NOTHING_CHECKED)
    result.violations = violations
    if violations:
        result.verdict = VIOLATED
    elif not exploration.complete:
        result.verdict = INCOMPLETE
    else:
        result.verdict = HOLDS
    return exploration


def _check_parallel(system: TransitionSystem, options: Options, result: Result) -> Any:
    """The same verdict from worker processes: safety only, traces rebuilt by replay."""
    return _fill_from_team(system, result, explore_parallel(system, options, options.workers))


def _fill_from_team(system: TransitionSystem, result: Result, exploration: Any) -> Any:
    result.stats = Stats(exploration.distinct_states, exploration.transitions, exploration.depth,
                         exploration.seconds, 0)
    result.coverage = dict(exploration.coverage)
    result.warnings = [f"action {name} never fired: a proof over it is vacuous"
                       for name, count in exploration.coverage.items() if count == 0]
    violations = []
    for f in sorted(exploration.found.values(), key=lambda f: (f.depth, f.property)):
        trace, last = replay(system, exploration.keys[f.property])
        observed = system.observe(f.property, last) if f.kind == "always" else []
        violations.append(Violation(f.property, f.kind, f.message, trace, observed))
    if exploration.complete:
        for p in system.properties:
            if p.kind == SOMETIMES and p.name not in exploration.sometimes_seen:
                violations.append(Violation(p.name, SOMETIMES,
                                            f"{p.name}: no reachable state satisfies it"))
    else:
        result.incomplete_reason = exploration.incomplete_reason
    for v in violations:  # printed only once it replays, by the plain successor function
        certify(system, v)
    if not system.properties:
        result.warnings.append(_NOTHING_CHECKED)
    result.violations = violations
    result.verdict = VIOLATED if violations else (HOLDS if exploration.complete else INCOMPLETE)
    return exploration


_NOTHING_CHECKED = ("this spec checks no property: a 'holds' says only that no action raised "
                    "or failed an assert, and, with deadlock checking on, that no deadlock "
                    "is reachable")


def _depth_key(exploration: Exploration, f: Found) -> tuple[int, int]:
    return (exploration.depth_of(f.state) + (1 if f.step_index is not None else 0), f.state)


def _safety_violation(system: TransitionSystem, exploration: Exploration, f: Found) -> Violation:
    key = exploration.path_to(f.state)
    ids = _ids_along(exploration, f.state)
    kept = not exploration.fingerprints
    expected: list[Any] | None = [exploration.states[i] for i in ids] if kept else None
    if f.step_index is not None:
        key.append(f.step_index)
        if expected is not None:
            expected.append(None)
    trace, last = replay(system, key, expected)
    observed = system.observe(f.property, last) if f.kind == "always" else []
    return Violation(f.property, f.kind, f.message, trace, observed)


def _ids_along(exploration: Exploration, sid: int) -> list[int]:
    ids = []
    while sid >= 0:
        ids.append(sid)
        sid = exploration.parents[sid]
    ids.reverse()
    return ids


def _settled_from(exploration: Exploration, name: str, along: list[int]) -> int:
    """The earliest step after which the trigger had held and the goal never held again:
    where the behaviour went wrong, which a reader wants named, rather than wherever
    the search happened to start from."""
    bits = exploration.graph.predicate_bits[name]  # type: ignore[union-attr]
    first = len(along) - 1
    while first > 0 and not bits[along[first - 1]][1]:
        first -= 1
    return next((i for i in range(first, len(along)) if bits[along[i]][0]), first)


def _liveness_violation(system: TransitionSystem, exploration: Exploration, name: str,
                        kind: str, lasso: Lasso) -> Violation:
    first = lasso.stem[0][0] if lasso.stem else lasso.start
    key = [exploration.via[first]] + [k for _, k in lasso.stem] + [k for _, k in lasso.loop]
    states = exploration.states
    expected: list[Any] = [states[s] for s, _ in lasso.stem] + [states[lasso.start]]
    expected += [states[s] for s, _ in lasso.loop[1:]]
    if lasso.loop:
        expected.append(states[lasso.start])
    trace: Trace
    trace, _ = replay(system, key, expected)
    trace.loop_start = len(lasso.stem)
    trace.stutter = not lasso.loop
    trigger_step = _settled_from(exploration, name, [s for s, _ in lasso.stem] + [lasso.start])
    if trace.stutter:
        tail = (f"after step {len(lasso.stem)} no fairly scheduled step is enabled, so the "
                "behaviour may stay there forever")
    else:
        first, last = len(lasso.stem) + 1, len(lasso.stem) + len(lasso.loop)
        tail = f"steps {first}..{last} repeat forever, each fair action taken or disabled on the way"
    if kind == EVENTUALLY:
        message = f"{name} never holds: {tail}"
    else:
        where = "initially" if trigger_step == 0 else f"after step {trigger_step}"
        message = f"{name}: the trigger holds {where}, the goal never holds after it: {tail}"
    observed = system.observe(name, states[lasso.start])
    return Violation(name, "liveness", message, trace, observed)
