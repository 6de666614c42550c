"""The safety semantics every explorer and walk share, and their wording.

What counts as a violation (a broken invariant, a failed step, a transition property
broken across a step, a deadlock), how a property that raises is reported, and the
checks of the model itself (determinism, symmetry) are stated here once, so a
violation reads the same whichever engine or walk found it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from lifecheck.contract import (
    ALWAYS,
    SOMETIMES,
    TRANSITION,
    ActionFailure,
    Options,
    Step,
    TransitionSystem,
)
from lifecheck.errors import ModelError
from lifecheck.modelling.reading import as_bool
from lifecheck.typed_values import same_typed

STUCK = "no step is enabled and this is not a declared final state"


def deadlock() -> tuple[str, str, str]:
    """A deadlock as (property, kind, message), worded once for every explorer and walk."""
    return ("Deadlock", "deadlock", STUCK)


def stuck(system: TransitionSystem, state: Any, succs: list[tuple[Step, Any]]) -> bool:
    """The deadlock rule, for a state whose steps are ``succs``: no step but faults is
    enabled and the state is not a declared final one. (Whether deadlocks are checked
    at all is the caller's option.)"""
    for step, _ in succs:  # (Step.is_fault, written out: this runs for every state)
        if not step.fault or step.action != step.fault:
            return False
    return not system.is_final(state)


def failed_step(step: Step, out: ActionFailure) -> tuple[str, str, str]:
    """An action that failed (an assertion, an exception), as (property, kind, message)."""
    return (out.property_name, out.kind, f"{step.who()} {step.label()}: {out.message}")


def broken_across(p: Any, step: Step) -> tuple[str, str, str]:
    """A transition property broken by ``step``, as (property, kind, message)."""
    return (p.name, TRANSITION, f"{p.name} does not hold across {step.who()} {step.label()}")


def state_bound(limit: int) -> str:
    """Why a run is incomplete: the bounds' words, the same from every engine."""
    return f"state bound {limit} reached"


def depth_bound(limit: int) -> str:
    return f"depth bound {limit} reached"


def time_bound(seconds: float) -> str:
    return f"time bound {seconds:g}s reached"


@dataclass
class Found:
    """A property broken at a state, or by a step out of it, as every engine reports it.

    ``state`` is where: a state id for a single process, a ``(worker, index)`` pair
    for a team of workers. ``step_index`` is the offending step among that state's
    steps, when a step (not a state) broke the property.
    """

    property: str
    kind: str
    message: str
    state: Any  # the state where it holds (or the source of the failing step)
    step_index: int | None = None  # index of the offending step among the state's steps
    depth: int = 0  # the depth of the state (teams order violations by it)
    # Teams: where in the reference's order of discovery it was met within its depth, as
    # a rank key (see lifecheck.explore.team_ranks): of the step that broke it, or of the
    # step that first reached the state that breaks it.
    order: int = 0
    rank: int = 0  # teams: the rank in its level of the state where it was met (a step's source)


def unhashable(exc: TypeError, where: str) -> ModelError:
    return ModelError(f"the state reached by {where} is not hashable ({exc}); states must be "
                      "built from immutable values (tuple, frozenset, FrozenMap)")


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


def _with_check(p: Any, check: Callable[[Any], bool] | None) -> Any:
    return p if check is None else replace(p, check=check)


class Checks:
    """The safety properties of one system, sorted by kind once and checked the same way
    by every explorer and walk: a state's broken invariants, the ``sometimes``
    properties it witnesses, and the transition properties a step breaks."""

    def __init__(self, system: TransitionSystem,
                 translated: dict[str, Callable[[Any], bool]] | None = None) -> None:
        """``translated``: a check of one state to use in place of a state property's own
        (the default engine's translated code, :mod:`lifecheck.modelling.straight`)."""
        props = [_with_check(p, translated.get(p.name)) if translated else p
                 for p in system.properties]
        self.invariants = [p for p in props if p.kind == ALWAYS]
        self.sometimes = [p for p in props if p.kind == SOMETIMES]
        self.transitions = [p for p in props if p.kind == TRANSITION]

    def broken(self, state: Any) -> list[tuple[str, str, str]]:
        """The invariants ``state`` breaks, as (property, kind, message)."""
        out: list[tuple[str, str, str]] = []
        for p in self.invariants:
            try:  # (what safely does, with its common case first: this runs for every state)
                value = p.check(state)
            except Exception:
                value = None
            if value is True or (value is not False and safely(p.check, state, p.name)):
                continue
            out.append((p.name, ALWAYS, does_not_hold(p)))
        return out

    def witness(self, state: Any, seen: set[str]) -> None:
        """Add to ``seen`` the ``sometimes`` properties ``state`` satisfies."""
        for p in self.sometimes:
            if p.name not in seen and safely(p.check, state, p.name):
                seen.add(p.name)

    def across(self, before: Any, step: Step, after: Any) -> list[tuple[str, str, str]]:
        """The transition properties ``step`` from ``before`` to ``after`` breaks."""
        return [broken_across(p, step) for p in self.transitions
                if not safely(p.check, (before, after), p.name, pair=True)]
