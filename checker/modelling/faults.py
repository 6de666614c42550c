"""Fault kinds and budgets: the spec says how hard to push, the checker does the pushing.

Models never mention crashes. A spec lists fault kinds with a budget (at most 2
crashes, at most 1 power loss, at most 2 failed remote calls); the compiled model
adds the fault steps between any two steps while budget remains. The budget spent
so far is part of the state, which also makes every behaviour have finitely many
faults, the assumption liveness is checked under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class FaultKind:
    """Base of fault kinds; ``key`` names the budget in the state and in traces."""

    #: At most this many faults of the kind in one behaviour. ``max=0`` checks the
    #: design without them, and is how a spec says so for a kind its model uses.
    max: int = 1

    @property
    def key(self) -> str:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.key}<={self.max}"

    @property
    def step(self) -> str:
        """The name its steps carry in traces (``Step.fault``)."""
        return self.key


@dataclass(frozen=True, kw_only=True)
class ProcessFault(FaultKind):
    """Base of the faults that hit one process at a time: :class:`Crash`, :class:`Stop`,
    :class:`Pause`. Each process a spec's entry covers gets its own fault step."""

    #: The roles that may be hit, by role attribute name or process class name; empty
    #: means every role. Several entries of one kind give roles different budgets.
    roles: tuple[str, ...] = ()
    #: ``when(model, process)``: the fault may hit ``process`` only in states where this
    #: returns True (evaluated on the state before the fault). None: in any state.
    when: Callable[[Any, Any], bool] | None = None

    #: The name of the fault's steps, and of its budget when it covers every role.
    name: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if isinstance(self.roles, str):
            object.__setattr__(self, "roles", (self.roles,))

    @property
    def key(self) -> str:
        """``crash``, or ``crash of consumers`` for a budget limited to some roles (so a
        spec can give different roles different budgets); ``stop``, ``pause`` alike."""
        return f"{self.name} of {'+'.join(self.roles)}" if self.roles else self.name

    @property
    def step(self) -> str:
        return self.name

    def describe(self) -> str:
        """As for any fault; a guarded entry says so, since two specs may differ only there."""
        guard = "" if self.when is None else f" (only where {_name_of(self.when)} holds)"
        return super().describe() + guard

    def entry(self) -> str:
        """How messages name this entry of the spec: ``Crash(roles=('fleet',))``."""
        return f"{type(self).__name__}({f'roles={self.roles!r}' if self.roles else ''})"


@dataclass(frozen=True, kw_only=True)
class Crash(ProcessFault):
    """A process is killed and restarted: its volatile fields reset, durable ones stay.

    Each component's ``on_crash`` runs too, for what the process held outside its
    own memory (a file system releases its locks, a channel ends its streams). A
    paused process that crashes restarts running; a stopped one cannot crash.
    """

    name: ClassVar[str] = "crash"


@dataclass(frozen=True, kw_only=True)
class Stop(ProcessFault):
    """A process dies and never comes back (crash-stop): its volatile fields reset and
    each component's ``on_crash`` runs, as for a crash, and it takes no step again.

    What the rest of the system does without it is the question: a two-phase commit
    whose coordinator stops leaves prepared participants blocked forever. Model code
    and properties ask :func:`~lifecheck.stopped`; a stopped process's actions are
    disabled, so weak fairness does not require them, and a state where no live
    process has a step left is a deadlock unless it is final.
    """

    name: ClassVar[str] = "stop"


@dataclass(frozen=True, kw_only=True)
class Pause(ProcessFault):
    """A process stops taking steps for a while (a garbage-collection pause, a stalled
    VM) and then resumes where it was, its memory intact.

    While it is paused its actions are disabled and everything else goes on: other
    processes, and a clock the model keeps, whose time-based guards (a lease that
    expires) see the pause through :func:`~lifecheck.paused`. ``resume`` is a step of
    its own (no budget), weakly fair whatever the spec's ``fairness``: a pause ends.
    A crash ends a pause too (the process restarts).
    """

    name: ClassVar[str] = "pause"


@dataclass(frozen=True, kw_only=True)
class PowerLoss(FaultKind):
    """The machine loses power: every process crashes and components drop unsynced data.

    A process's durable fields survive: they stand for storage that is always
    synced. What a power loss may lose belongs in a component that says so, such
    as :class:`~lifecheck.components.filesystem.FileSystem`.
    """

    @property
    def key(self) -> str:
        return "power_loss"

    #: Power loss reboots every process: a paused one restarts running, a stopped one
    #: stays stopped (its volatile fields reset again, which changes nothing).


@dataclass(frozen=True, kw_only=True)
class Fail(FaultKind):
    """Calls of a kind fail (``fault("remote")`` in model code returns True).

    The model decides where a call can fail and what a failure does; the spec only
    says how many may fail, so one model serves specs with and without failures.
    """

    #: The name model code passes to :func:`~lifecheck.fault` (components take it as a
    #: constructor argument, such as ``RemoteStore(kind="remote")``).
    kind: str = "call"

    @property
    def key(self) -> str:
        return self.kind

    def describe(self) -> str:
        return f"{self.kind} failures<={self.max}" if self.max else f"no {self.kind} failures"


def _name_of(fn: Any) -> str:
    name = getattr(fn, "__name__", "")
    return "when=" if not name or name == "<lambda>" else f"when={name}"
