"""Any spec as a Hypothesis stateful test, and one behaviour checked a step at a time.

The explorer proves a design within bounds; a stateful test runs the same model
the way Hypothesis runs a program: a random sequence of steps, each drawn from
the steps enabled in the current state, shrunk to a minimal sequence when a
safety property fails. The same machine, driving a real implementation beside
the model, is the conformance test of :mod:`lifecheck.conformance`.

The bridge keeps to the core contract: a rule per action name (so the shrunk
program reads like a trace), whose argument is drawn among that action's enabled
steps in the current state (``system.successors(state)``). Faults need no rules of
their own beyond that: crash and power loss are steps the compiled system already
generates while the spec's budget lasts, and a failed call is a branch of the
action that made it. A failure is reported in lifecheck's own trace format,
rebuilt with ``lifecheck.replay.replay`` from the replay key of the steps taken.

Safety properties (``always``, ``transition``), an action whose code raised, and a
deadlock are checked after every step. They are checked inside the rules rather
than as Hypothesis ``@invariant`` methods because Hypothesis prints every
invariant call of the failing run, one line per property per step, which would
bury the trace. Liveness and ``sometimes`` need the whole state graph; only the
explorer can check them.
"""

from __future__ import annotations

import keyword
import unittest
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from typing import Any, ClassVar

import hypothesis
from hypothesis import HealthCheck, Phase
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from lifecheck.contract import Step, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.modelling.spec import Spec, load_specs
from lifecheck.render.text import render_violation
from lifecheck.result import Violation
from lifecheck.walks.walk import Broken, Problem, Rerun, Walk, build_violation, model_rerun, shorten

START_AGAIN = "start_again"
"""The rule that runs when no step at all is enabled: the lifecycle is over, it starts again."""


class StatefulViolation(AssertionError):
    """A stateful run broke a property; its text is lifecheck's trace of the steps taken.

    Before it is shown, the steps the violation does not need are dropped
    (``lifecheck.walks.walk.shorten``, rerunning through ``rerun``): Hypothesis's shrinker works on
    its own encoding of the choices, and often leaves steps that a rerun of the
    steps themselves shows to be unneeded. That work, and rebuilding the trace, is
    done lazily: Hypothesis raises this many times while shrinking and shows only
    the last.
    """

    def __init__(self, system: TransitionSystem, key: Sequence[int], steps: Sequence[Step],
                 problem: Problem, *, rerun: Rerun | None = None, note: str = "") -> None:
        super().__init__(problem.message)
        self.system = system
        self.key = list(key)
        self.steps = list(steps)
        self.problem = problem
        self.property = problem.property
        self.rerun = rerun
        self.note = note

    @cached_property
    def shortest(self) -> Broken:
        """The shortest run found that breaks the same property."""
        if self.rerun is not None:
            found = shorten(self.steps, self.problem.property, self.rerun, system=self.system,
                            init=self.key[0])
            if found is not None and len(found.key) < len(self.key):
                return found
        return Broken(self.key, self.problem, self.steps)

    @cached_property
    def violation(self) -> Violation:
        """The shortest failing run as the checker reports a violation, trace and all."""
        return build_violation(self.system, self.shortest.key, self.shortest.problem)

    @property
    def program(self) -> list[str]:
        """The failing program as Hypothesis printed it (attached by Hypothesis as notes)."""
        return [line for note in getattr(self, "__notes__", ()) for line in str(note).splitlines()
                if line.startswith("state.") and line != "state.teardown()"]

    def actions(self) -> list[tuple[str | None, str]]:
        """(process, action) of each step: the shape of the counterexample."""
        trace = self.violation.trace
        return [(s.process, s.action) for s in trace.steps] if trace else []

    def __str__(self) -> str:
        lines = [f"{self.problem.property} violated in a stateful run of {self.system.name}"]
        taken, kept = len(self.key) - 1, len(self.shortest.key) - 1
        if kept < taken:
            lines.append(f"(the run took {taken} steps; {taken - kept} of them are not needed "
                         "for the violation and are left out below)")
        lines.append("")
        lines.extend(render_violation(self.violation))
        if self.note:
            lines.extend(["", self.note])
        return "\n".join(lines)


# ======================================================================================
# The Hypothesis bridge
# ======================================================================================

