"""Plain actions translated into functions of the state tuple, for the default engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lifecheck.contract import Step, TransitionSystem

Successors = Callable[[Any], "list[tuple[Step, Any]]"]


def straight_successors(system: TransitionSystem) -> Successors:
    """The system's successors with its plain actions translated, where it offers that
    (a compiled model); its own successors otherwise."""
    offered = getattr(system, "straight_steps", None)
    return offered().successors if offered is not None else system.successors


def straight_predicates(system: TransitionSystem) -> dict[str, Callable[[Any], bool]]:
    """Translated checks of the system's state properties, by name (none if it offers
    none)."""
    offered = getattr(system, "straight_steps", None)
    return offered().predicates() if offered is not None else {}
