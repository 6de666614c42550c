"""Fault kinds and budgets: the spec says how hard to push, the checker does the pushing.

Models never mention crashes. A spec lists fault kinds with a budget (at most 2
crashes, at most 1 power loss, at most 2 failed remote calls); the compiled model
adds the fault steps between any two steps while budget remains. The budget spent
so far is part of the state, which also makes every behaviour have finitely many
faults, the assumption liveness is checked under.
"""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True, kw_only=True)
class Crash(FaultKind):
    """A process is killed and restarted: its volatile fields reset, durable ones stay.

    Each component's ``on_crash`` runs too, for what the process held outside its
    own memory (a file system releases its locks, a channel ends its streams).
    """

    #: The roles that may crash, by role attribute name or process class name; empty
    #: means every role. Several ``Crash`` entries give roles different budgets.
    roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.roles, str):
            object.__setattr__(self, "roles", (self.roles,))

    @property
    def key(self) -> str:
        """``crash``, or ``crash of consumers`` for a budget limited to some roles (so a
        spec can give different roles different budgets)."""
        return f"crash of {'+'.join(self.roles)}" if self.roles else "crash"


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