class Pick:
    """One enabled step, as a rule's argument; its repr is what the printed program shows."""

    __slots__ = ("at", "index", "step")

    def __init__(self, index: int, step: Step, at: int) -> None:
        self.index = index
        self.step = step
        self.at = at  # the walk's depth when drawn: a pick is only good for that state

    def __repr__(self) -> str:
        return repr(step_text(self.step))


def step_text(step: Step) -> str:
    """Who and with what, without the action's name (the rule is named after it)."""
    text = step.who()
    if step.params:
        text += " " + ", ".join(f"{k}={v!r}" for k, v in step.params)
    if step.choices:
        text += " -> " + ", ".join(c if isinstance(c, str) else repr(c) for c in step.choices)
    if step.fault and not step.is_fault:
        text += " !!"
    return text


class LifecycleMachine(RuleBasedStateMachine):
    """Base of the machines :func:`machine` builds: a walk through the system, one rule per action."""

    system: ClassVar[TransitionSystem]
    deadlock: ClassVar[bool] = True
    rule_names: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.walk: Walk | None = None
        self._picks: dict[str, list[Pick]] | None = None
        self._put_off: frozenset[str] = frozenset()
        self._rules_strategy = _next_step(self)  # see _next_step for why not Hypothesis's own
        if len(self.system.init_states()) == 1:
            try:
                self._begin(0)
            except BaseException:
                self.teardown()  # Hypothesis only tears down a machine it got to construct
                raise

    # -- hooks for lockstep driving (lifecheck.conformance) --------------------------------
    def _begin(self, init: int) -> None:
        self.walk = Walk(self.system, init, deadlock=self.deadlock)
        self._picks = None
        self._check(self._started() or self.walk.problems())

    def _started(self) -> list[Problem]:
        """Called once the walk exists; what it finds is reported before the initial state's
        own problems (a lockstep implementation that starts out diverged)."""
        return []

    def _stepped(self, step: Step, problems: list[Problem]) -> list[Problem]:
        """Called after each step with what it broke; may add problems (a divergence)."""
        return problems

    def _note(self, problem: Problem) -> str:
        return ""

    def _rerun(self) -> Rerun:
        assert self.walk is not None
        return model_rerun(self.system, self.walk.key[0], deadlock=self.deadlock)

    # -- what the rules use -----------------------------------------------------------------
    def _picks_by_action(self) -> dict[str, list[Pick]]:
        walk = self.walk
        if walk is None:
            return {}
        if self._picks is None:
            picks: dict[str, list[Pick]] = {}
            for i, (step, _) in enumerate(walk.successors()):
                if step.action not in self.rule_names:
                    raise ModelError(f"{self.system.name}: step {step.who()} {step.label()} is "
                                     f"enabled but actions() does not list {step.action!r}; list "
                                     "every action in actions() so it gets a rule")
                picks.setdefault(step.action, []).append(Pick(i, step, walk.depth))
            self._picks = picks
        return self._picks

    def _enabled(self, action: str) -> bool:
        return bool(self._picks_by_action().get(action))

    def _nothing_enabled(self) -> bool:
        return self.walk is not None and not self.walk.successors()

    def _take(self, pick: Pick) -> None:
        walk = self.walk
        assert walk is not None
        if pick.at != walk.depth:
            raise RuntimeError(f"step {pick!r} was drawn at depth {pick.at}, now at {walk.depth}")
        step = walk.successors()[pick.index][0]
        problems = walk.take(pick.index)
        self._picks = None
        self._check(self._stepped(step, problems))

    def _check(self, problems: list[Problem]) -> None:
        if problems:
            assert self.walk is not None
            problem = problems[0]
            raise StatefulViolation(self.system, self.walk.key, self.walk.steps, problem,
                                    rerun=self._rerun(), note=self._note(problem))


def _action_rule(action: str) -> Callable[..., None]:
    def take(self: LifecycleMachine, step: Pick) -> None:
        self._take(step)

    take.__name__ = take.__qualname__ = action
    take.__doc__ = f"Take one of the enabled {action} steps."
    return precondition(lambda self: self._enabled(action))(rule(step=_enabled_step(action))(take))


PUT_OFF = "put_off"
"""The rule that starts every run by choosing the actions it puts off (swarm testing)."""


