"""State and action constraints: where the search goes, as TLC's CONSTRAINT and
ACTION_CONSTRAINT (and Stateright's ``within_boundary``) bound a model.

A step into a state outside the constraint is taken and checked like any other (its
failure, the transition properties across it, the invariants and ``sometimes``
properties of the state it reaches), but that state is neither kept nor explored
further, and it is not counted among the distinct states. A state is a deadlock
only when no step at all is enabled in it, never because every step leaves the
constraint: a bound written as guards by hand would turn such a state into a false
deadlock, and switching deadlock checking off to silence it hides the real ones.

The state constraint reads the model as a property does (``lambda m: m.n < 5``); the
action constraint reads the state before and after a step (``lambda before, after:
...``). Every initial state must satisfy the state constraint: a constraint bounds
where the search goes from the initial states, and one that excludes an initial
state is a modelling error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lifecheck.errors import ModelError
from lifecheck.modelling.reading import as_bool, with_reading

if TYPE_CHECKING:
    from lifecheck.modelling.compile import ModelSystem

StateConstraint = Callable[[Any], Any]
ActionConstraint = Callable[[Any, Any], Any]


def compile_constraint(system: ModelSystem, state: StateConstraint | None,
                       action: ActionConstraint | None) -> Callable[[tuple | None, tuple], bool]:
    """``in_model(before, after)``: whether a step from ``before`` (None: no step, an
    initial state) into ``after`` stays inside both constraints."""
    for what, fn in (("constraint", state), ("action_constraint", action)):
        if fn is not None and not callable(fn):
            raise ModelError(f"{what} must be a function of the model "
                             f"({'lambda m: ...' if what == 'constraint' else 'lambda before, after: ...'}), "
                             f"got {fn!r}")
    ctx, mv = system._ctx, system._views.model
    bctx, bmv = system._before_ctx, system._before_views.model

    def in_model(before: tuple | None, after: tuple) -> bool:
        if state is not None:
            where = "the state constraint"
            if not as_bool(with_reading(ctx, after, where, lambda: state(mv)), where):
                return False
        if action is not None and before is not None:
            where = "the action constraint"
            bctx.read(before)
            bctx.where = where
            if not as_bool(with_reading(ctx, after, where, lambda: action(bmv, mv)), where):
                return False
        return True

    for index, init in enumerate(system.init_states()):
        if not in_model(None, init):
            raise ModelError(f"initial state #{index} does not satisfy the state constraint: a "
                             "constraint bounds where the search goes from the initial states, "
                             "so every initial state must be inside it")
    return in_model
