"""Every reported counterexample is certified before anyone sees it.

A model checker is worth exactly as much as its verdicts. One wrong "holds" or
one false alarm costs more than any feature: a false alarm sends a designer
hunting for a bug that is not in the design, and once a tool has cried wolf its
real counterexamples are read with doubt. The engines are where the cleverness
lives (fingerprints, symmetry, learned step tables, numpy levels, the liveness
graph), and cleverness is where bugs live.

So a violation is checked again, independently of the engine that found it,
with the simplest semantics there is: start from ``system.init_states()``,
follow the replay key with ``system.successors()`` and nothing else, and check
that the property fails exactly where the trace says it does. No engine
module is used here; the walk is written out again on purpose. A trace that
does not reproduce is not a verdict about the design but a bug in lifecheck,
reported as :class:`Uncertified`.

What each kind of violation must show on the replayed states ``s0 .. sn``:

* ``always``: the invariant is false on ``sn``.
* ``transition``: the property is false across the last step ``s(n-1) -> sn``.
* ``assertion`` / ``exception``: the last step's outcome is an
  :class:`~lifecheck.contract.ActionFailure` of that kind.
* ``deadlock``: ``sn`` has no step that is not a fault and is not a final state.
* ``liveness`` (``eventually`` and ``leads_to``, see :mod:`lifecheck.explore.liveness`):
  the goal never holds from the state where the trigger held (``s0`` for
  ``eventually``) to the end, and the end is a behaviour that can go on for
  ever under the spec's fairness: either a stutter (no fair step is enabled in
  ``sn``) or a loop ``s(k) .. sn`` that closes (``sn`` is ``s(k)``, compared
  with types) on which every weakly fair unit enabled in every loop state is
  taken, and every strongly fair unit enabled in some loop state is taken.
* ``sometimes``: there is no trace to check (nothing reachable satisfies it);
  only that such a property exists.

States are compared with :func:`same_state`: ``==`` and the same types at every
depth, since ``0`` and ``False`` (or ``1`` and ``1.0``) are different states of a
model even though Python calls them equal.

A property that raises :class:`~lifecheck.errors.ModelError` while being checked
here is bad input, not an engine bug; the error propagates as it would from the
explorer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from lifecheck.contract import (
    ALWAYS,
    EVENTUALLY,
    LEADS_TO,
    LIVENESS_KINDS,
    SOMETIMES,
    TRANSITION,
    ActionFailure,
    Property,
    Step,
    TransitionSystem,
)
from lifecheck.errors import ModelError
from lifecheck.result import Violation
from lifecheck.values import FrozenMap

__all__ = ["Uncertified", "certify", "same_state"]

_REPORT = ("this is a bug in lifecheck's engine, not a verdict about the design; please "
           "report it together with the spec")

# The kinds of violation a Failure outcome stands for, by the property they are reported as.
_FAILURE_PROPERTY = {"assertion": "AssertionInAction", "exception": "ExceptionInAction"}


class Uncertified(Exception):
    """An engine reported a counterexample that does not reproduce: an internal error.

    ``property`` is the violated property as reported, ``step`` the step of the
    trace where the replay disagreed with the report (None when the whole trace
    is at fault), ``expected`` what the report claims and ``found`` what the
    replay shows.
    """

    def __init__(self, property: str, step: int | None, expected: str, found: str) -> None:
        self.property = property
        self.step = step
        self.expected = expected
        self.found = found
        where = f"at step {step}" if step is not None else "in the trace"
        super().__init__(f"internal error: the counterexample reported for {property} does not "
                         f"reproduce when replayed from the initial state: {where} it should "
                         f"show {expected}, but the replay shows {found}; {_REPORT}")

    def __reduce__(self) -> tuple:
        # Picklable as it was built (a worker process may raise it).
        return (type(self), (self.property, self.step, self.expected, self.found))


# --------------------------------------------------------------------------------------
# Comparing states with their types
# --------------------------------------------------------------------------------------


def same_state(a: Any, b: Any) -> bool:
    """``a == b`` with equal types at every depth: ``(0,)`` and ``(False,)`` differ, as do
    ``0.0`` and ``-0.0``.

    Tuples (named or not), frozensets, :class:`FrozenMap`, dataclasses, lists and
    dicts are compared member by member; anything else by type and ``==``.
    """
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is float:  # -0.0 == 0.0, but 1 / x tells them apart
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (frozenset, set)):
        if a != b:
            return False
        # Members equal under == are the same member of a set: pair them through a dict.
        members = {y: y for y in b}
        return all(same_state(x, members[x]) for x in a)
    if isinstance(a, (FrozenMap, dict)):
        if len(a) != len(b):
            return False
        keys = {k: k for k in b}
        for k, v in a.items():
            if k not in keys or not same_state(k, keys[k]) or not same_state(v, b[k]):
                return False
        return True
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(same_state(getattr(a, f.name), getattr(b, f.name))
                   for f in dataclasses.fields(a))
    try:
        return bool(a == b)
    except Exception:  # an exotic value whose == raises is not the same as anything
        return False


# --------------------------------------------------------------------------------------
# The replay: init_states and successors, nothing else
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Walk:
    """What the replay passed: ``outcomes[i]`` is reached by ``steps[i - 1]`` (``outcomes[0]``
    is the initial state); the last outcome may be an :class:`ActionFailure`."""

    outcomes: list[Any]
    steps: list[Step]

    @property
    def last(self) -> Any:
        return self.outcomes[-1]


def _walk(system: TransitionSystem, name: str, key: Sequence[int]) -> _Walk:
    if not key:
        raise Uncertified(name, None, "a replay key starting at an initial state",
                          "an empty replay key")
    inits = system.init_states()
    first = key[0]
    if not _index_ok(first, len(inits)):
        raise Uncertified(name, 0, f"initial state #{first!r}",
                          f"{len(inits)} initial state(s)")
    outcomes: list[Any] = [inits[first]]
    steps: list[Step] = []
    for n, k in enumerate(key[1:], start=1):
        state = outcomes[-1]
        if isinstance(state, ActionFailure):
            raise Uncertified(name, n, "a state to take the next step from",
                              f"the failure of step {n - 1} ({state.message}) with "
                              f"{len(key) - n} more step(s) in the key")
        succs = system.successors(state)
        if not _index_ok(k, len(succs)):
            raise Uncertified(name, n, f"enabled step #{k!r}",
                              f"{len(succs)} enabled step(s) in that state")
        step, out = succs[k]
        steps.append(step)
        outcomes.append(out)
    return _Walk(outcomes, steps)


def _index_ok(index: Any, size: int) -> bool:
    # bool is an int, and a negative index would silently count from the end.
    return type(index) is int and 0 <= index < size


def _check_printed_steps(violation: Violation, walk: _Walk) -> None:
    """The steps a reader sees are the steps the replay takes."""
    trace = violation.trace
    assert trace is not None
    if len(trace.steps) != len(walk.steps):
        raise Uncertified(violation.property, None,
                          f"{len(walk.steps)} step(s) as in its replay key",
                          f"{len(trace.steps)} printed step(s)")
    for n, (printed, step) in enumerate(zip(trace.steps, walk.steps, strict=True), start=1):
        if (printed.label, printed.process, printed.action) != (step.label(), step.process,
                                                                step.action):
            raise Uncertified(violation.property, n,
                              f"{step.who()} {step.label()} (the step the replay key takes)",
                              f"{printed.process or 'env'} {printed.label} printed")


def _state_at(violation: Violation, walk: _Walk, n: int) -> Any:
    out = walk.outcomes[n]
    if isinstance(out, ActionFailure):
        raise Uncertified(violation.property, n, "a state",
                          f"the step failing: {out.kind} {out.message!r}")
    return out


# --------------------------------------------------------------------------------------
# Certification
# --------------------------------------------------------------------------------------


def certify(system: TransitionSystem, violation: Violation) -> None:
    """Raise :class:`Uncertified` unless ``violation`` reproduces on ``system``'s own semantics.

    Returns None when the counterexample is real. Property code raising
    :class:`ModelError` propagates (bad input, as during exploration).
    """
    name, kind = violation.property, violation.kind
    trace = violation.trace
    if kind == SOMETIMES:
        _property(system, violation, (SOMETIMES,))
        return
    if trace is None:
        raise Uncertified(name, None, f"a counterexample trace for a {kind} violation",
                          "no trace")
    if kind != "liveness" and (trace.loop_start is not None or trace.stutter):
        raise Uncertified(name, None, f"a finite trace for a {kind} violation",
                          "a trace marked as a lasso")
    check = _CHECKS.get(kind)
    if check is None:
        raise Uncertified(name, None, "a kind of violation lifecheck knows how to certify "
                          f"({', '.join(sorted(_CHECKS))} or {SOMETIMES})", f"kind {kind!r}")
    walk = _walk(system, name, trace.replay)
    _check_printed_steps(violation, walk)
    check(system, violation, walk)


def _property(system: TransitionSystem, violation: Violation, kinds: Sequence[str]) -> Property:
    for p in system.properties:
        if p.name == violation.property and p.kind in kinds:
            return p
    raise Uncertified(violation.property, None,
                      f"a {' or '.join(kinds)} property named {violation.property}",
                      "no such property in the system checked")


def _holds(p: Property, fn: Callable[..., Any] | None, *args: Any) -> bool:
    """A property's verdict; property code that raises is bad input, as in the explorer.

    A missing function (a ``leads_to`` without a trigger) never holds, as in the explorer.
    """
    if fn is None:
        return False
    try:
        return bool(fn(*args))
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"property {p.name} raised {type(exc).__name__}: {exc}; a property must "
                         "return True or False on every reachable state") from None


def _last_step(violation: Violation, walk: _Walk) -> int:
    n = len(walk.steps)
    if n == 0:
        raise Uncertified(violation.property, 0, f"a step that the {violation.kind} violation "
                          "is about", "a trace of the initial state only")
    return n


def _always(system: TransitionSystem, violation: Violation, walk: _Walk) -> None:
    p = _property(system, violation, (ALWAYS,))
    n = len(walk.steps)
    state = _state_at(violation, walk, n)
    if _holds(p, p.check, state):
        raise Uncertified(p.name, n, f"a state where {p.name} is false",
                          f"{p.name} holding in the last state")


def _transition(system: TransitionSystem, violation: Violation, walk: _Walk) -> None:
    p = _property(system, violation, (TRANSITION,))
    n = _last_step(violation, walk)
    before, after = _state_at(violation, walk, n - 1), _state_at(violation, walk, n)
    if _holds(p, p.check, before, after):
        step = walk.steps[-1]
        raise Uncertified(p.name, n, f"a step across which {p.name} is false",
                          f"{p.name} holding across {step.who()} {step.label()}")


def _failure(system: TransitionSystem, violation: Violation, walk: _Walk) -> None:
    n = _last_step(violation, walk)
    out = walk.last
    step = walk.steps[-1]
    wanted = _FAILURE_PROPERTY[violation.kind]
    if violation.property != wanted:
        raise Uncertified(violation.property, n, f"an {violation.kind} violation reported as "
                          f"{wanted}", f"it reported as {violation.property}")
    if not isinstance(out, ActionFailure):
        raise Uncertified(violation.property, n,
                          f"{step.who()} {step.label()} failing with an {violation.kind}",
                          "the step running normally")
    if out.kind != violation.kind or out.property_name != violation.property:
        raise Uncertified(violation.property, n,
                          f"{step.who()} {step.label()} failing with an {violation.kind}",
                          f"it failing with an {out.kind} ({out.message})")


def _deadlock(system: TransitionSystem, violation: Violation, walk: _Walk) -> None:
    if violation.property != "Deadlock":
        raise Uncertified(violation.property, None, "a deadlock reported as Deadlock",
                          f"it reported as {violation.property}")
    n = len(walk.steps)
    state = _state_at(violation, walk, n)
    enabled = [step for step, _ in system.successors(state) if not step.is_fault]
    if enabled:
        step = enabled[0]
        raise Uncertified("Deadlock", n, "a state where no step but a fault is enabled",
                          f"{len(enabled)} enabled step(s), e.g. {step.who()} {step.label()}")
    if system.is_final(state):
        raise Uncertified("Deadlock", n, "a state that is not a declared final state",
                          "a final state, where stopping is legitimate")


def _liveness(system: TransitionSystem, violation: Violation, walk: _Walk) -> None:
    p = _property(system, violation, LIVENESS_KINDS)
    trace = violation.trace
    assert trace is not None
    name = p.name
    n = len(walk.steps)
    states = [_state_at(violation, walk, i) for i in range(n + 1)]
    fairness = system.fairness()
    classify = fairness.classify

    if trace.stutter:
        if trace.loop_start is not None and trace.loop_start != n:
            raise Uncertified(name, trace.loop_start, f"the stutter to start at the last state "
                              f"(step {n})", f"loop_start {trace.loop_start}")
        start = n
    else:
        start = trace.loop_start  # type: ignore[assignment]
        if start is None or type(start) is not int or not 0 <= start < n:
            raise Uncertified(name, None, f"a loop start between 0 and {n - 1} (or a stutter)",
                              f"loop_start {trace.loop_start!r} on a trace of {n} step(s)")

    # The goal must not hold from where the trigger held to the end: find the suffix of
    # not-goal states, and the trigger in it.
    settled = n + 1
    while settled > 0 and not _holds(p, p.check, states[settled - 1]):
        settled -= 1
    if settled > start:
        raise Uncertified(name, settled - 1, "a state where the goal does not hold (the loop "
                          "and the path to it from the trigger must avoid it)",
                          "the goal holding there")
    if p.kind == EVENTUALLY:
        if settled > 0:
            raise Uncertified(name, settled - 1, "the goal never holding (eventually)",
                              "the goal holding there")
    else:
        assert p.kind == LEADS_TO
        # A trigger on the loop counts too: the loop comes round to it again and again.
        if not any(_holds(p, p.trigger, states[i]) for i in range(settled, n + 1)):
            raise Uncertified(name, settled, "the trigger holding at some state after which "
                              "the goal never holds", "the trigger never holding there")

    if trace.stutter:
        fair = [step for step, _ in system.successors(states[n]) if classify(step) is not None]
        if fair:
            step = fair[0]
            raise Uncertified(name, n, "a state where no fairly scheduled step is enabled, so "
                              "the behaviour may stop there",
                              f"{step.who()} {step.label()} enabled and fair")
        return

    if not same_state(states[n], states[start]):
        raise Uncertified(name, n, f"the loop to close: the state after step {n} equal to the "
                          f"state after step {start}", "a different state")
    loop_states: list[Hashable] = states[start:n]
    loop_steps = walk.steps[start:n]
    always_enabled: set[Any] | None = None
    sometimes_enabled: set[Any] = set()
    for s in loop_states:
        here = {c for c in (classify(step) for step, _ in system.successors(s)) if c is not None}
        always_enabled = here if always_enabled is None else always_enabled & here
        sometimes_enabled |= here
    taken = {c for c in map(classify, loop_steps) if c is not None}
    owed = (always_enabled or set()) - taken
    if owed:
        raise Uncertified(name, start + 1, f"a weakly fair loop (steps {start + 1}..{n}): every "
                          "fair action enabled all around it taken on it",
                          f"{_classes(owed)} enabled in every state of the loop and never taken")
    starved = {c for c in sometimes_enabled - taken if fairness.is_strong(c)}
    if starved:
        raise Uncertified(name, start + 1, f"a strongly fair loop (steps {start + 1}..{n}): "
                          "every strongly fair action enabled somewhere on it taken on it",
                          f"{_classes(starved)} enabled on the loop and never taken")


def _classes(classes: set[Any]) -> str:
    return ", ".join(sorted(map(repr, classes)))


_CHECKS: dict[str, Callable[[TransitionSystem, Violation, _Walk], None]] = {
    ALWAYS: _always,
    TRANSITION: _transition,
    "assertion": _failure,
    "exception": _failure,
    "deadlock": _deadlock,
    "liveness": _liveness,
}
