"""Properties as named declarations on a model.

A property is data with a name and a kind (always, sometimes, transition,
eventually, leads_to) rather than an ``assert`` buried in an action: the checker
can then report which property failed, a spec can choose which ones it expects to
fail, and renderers can list them. ``final`` is not a property but belongs here:
it marks states in which stopping is legitimate, so that a deadlock is only
reported where the design really is stuck.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol, overload

from lifecheck.contract import ALWAYS, EVENTUALLY, LEADS_TO, SOMETIMES, TRANSITION


class PropertyDecl:
    """A property as declared on a model class; compiled to a core :class:`~lifecheck.contract.Property`."""

    def __init__(self, kind: str, check: Callable[..., Any],
                 trigger: Callable[..., Any] | None = None, name: str | None = None) -> None:
        self.kind = kind
        self.check = check
        self.trigger = trigger
        self.name = name
        self.doc = (check.__doc__ or "").strip()

    def __set_name__(self, owner: type, attr: str) -> None:
        if self.name is None:
            self.name = property_name(attr)


def property_name(attr: str) -> str:
    """``no_partial_load`` -> ``NoPartialLoad``; a CamelCase name is kept as it is."""
    if re.fullmatch(r"[a-z0-9_]+", attr):
        return "".join(part.capitalize() for part in attr.split("_") if part)
    return attr


class Declarator(Protocol):
    """The type of ``always``, ``sometimes``, ``transition`` and ``eventually``: a decorator
    used bare (``@always``) or with a report name (``@always(name="NoLoss")``).

    Spelled out so that a type checker knows the decorated method becomes a
    :class:`PropertyDecl` (it is not callable on a model view); typed as ``Any`` it made
    ``mypy --strict`` call every property of a model an untyped function.
    """

    @overload
    def __call__(self, fn: Callable[..., Any]) -> PropertyDecl: ...
    @overload
    def __call__(self, fn: None = None, *,
                 name: str | None = None) -> Callable[[Callable[..., Any]], PropertyDecl]: ...


def _decl(kind: str) -> Declarator:
    def make(fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
        if fn is None:
            return lambda f: PropertyDecl(kind, f, name=name)
        return PropertyDecl(kind, fn, name=name)

    make.__name__ = kind
    return make


always = _decl(ALWAYS)
always.__doc__ = "Invariant: holds in every reachable state. ``fn(model) -> bool``."
sometimes = _decl(SOMETIMES)
sometimes.__doc__ = ("Holds in at least one reachable state: catches a model in which "
                     "nothing interesting can happen. ``fn(model) -> bool``.")
transition = _decl(TRANSITION)
transition.__doc__ = ("Holds across every step: ``fn(before, after) -> bool`` on two model "
                      "views, e.g. a durable log never shrinks across a crash.")
eventually = _decl(EVENTUALLY)
eventually.__doc__ = "Every fair behaviour reaches a state where ``fn(model)`` holds."


@overload
def leads_to(trigger: Callable[..., Any], goal: Callable[..., Any], *,
             name: str | None = None) -> PropertyDecl: ...
@overload
def leads_to(trigger: Callable[..., Any], goal: None = None, *,
             name: str | None = None) -> Callable[[Callable[..., Any]], PropertyDecl]: ...


def leads_to(trigger: Callable[..., Any], goal: Callable[..., Any] | None = None, *,
             name: str | None = None) -> Any:
    """``trigger ~> goal``: whenever ``trigger`` holds, ``goal`` holds then or later.

    ``X = leads_to(p, q)`` or, as a decorator on the goal, ``@leads_to(p)``.
    """
    if goal is None:
        return lambda g: PropertyDecl(LEADS_TO, g, trigger, name=name)
    return PropertyDecl(LEADS_TO, goal, trigger, name=name)


class FinalDecl:
    """Marks legitimate end states: no deadlock is reported where ``fn(model)`` holds."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.name = fn.__name__


def final(fn: Callable[..., Any]) -> FinalDecl:
    """Decorator: states where this holds may have no enabled step (the lifecycle is done)."""
    return FinalDecl(fn)
