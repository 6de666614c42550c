"""The core contract every explorer runs on.

An explorer needs very little from a model: its initial states, the steps enabled
in a state (each with its successor, in a deterministic order) and the properties
to check. Keeping this small is what lets BFS, liveness, replay, simulation and the
stateful-test bridge share one model without knowing how it was written; the
modelling layer (roles, processes, durable and volatile fields, components,
faults) compiles down to it.

Successors are returned together with their steps rather than through a separate
``next(state, step)`` because computing whether a step is enabled already runs
its effect; doing the work twice would halve the explorer's speed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

State = Hashable


class Step(NamedTuple):
    """One atomic step: who did what, with which parameters and choices."""

    process: str | None
    action: str
    params: tuple[tuple[str, Any], ...] = ()
    choices: tuple[Any, ...] = ()
    fault: bool = False

    def label(self) -> str:
        text = self.action
        if self.params:
            text += "(" + ", ".join(f"{k}={v!r}" for k, v in self.params) + ")"
        if self.choices:
            text += " -> " + ", ".join(_choice_text(c) for c in self.choices)
        return text

    def who(self) -> str:
        return self.process or "env"

    @property
    def is_fault(self) -> bool:
        """A step the checker injected on its own (a crash, a power loss), not a model action.

        An action whose call failed by an injected fault is still the model's action:
        its ``fault`` names the failure but ``action`` is the action's name.
        """
        return bool(self.fault) and self.action == self.fault


def _choice_text(choice: Any) -> str:
    return choice if isinstance(choice, str) else repr(choice)


@dataclass(frozen=True)
class ActionFailure:
    """The outcome of a step whose model code raised: a violation, not a crash of the tool."""

    kind: str  # "assertion" or "exception"
    message: str
    exception_type: str

    @property
    def property_name(self) -> str:
        return "AssertionInAction" if self.kind == "assertion" else "ExceptionInAction"


# Kinds of property. Safety kinds are checked during exploration; liveness kinds on the
# explored graph afterwards.
ALWAYS = "always"
SOMETIMES = "sometimes"
TRANSITION = "transition"
EVENTUALLY = "eventually"
LEADS_TO = "leads_to"
LIVENESS_KINDS = (EVENTUALLY, LEADS_TO)


@dataclass(frozen=True)
class Property:
    """A named property over raw states.

    ``check`` takes a state for ``always``, ``sometimes`` and ``eventually``, and
    ``(before, after)`` for ``transition``. For ``leads_to``, ``trigger`` is P and
    ``check`` is Q in P ~> Q.
    """

    name: str
    kind: str
    check: Callable[..., bool]
    trigger: Callable[[State], bool] | None = None
    doc: str = ""

    @property
    def is_liveness(self) -> bool:
        return self.kind in LIVENESS_KINDS


def _never_strong(unit: Hashable) -> bool:
    return False


@dataclass
class Fairness:
    """Which steps are fair, and how: the fairness units a behaviour must respect.

    ``classify`` maps a step to its unit (the steps of one unit count as one action
    for fairness, e.g. all parameter values of ``broker1.unpack``), or None when the
    step is not fair (faults never are: they may simply stop happening). A unit is
    *enabled* in a state when one of its steps is among the state's successors, and
    *taken* by a step of it. ``is_strong`` says which units are strongly fair: a weakly
    fair unit that stays enabled from some point on must be taken infinitely often (it
    may starve if it is disabled now and then); a strongly fair unit that is enabled
    infinitely often must be taken infinitely often.
    """

    classify: Callable[[Step], Hashable | None]
    description: str = "weak fairness"
    is_strong: Callable[[Hashable], bool] = _never_strong
    #: The rules the units come from, as data for the JSON report: strength, unit, names.
    rules: tuple[tuple[str, str, tuple[str, ...] | None], ...] = ()


class TransitionSystem(ABC):
    """What every explorer needs from a model."""

    name: str = "model"
    properties: Sequence[Property] = ()

    @abstractmethod
    def init_states(self) -> Sequence[State]:
        """The initial states, in a deterministic order."""

    @abstractmethod
    def successors(self, state: State) -> Sequence[tuple[Step, State | ActionFailure]]:
        """Every enabled step with its outcome, in a deterministic order."""

    def is_final(self, state: State) -> bool:
        """A state in which stopping is legitimate (not a deadlock)."""
        return False

    #: ``in_model(before, after)`` of the spec's state and action constraints (see
    #: lifecheck.modelling.constraint), or None: every state is inside.
    constraint: Callable[[State | None, State], bool] | None = None

    def in_model(self, before: State | None, after: State) -> bool:
        """Whether the step from ``before`` to ``after`` stays inside the constraints: a
        state outside is checked but neither kept nor explored."""
        return self.constraint is None or self.constraint(before, after)

    def fairness(self) -> Fairness:
        """Default: every step that is not a fault is weakly fair, one unit per (process, action)."""
        return Fairness(lambda step: None if step.is_fault else (step.process, step.action),
                        "weak fairness on every action", rules=(("weak", "action", None),))

    def describe(self, state: State) -> dict[str, Any]:
        """The state as named fields, for traces: ``{"broker1.phase": "boot", ...}``."""
        return {"state": state}

    def show(self, state: State) -> dict[str, Any]:
        """The state as a person reads it in a trace: :meth:`describe`, unless parts of it
        are bookkeeping best told in other terms (a file system shows files and their
        contents, not inodes and journals). Programs get :meth:`describe`."""
        return self.describe(state)

    def explain(self, before: State, after: State, step: Step) -> tuple[list[str], set[str]]:
        """What ``step`` did that the shown fields do not say, in the words of the part
        it did it to ("fs renamed /d/a.tmp -> /d/a"), and the shown names whose changes
        those words already tell (the files that moved with the rename); nothing by
        default."""
        return [], set()

    #: Whether :meth:`canonical` maps states to orbit representatives (symmetry
    #: reduction): every explorer then keeps one state per orbit.
    reduces_symmetry: bool = False

    # Deduplication must tell 0 from False (see lifecheck.typed_values). A system that
    # knows which parts of its states can hold such values says so; by default every
    # state is keyed by its typed form, and no part is cached by ``==``.
    typing_version: int = 0  #: moves when more of the state needs typed keys: re-key then

    def state_key(self, state: State) -> Hashable:
        """What deduplication compares: equal keys mean the same state, types included."""
        from lifecheck.typed_values import typed_key

        return typed_key(state)

    def typed_parts(self) -> set[int] | None:
        """Indices of state parts whose ``==`` may ignore a type difference; None: any part."""
        return None

    def type_clashes(self, stored: State, state: State) -> bool:
        """Two states whose keys compare equal: whether their types differ somewhere (and
        :attr:`typing_version` has moved to key those places by type). Typed keys, the
        default, never clash."""
        return False

    def observe(self, property_name: str, state: State) -> list[tuple[str, Any]]:
        """The named fields a property read on ``state`` (to explain a violation), as a
        person reads them: map entries, a component's fields in its own terms."""
        return []

    def fields_read(self, property_name: str, state: State) -> list[str]:
        """The state's own fields a property read on ``state`` (``fs.tree``, not the
        ``fs.files`` a trace shows): what a conformance run must observe to pin it down."""
        return [name for name, _ in self.observe(property_name, state)]

    def canonical(self, state: State) -> State:
        """The representative of ``state``'s symmetry orbit (itself, without symmetry)."""
        return state

    def check_symmetry(self, state: State, successors: Sequence[tuple[Step, Any]]) -> None:
        """Raise :class:`~lifecheck.errors.ModelError` if the symmetry :meth:`canonical`
        reduces does not hold at ``state`` (the explorers call this on sampled states)."""
        return None

    def actions(self) -> Sequence[str]:
        """Names of every action, for coverage (an action that never fires makes a proof vacuous)."""
        return ()


