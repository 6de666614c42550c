"""The result of checking a spec, as plain data.

Renderers (text, JSON, diagrams) read a :class:`Result` and nothing else, so every
output a person sees can be produced, and snapshot-tested, from recorded data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lifecheck.contract import Fairness

from lifecheck.errors import ModelError

HOLDS = "holds"
VIOLATED = "violated"
INCOMPLETE = "incomplete"
ERROR = "error"


class Absent:
    """The value of a map entry that is not there: a trace says "added" or "removed"."""

    _instance: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(absent)"

    def __reduce__(self) -> tuple:
        return (Absent, ())


#: A map entry's value before it was added, or after it was removed.
ABSENT = Absent()

VALUE = "value"
MEMBERS = "members"


class Members(frozenset):
    """A set as a change holds it: printed in sorted order, so that every run prints it
    alike (a set of strings iterates in an order that changes from process to process)."""

    def __repr__(self) -> str:
        try:
            members = sorted(self)
        except TypeError:
            members = sorted(self, key=repr)
        return "{" + ", ".join(map(repr, members)) + "}"


@dataclass
class Change:
    """One field a step changed, as traces show it (``broker1.phase: 'boot' -> 'locked'``).

    A trace lists only what changed, so that a long state does not bury the one
    field a step is about. A map entry added or removed has ``ABSENT`` on the
    other side; a set that gained or lost members is a change of kind ``MEMBERS``
    (``before`` and ``after`` the whole sets, as ``Members``), which text shows as the members added
    and removed rather than as two whole sets.
    """

    field: str  #: the field's name in traces (``fs.locks['/tmp/plugin.lock']``)
    before: Any
    after: Any
    kind: str = VALUE  #: VALUE, or MEMBERS for a set, told by the members added and removed


@dataclass
class TraceStep:
    """One step of a counterexample: who did what, and what changed."""

    index: int
    process: str | None
    action: str
    label: str
    fault: str = ""
    params: tuple = ()
    choices: tuple = ()
    changes: list[Change] = field(default_factory=list)
    failure: str = ""  # set on a step whose model code raised
    #: Every field after the step (None after a failed step, which has no successor), so
    #: that a consumer of a trace never has to rebuild a state from the changes.
    state: dict[str, Any] | None = None
    #: What the step did to a component, in the component's own terms ("fs renamed
    #: /d/a.tmp -> /d/a", "fs made durable: append /d/a"), where its fields alone do not say.
    notes: list[str] = field(default_factory=list)
    #: The fields of ``changes`` that ``notes`` already tell (the files a rename moved):
    #: text leaves them out; a drawing may still show them.
    noted: frozenset[str] = frozenset()

    def to_json(self, before: dict[str, Any] | None = None) -> dict[str, Any]:
        """The step as typed data, its changes read off ``before`` (the state it left)."""
        from lifecheck.result_data import step_data

        return step_data(self, before)


@dataclass
class Trace:
    """A counterexample: the initial state, the steps, and for a lasso where the loop starts.

    ``replay`` is the compact key that rebuilds the trace: the index of the initial
    state, then the index of each step among the enabled steps of its state.
    """

    initial: dict[str, Any]
    steps: list[TraceStep]
    replay: list[int]
    loop_start: int | None = None  # steps[loop_start:] repeat forever
    stutter: bool = False  # the behaviour stays in the last state forever
    #: The initial state as a person reads it (components in their own terms, their
    #: bookkeeping left out); None: the same as ``initial``. ``initial`` and each step's
    #: ``state`` stay complete, for programs.
    shown: dict[str, Any] | None = None

    @property
    def states(self) -> list[dict[str, Any] | None]:
        """The state before the first step, then after each (None after a failed step)."""
        return [self.initial, *(s.state for s in self.steps)]

    @property
    def key(self) -> str:
        """The replay key as printed and as ``lifecheck replay`` takes it: ``0.0.1.0``."""
        return ".".join(str(k) for k in self.replay)

    def to_json(self) -> dict[str, Any]:
        from lifecheck.result_data import trace_data

        return trace_data(self)


@dataclass
class Violation:
    property: str  #: the property's name (``NoPartialLoad``, ``Deadlock``, ``ExceptionInAction``)
    kind: str  #: always, sometimes, transition, liveness, deadlock, assertion or exception
    message: str
    trace: Trace | None = None  #: the shortest counterexample; a lasso for liveness
    #: The fields the property read in the last state, with their values: what a
    #: reader needs to see why it is false, without the rest of the state. Of a map it
    #: read entry by entry, only those entries (``fs.files['/d/a']``), an absent one as
    #: ``ABSENT``.
    observed: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Stats:
    """The figures of a run, as the verdict table and ``lifecheck bench`` print them."""

    distinct_states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    stored_bytes: int = 0  #: bytes held by the stored states (0 unless ``Options.measure_memory``)
    outside: int = 0  #: steps into states outside the spec's constraints (checked, not explored)
    #: With states told apart by 64-bit fingerprints (not compared whole), the chance that
    #: two of them collided and a state was missed, as TLC reports it; None when exact.
    collision_chance: float | None = None

    @property
    def states_per_second(self) -> float:
        return self.distinct_states / self.seconds if self.seconds > 0 else 0.0

    @property
    def bytes_per_state(self) -> float:
        return self.stored_bytes / self.distinct_states if self.distinct_states else 0.0


@dataclass
class Expectation:
    """What a spec expects: a verdict and, for ``violated``, exactly which properties fail."""

    verdict: str
    properties: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.verdict == VIOLATED and self.properties:
            return f"violated ({', '.join(self.properties)})"
        return self.verdict


@dataclass
class ErrorDetail:
    """Where a spec could not be checked, as parts: the problem, the spec, the action, the
    step, the user's source line and the path to the state (where each is known)."""

    problem: str  #: the problem alone, without where it showed up
    spec: str | None = None
    action: str | None = None
    step: int | None = None
    file: str | None = None
    line: int | None = None
    replay: list[int] | None = None

    @classmethod
    def of(cls, exc: ModelError) -> ErrorDetail:
        # Model code that raised is located by the sandbox as " (at file:line)" in the
        # message: the user's line, the one thing a reader jumps to.
        where = _SOURCE.findall(exc.message)
        file, line = (where[-1][0], int(where[-1][1])) if where else (None, None)
        return cls(exc.message, exc.spec, exc.action, exc.step, file, line,
                   list(exc.replay_key) if exc.replay_key else None)


