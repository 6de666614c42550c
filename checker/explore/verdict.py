"""Checking a spec end to end: explore, check liveness, rebuild traces, give a verdict.

The verdict rules: any violation found makes it ``violated`` (a real
counterexample is real even in a bounded run); otherwise a bound hit makes it
``incomplete``, never ``holds``; bad input makes it ``error`` with a message that
names the spec, the action and the step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lifecheck.contract import EVENTUALLY, SOMETIMES, Options, Progress, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.explore.certify import Uncertified, certify
from lifecheck.explore.checks import Found
from lifecheck.explore.engines import engine_for
from lifecheck.explore.exploration import Exploration
from lifecheck.explore.liveness import Lasso, check_leads_to
from lifecheck.explore.seen import collision_probability
from lifecheck.modelling.spec import Spec
from lifecheck.replay import replay
from lifecheck.result import (
    ERROR,
    HOLDS,
    INCOMPLETE,
    VIOLATED,
    ErrorDetail,
    Result,
    Stats,
    Trace,
    Violation,
)
from lifecheck.result_data import bound_limits, fault_budgets


def check_spec(spec: Spec, options: Options | None = None,
               progress: Callable[[Progress], None] | None = None) -> Result:
    """Check one spec; never raises for a problem in the spec or the model.

    Such a problem is the verdict ``error``, with a message naming the spec, the action
    and the step, so that one bad spec among many is reported beside the others
    instead of ending the run. ``options`` default to the spec's bounds and deadlock
    setting; ``progress`` is called about once a second on long runs.
    """
    options = options or Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                                 progress=progress)
    result = Result(spec.name, repr(spec.model), ERROR, expected=spec.expect,
                    faults=spec.describe_faults(), bounds=options.bounds.describe(),
                    covers=spec.covers,
                    reduction=f"symmetry of {', '.join(spec.symmetry)}" if spec.symmetry else "",
                    fault_budgets=fault_budgets(spec.faults), bound_limits=bound_limits(options.bounds))
    system = None
    try:
        system = spec.system()
        result.properties = [p.name for p in system.properties]
        result.assumes(system.fairness())
        engine = engine_for(system, options)
        to_result(system, engine.explore(system, options, spec), options, result)
    except ModelError as exc:
        result.verdict = ERROR
        result.violations = []
        located = exc.within(spec=spec.name)
        result.error, result.error_detail = str(located), ErrorDetail.of(located)
        key = exc.replay_key
        if system is not None and key:
            result.error_trace = _trace_to_error(system, key)
    except Uncertified as exc:  # an engine's bug, never a verdict
        result.verdict = ERROR
        result.violations = []
        result.error = f"spec {spec.name}: {exc}"
        result.error_detail = ErrorDetail(str(exc), spec=spec.name)
    return result


def _trace_to_error(system: TransitionSystem, key: list[int]) -> Trace | None:
    """The path to the state where bad input showed up, when it can be replayed at all."""
    try:
        trace, _ = replay(system, key)
    except ModelError:
        return None
    return trace


def check_system(system: TransitionSystem, options: Options, result: Result) -> Exploration:
    """Fill ``result`` from exploring ``system``; raises :class:`ModelError` on bad input."""
    exploration = engine_for(system, options).explore(system, options, None)
    return to_result(system, exploration, options, result)


def to_result(system: TransitionSystem, exploration: Exploration, options: Options,
              result: Result) -> Exploration:
    """The verdict, whichever engine explored: every engine's result is read the same way."""
    chance = collision_probability(exploration.distinct_states) if exploration.fingerprints else None
    result.stats = Stats(exploration.distinct_states, exploration.transitions, exploration.depth,
                         exploration.seconds, exploration.stored_bytes, exploration.outside,
                         chance)
    result.coverage = dict(exploration.coverage)
    result.resumed_at = exploration.resumed_at
    result.warnings = [f"action {name} never fired: a proof over it is vacuous"
                       for name, count in exploration.coverage.items() if count == 0]
    violations = [_safety_violation(system, exploration, f) for f in exploration.in_order()]
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


_NOTHING_CHECKED = ("this spec checks no property: a 'holds' says only that no action raised "
                    "or failed an assert, and, with deadlock checking on, that no deadlock "
                    "is reachable")


def _safety_violation(system: TransitionSystem, exploration: Exploration, f: Found) -> Violation:
    trace, last = replay(system, exploration.key_of(f), exploration.states_along(f))
    observed = system.observe(f.property, last) if f.kind == "always" else []
    return Violation(f.property, f.kind, f.message, trace, observed)


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
        if exploration.graph is not None and exploration.graph.strong:
            tail += " (each strongly fair one enabled on the way taken)"
    if kind == EVENTUALLY:
        message = f"{name} never holds: {tail}"
    else:
        where = "initially" if trigger_step == 0 else f"after step {trigger_step}"
        message = f"{name}: the trigger holds {where}, the goal never holds after it: {tail}"
    observed = system.observe(name, states[lasso.start])
    return Violation(name, "liveness", message, trace, observed)