@dataclass
class Bounds:
    """Limits of a run. Hitting any of them makes the verdict ``incomplete``, never ``holds``.

    A violation found before a bound is hit is still reported: a real
    counterexample is real in a bounded run too.
    """

    max_depth: int | None = None  #: steps from an initial state; a state deeper is not explored
    max_states: int | None = None  #: distinct states, in breadth-first order
    max_seconds: float | None = None  #: wall-clock seconds of the search
    max_memory_mb: float | None = None  #: resident memory of the checker, checked as it runs

    def describe(self) -> str:
        parts = []
        if self.max_depth is not None:
            parts.append(f"depth<={self.max_depth}")
        if self.max_states is not None:
            parts.append(f"states<={self.max_states}")
        if self.max_seconds is not None:
            parts.append(f"seconds<={self.max_seconds:g}")
        if self.max_memory_mb is not None:
            parts.append(f"memory<={self.max_memory_mb:g} MiB")
        return ", ".join(parts) or "none"


# Where the vector engine starts to pay (measured on specs/: below a few thousand states
# the bfs explorer finishes first); see lifecheck.explore.handover.
HANDOVER_STATES = 2000
# A run whose levels stay thin (a frontier of a few states, where the vector engine's cost
# per numpy call and per encoded row is not repaid; about 1.9x bfs's time on a long chain)
# stays in the bfs explorer until it is this big: from then on its exact states cost
# memory worth saving.
THIN_HANDOVER_STATES = 1_000_000


