"""The initial states of a compiled model: TLA+'s ``Init`` as a set of states.

A model starts in every combination of the options of its :func:`~lifecheck.one_of`
fields, each then passed through the model's ``@initial`` hook, if it has one (which
may ``choose``, ``require`` and write any field: ``Init`` with constraints between
fields). Equal outcomes are merged, so the explorers count initial states as TLC does,
and an initial state is at depth 0: no setup step shifts the counts.

What a restart resets to is decided here too: a crashed process's volatile fields go
back to their declarations (a :func:`~lifecheck.one_of` field to any of its options,
one branch each), not to what ``@initial`` wrote. ``@initial`` says how the system
as a whole begins; a restart is one process booting again from what it declares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lifecheck.contract import ActionFailure
from lifecheck.errors import ModelError
from lifecheck.modelling.fields import Field
from lifecheck.modelling.runtime import Context, choose_from, run_branches
from lifecheck.modelling.views import Part
from lifecheck.typed_values import typed_key

if TYPE_CHECKING:
    from lifecheck.modelling.compile import ModelSystem


class InitialDecl:
    """The model's ``@initial`` hook (see :func:`~lifecheck.initial`)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.name = fn.__name__


def initial(fn: Callable[..., Any]) -> InitialDecl:
    """Decorator: a method of the model that sets up its initial states, like TLA+'s ``Init``.

    It runs on each combination of the :func:`~lifecheck.one_of` fields' options (the
    other fields at their declared values) and may read and write any field of the
    model, its components and processes (``for w in self.workers: ...``), branch with
    ``choose``/``choose_from`` and drop a combination with ``require``: every branch
    that is not dropped is an initial state, equal ones merged. A model has at most
    one. ``fault()`` is refused here: faults happen between steps, not before the first.

    A restart does not run it again: a crashed process's volatile fields go back to
    their declared values (see :mod:`lifecheck.modelling.initial`).
    """
    return InitialDecl(fn)


def part_initial(index: int, prefix: str, fields: list[Field], holder: Any, owner: str) -> Part:
    """A holder's part of the state, with the options of its :func:`~lifecheck.one_of` fields.

    ``holder`` is what a callable initial is given (the model, or the component), and
    ``owner`` names it in errors ("process Broker of model Extraction").
    """
    domains: dict[int, tuple] = {}
    for slot, f in enumerate(fields):
        options = f.initial_options(holder, owner)
        if options is not None:
            domains[slot] = options
    initial = tuple(domains[slot][0] if slot in domains else f.initial_value(holder)
                    for slot, f in enumerate(fields))
    return Part(index, prefix, fields, initial, domains)


@dataclass(frozen=True)
class Restarted:
    """The values a crash or power loss chose for the volatile fields it reset, as one choice
    of its step (``crash -> worker1.phase='b'``).

    A set, not a sequence: renaming processes (symmetry) must map a power loss's branch
    onto its mirror image's, whose processes are listed in their own order.
    """

    values: frozenset[str]

    def __repr__(self) -> str:
        return ", ".join(sorted(self.values))


def reset_volatile(ctx: Context, parts: Sequence[Part]) -> None:
    """A crash's (or power loss's) reset of ``parts``: each volatile field back to its
    declared initial value, or, declared with several, to each of them in turn (a branch
    each, labelled with the fields and the values they restart with)."""
    labels = ctx.labels
    start = len(labels)
    for part in parts:
        domains = part.domains
        for slot in part.volatile_slots:
            name = part.prefix + part.fields[slot].name
            if slot in domains:
                value = choose_from(domains[slot], label=lambda v, n=name: f"{n}={v!r}")
            else:
                value = part.initial[slot]
            ctx.write(part.index, slot, value, name)
    if len(labels) > start:
        labels[start:] = [Restarted(frozenset(labels[start:]))]


def initial_states(system: ModelSystem, first: tuple, budget: int) -> list[tuple]:
    """Every initial state of ``system``, in order, equal ones merged; ``first`` has every
    field at its declared value (a :func:`~lifecheck.one_of` field at its first option)."""
    model = system.model
    hooks = list(type(model)._declared(InitialDecl).values())
    if len(hooks) > 1:
        raise ModelError(f"model {type(model).__name__} has {len(hooks)} @initial methods "
                         f"({', '.join(h.name for h in hooks)}); a model has at most one")
    chosen = [p for p in system.holder_parts if p.domains]
    if not hooks and not chosen:
        return [first]
    hook = hooks[0] if hooks else None
    views = system.start_views
    ctx = views.ctx

    def start() -> None:
        for part in chosen:
            for slot, options in part.domains.items():
                ctx.write(part.index, slot, choose_from(options),
                          part.prefix + part.fields[slot].name)
        if hook is not None:
            hook.fn(views.model)

    where = f"@initial {hook.name}" if hook is not None else "the initial states"
    states: list[tuple] = []
    seen: set[Any] = set()
    for step, outcome in run_branches(ctx, first, start, (), {}, None, "initial", (), where,
                                      budget):
        if isinstance(outcome, ActionFailure):
            raise ModelError(f"{where} of model {type(model).__name__} failed: {outcome.message}")
        if step.fault:
            raise ModelError(f"{where} of model {type(model).__name__} called fault(); faults "
                             "happen between steps, not before the first one")
        key = typed_key(outcome)
        if key not in seen:
            seen.add(key)
            states.append(outcome)
    if not states:
        raise ModelError(f"model {type(model).__name__} has no initial state: {where} "
                         "require()d something no combination of initial values allows")
    return states