@st.composite
def _next_step(draw: Callable[..., Any], machine: LifecycleMachine) -> tuple[Any, dict[str, Any]]:
    """The next rule, uniformly among the enabled ones not put off, and its step.

    Hypothesis's own rule selection (a filtered ``sampled_from``) makes a dozen
    draws per step when most rules are disabled, as they are in most states of a
    lifecycle, which made a run several times slower. This draws at most twice
    per step: the rule when several are enabled, its step when it has several.
    Like Hypothesis's selection it is swarm testing (Groce et al., ISSTA 2012):
    each run first puts off a random set of rules (:data:`PUT_OFF`), taken only
    when nothing else is enabled, so that some runs postpone an action (deleting
    a topic, say) long enough for others to build up the state a bug needs.
    That choice is a step of its own, so the shrinker can drop any other step
    without changing it, and it shrinks to putting nothing off.
    """
    rules = type(machine).setup_state().rules
    later = machine._put_off
    enabled = [r for r in rules if all(pre(machine) for pre in r.preconditions)]
    chosen = [r for r in enabled if r.function.__name__ not in later] or enabled
    rule = chosen[draw(_below(len(chosen)))] if len(chosen) > 1 else chosen[0]
    if "step" not in rule.arguments:
        return rule, {k: draw(v) for k, v in rule.arguments_strategies.items()}
    picks = machine._picks_by_action()[rule.function.__name__]
    return rule, {"step": picks[draw(_below(len(picks)))] if len(picks) > 1 else picks[0]}


@st.composite
def _enabled_step(draw: Callable[..., Any], action: str) -> Pick:
    """One of the action's steps enabled in the current state; no draw when there is one.

    Only drawn when Hypothesis picks the rule itself (:func:`_next_step` draws the
    step along with the rule otherwise).
    """
    picks = draw(_RUNNER)._picks_by_action()[action]
    return picks[draw(_below(len(picks)))] if len(picks) > 1 else picks[0]


# Strategies are built once: building one per draw costs more than the draw.
_RUNNER = st.runner()


@lru_cache(maxsize=256)
def _below(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n - 1)


def _put_off_rule(names: Sequence[str]) -> Callable[..., None]:
    def put_off(self: LifecycleMachine, actions: tuple[str, ...]) -> None:
        """This run takes these actions only when nothing else is enabled (swarm testing)."""
        self._put_off = frozenset(actions)

    chosen = st.lists(st.booleans(), min_size=len(names), max_size=len(names)).map(
        lambda bits: tuple(n for n, b in zip(names, bits, strict=True) if b))
    return initialize(actions=chosen)(put_off)


def _start_again_rule(inits: int) -> Callable[..., None]:
    def start_again(self: LifecycleMachine, init: int = 0) -> None:
        """Nothing can happen any more: this behaviour is over (had it been stuck short of a
        final state, the deadlock would have been reported on arrival). The rest of the
        example's steps go to a new behaviour from an initial state, rather than to nothing;
        a violation's trace starts at the last start."""
        self._begin(init)

    drawn = rule(init=st.integers(0, inits - 1)) if inits > 1 else rule()
    return precondition(lambda self: self._nothing_enabled())(drawn(start_again))


def _initial_rule(count: int) -> Callable[..., None]:
    def initial(self: LifecycleMachine, index: int) -> None:
        """The system has several initial states: start from one of them."""
        self._begin(index)

    return initialize(index=st.integers(0, count - 1))(initial)


def resolve(target: Spec | TransitionSystem | str) -> tuple[TransitionSystem, bool, str]:
    """The system, whether deadlocks count, and a name, from a spec, a system or ``PATH::NAME``."""
    if isinstance(target, str):
        specs = load_specs(target)
        if len(specs) != 1:
            names = ", ".join(s.name for s in specs)
            raise ModelError(f"{target} names {len(specs)} specs ({names}); a stateful test runs "
                             "one: name it as PATH::NAME")
        target = specs[0]
    if isinstance(target, Spec):
        return target.system(), target.deadlock, target.name
    if isinstance(target, TransitionSystem):
        return target, True, target.name
    raise ModelError(f"a stateful test needs a Spec, a TransitionSystem or 'PATH::NAME', got "
                     f"{target!r}")


def rule_names(system: TransitionSystem, base: type = LifecycleMachine) -> list[str]:
    """The action names as rule names, refused early when they cannot be rules."""
    names = list(dict.fromkeys(system.actions()))
    if not names:
        raise ModelError(f"{system.name}: actions() lists no action, so a stateful test would "
                         "have no rule; return every action's name from actions()")
    reserved = set(dir(base)) | {START_AGAIN, PUT_OFF, "initial"}
    for name in names:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ModelError(f"{system.name}: action {name!r} cannot name a Hypothesis rule; "
                             "action names must be Python identifiers")
        if name in reserved or name.startswith("_"):
            raise ModelError(f"{system.name}: action {name!r} would clash with the state machine's "
                             f"own attribute {name!r}; rename the action (for example "
                             f"{name.strip('_')}_step)")
    return names