_SOURCE = re.compile(r"\(at ([^()]+):(\d+)\)")


@dataclass
class Result:
    """The outcome of checking one spec: the verdict, why, and what the run covered.

    Plain data, so that every renderer (the text report, JSON, the design documents)
    and every test reads the same record, and a run can be compared with another
    without rerunning it.
    """

    spec: str  #: the spec's name
    model: str  #: the model instance as written (``UnpackInPlace(files=3)``)
    #: ``holds``, ``violated``, ``incomplete`` (a bound was hit first) or ``error``
    #: (the spec or model cannot be checked: see :attr:`error`).
    verdict: str
    expected: Expectation | None = None
    violations: list[Violation] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    #: How often each action fired; one that never did makes a proof over it vacuous,
    #: and is also reported in :attr:`warnings`.
    coverage: dict[str, int] = field(default_factory=dict)
    #: What the run found worth saying that is not a violation: an action that never
    #: fired, a property an incomplete run left unchecked.
    warnings: list[str] = field(default_factory=list)
    incomplete_reason: str = ""  #: which bound was hit, for an ``incomplete`` verdict
    #: For an ``error`` verdict, the message naming the spec, the action and the step.
    error: str = ""
    faults: str = ""
    bounds: str = ""
    fairness: str = ""
    #: The fairness rules, as data: strength (weak, strong), unit (process, action,
    #: instance) and the names they cover (None: every action).
    fairness_rules: list[dict[str, Any]] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)
    covers: str = ""  #: the spec's own words for what a "holds" speaks for
    reduction: str = ""  #: e.g. "symmetry of fleet"
    resumed_at: int = 0  #: states found before the checkpoint this run resumed from
    #: For a modelling error found while exploring, the path to the state where it
    #: showed up, so that it can be reproduced.
    error_trace: Trace | None = None
    #: The parts of :attr:`error` apart, for a program to read (``--json``).
    error_detail: ErrorDetail | None = None
    #: The spec's fault budgets and the run's bounds as data, beside their wording in
    #: ``faults`` and ``bounds``: one entry per budget, the fields of its kind.
    fault_budgets: list[dict[str, Any]] = field(default_factory=list)
    bound_limits: dict[str, Any] = field(default_factory=dict)

    def assumes(self, fairness: Fairness) -> None:
        """Record the fairness that the liveness verdicts assume, in words and as data."""
        self.fairness = fairness.description
        self.fairness_rules = [{"strength": strength, "per": per,
                                "names": list(names) if names is not None else None}
                               for strength, per, names in fairness.rules]

    @property
    def violated_properties(self) -> tuple[str, ...]:
        """The names of the violated properties, in the order they were found."""
        return tuple(v.property for v in self.violations)

    @property
    def matches(self) -> bool:
        """Whether the verdict is the one the spec expects (a spec without one never matches)."""
        exp = self.expected
        if exp is None:
            return False
        if self.verdict != exp.verdict:
            return False
        if exp.verdict == VIOLATED and exp.properties:
            return set(self.violated_properties) == set(exp.properties)
        return True

    def to_json(self) -> dict[str, Any]:
        """The result as ``--json`` prints it (:func:`lifecheck.result_data.result_data`)."""
        from lifecheck.result_data import result_data

        return result_data(self)
