"""Running read-only model code: properties, final-state predicates, constraints.

Such code reads one state through the same views as actions, and must answer True or
False; anything else is a mistake in the model, reported as one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lifecheck.errors import ModelError
from lifecheck.modelling.blame import raised_at, view_typo
from lifecheck.modelling.runtime import _ACTIVE, Context


def with_reading(ctx: Context, state: tuple, where: str, fn: Callable[[], Any]) -> Any:
    """Evaluate read-only model code (a property, a final-state predicate) on ``state``."""
    ctx.read(state)
    ctx.where = where
    _ACTIVE.append(ctx)
    try:
        return fn()
    except ModelError:
        raise
    except Exception as exc:
        typo = view_typo(exc, where)
        if typo is not None:
            raise typo from None
        raise ModelError(f"{where} raised {type(exc).__name__}: {exc}{raised_at(exc)}; it must "
                         "return True or False on every reachable state") from None
    finally:
        _ACTIVE.pop()


def as_bool(value: Any, where: str) -> bool:
    """A property's value, which must be True or False: None (a forgotten ``return``) or a
    number is a mistake in the model, not a verdict about the design."""
    if value is True or value is False:
        return value
    if type(value).__name__ == "bool_":  # numpy's
        return bool(value)
    what = "None" if value is None else f"{_short(value)} ({type(value).__name__})"
    raise ModelError(f"{where} returned {what}; it must return True or False"
                     + (" (a missing return gives None)" if value is None else ""))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