def machine(target: Spec | TransitionSystem | str, *, name: str | None = None,
            base: type[LifecycleMachine] = LifecycleMachine,
            extra: dict[str, Any] | None = None) -> type[LifecycleMachine]:
    """A ``RuleBasedStateMachine`` class for ``target``: a rule per action, safety checked per step."""
    system, deadlock, label = resolve(target)
    names = rule_names(system, base)
    namespace: dict[str, Any] = {
        "system": system,
        "deadlock": deadlock,
        "rule_names": frozenset(names),
        "__doc__": f"Stateful test of {label}: a rule per action, safety checked after every step.",
        "__module__": base.__module__,
    }
    for action in names:
        namespace[action] = _action_rule(action)
    inits = system.init_states()
    if not inits:
        raise ModelError(f"{label}: the system has no initial state")
    namespace[START_AGAIN] = _start_again_rule(len(inits))
    namespace[PUT_OFF] = _put_off_rule(names)
    if len(inits) > 1:
        namespace["initial"] = _initial_rule(len(inits))
    namespace.update(extra or {})
    return type(name or class_name(label), (base,), namespace)


def class_name(label: str) -> str:
    """``extraction/in-place/crash`` -> ``ExtractionInPlaceCrash``."""
    parts = "".join(c if c.isalnum() else " " for c in label).split()
    text = "".join(p[:1].upper() + p[1:] for p in parts) or "Lifecycle"
    return text if text[0].isalpha() else "Spec" + text


# ======================================================================================
# Running
# ======================================================================================

PHASES = tuple(p for p in Phase if p is not Phase.explain)
"""Every phase but explain: it traces every line run while shrinking, which made a run three
times slower, to point at lines of the model (the trace already says what went wrong)."""


def lifecycle_settings(base: hypothesis.settings | None = None, **changes: Any) -> hypothesis.settings:
    """Settings for a lifecycle machine: no deadline (real code can be slow), no health check
    that a model's long setup would trip, and one bug reported (the shortest)."""
    defaults: dict[str, Any] = {"deadline": None, "suppress_health_check": list(HealthCheck),
                                "report_multiple_bugs": False, "phases": PHASES}
    defaults.update(changes)
    return hypothesis.settings(base, **defaults) if base is not None else hypothesis.settings(**defaults)


def stateful_test(target: Spec | TransitionSystem | str, *, settings: hypothesis.settings | None = None,
                  seed: int | None = None) -> type[unittest.TestCase]:
    """One line in a test module makes a spec a pytest test::

        TestExtraction = stateful_test(spec, seed=0)

    ``seed`` fixes Hypothesis's random choices, so the run is the same every time.
    """
    return as_test_case(machine(target), settings=settings, seed=seed)


def as_test_case(cls: type[LifecycleMachine], *, settings: hypothesis.settings | None = None,
                 seed: int | None = None) -> type[unittest.TestCase]:
    """The ``unittest`` test case that runs ``cls``, named after it so that pytest reports
    it by the spec's name; :func:`stateful_test` and the conformance tests return one."""
    if seed is not None:
        cls = hypothesis_seed(seed)(cls)
    case = cls.TestCase
    case.settings = settings or lifecycle_settings()
    case.__name__ = case.__qualname__ = cls.__name__ + "Test"
    return case


def find_violation(target: Spec | TransitionSystem | str | type[LifecycleMachine], *,
                   settings: hypothesis.settings | None = None,
                   seed: int | None = 0) -> StatefulViolation | None:
    """Run the stateful test; the shrunk violation it found, or None when every example passed.

    For tests that expect a design to fail: the returned violation carries the
    trace, the property and the Hypothesis program (``.program``). Runs without
    Hypothesis's example database, so the outcome depends on the seed alone.
    """
    cls = target if isinstance(target, type) else machine(target)
    if seed is not None:
        cls = hypothesis_seed(seed)(cls)
    try:
        run_state_machine_as_test(cls, settings=settings or lifecycle_settings(database=None))
    except StatefulViolation as exc:
        return exc
    return None