@dataclass
class Options:
    """How to explore: bounds, deadlock checking, liveness, and which engine.

    :func:`~lifecheck.check_spec` builds one from the spec when none is given; the
    command line builds one from its flags. What is checked (deadlocks, liveness) and
    the bounds can change a verdict; how the states are explored and stored cannot:
    the tests hold every engine and option to the same states and counterexamples
    (fingerprints up to the collision chance a run reports).
    """

    bounds: Bounds = field(default_factory=Bounds)
    check_deadlock: bool = True  #: report a state with no enabled step that no ``final`` accepts
    check_liveness: bool = True  #: False checks safety only, and keeps no graph for liveness
    determinism_checks: int = 200  #: first states whose successors are computed twice and compared
    audit_every: int = 64  #: after those, one state in this many (0: none): see explore.audit
    measure_memory: bool = False  #: count the bytes held per state (a walk, after the run's seconds)
    record_graph: bool = False  #: keep every edge (for diagrams), even with no liveness property
    fingerprints: bool = False  #: seen-set of 64-bit fingerprints: compact, probabilistic
    #: compare states wherever fingerprints agree, so that no collision can hide one: the
    #: vector engine (and "auto" once it hands over) then keeps every state's row, packed
    exact: bool = False
    progress: Callable[[Progress], None] | None = None  #: called about once a second on long runs
    progress_every: float = 1.0  #: seconds between progress reports
    #: polled at the search's safe points (where the bounds are): a non-empty answer, the
    #: reason, ends the run there as ``incomplete``, as a bound does (Ctrl-C on the command line)
    stop_requested: Callable[[], str] | None = None
    workers: int = 1  #: processes exploring in parallel (partitioned by state)
    ray: bool = False  #: run the workers as Ray actors (distributed) instead of forked processes
    ray_address: str | None = None  #: an existing Ray cluster; None starts a local one
    checkpoint: str | None = None  #: file to save the run to between levels, and resume from
    checkpoint_every: float = 60.0  #: seconds between checkpoints
    #: "auto" (bfs, handed over to the vector engine once a run has ``handover`` states),
    #: "bfs" (state by state, exact: the reference) or "vector" (levels at a time, steps learned)
    engine: str = "auto"
    handover: int = HANDOVER_STATES  #: the states after which "auto" turns to the vector engine
    #: ... while the frontier is wider than a few states; past this many, whatever its width
    thin_handover: int = THIN_HANDOVER_STATES


@dataclass
class Progress:
    """Where a long run stands, for a progress line."""

    states: int
    transitions: int
    frontier: int
    depth: int
    seconds: float
    rss_bytes: int

    @property
    def states_per_second(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0
