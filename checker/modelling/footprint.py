"""What one step or one property reads and writes: the footprint the vector explorer reuses.

A compiled model's step is a deterministic function of the fields it reads (the
explorers check determinism): it depends on nothing else but constants (its
process, its parameters, the model's parameters). So after running an action
instance once on one state, with views that log every field read and a context
that logs every write, the checker knows its outcome on every state that agrees
on those fields: the same branches, leaving the same values in the same fields.
Properties and final-state predicates are functions of what they read in the
same way.

Fields are *columns* here: column 0 is the whole fault budget, then one column per
field slot of the model, each component and each process, in state order. A
written column counts as read too, so a learned outcome gives the new value of
every column of the footprint, whatever the state agrees on elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lifecheck.contract import ALWAYS, SOMETIMES, TRANSITION, ActionFailure, Step
from lifecheck.errors import ModelError
from lifecheck.modelling.reading import as_bool, with_reading
from lifecheck.modelling.runtime import BUDGET_PART, Context, run_branches

StepOutcome = tuple | ActionFailure


class Learner:
    """Runs steps and predicates of one :class:`~lifecheck.modelling.compile.ModelSystem` with logging."""

    def __init__(self, system: Any) -> None:
        from lifecheck.modelling.views import Views

        self.system = system
        ctx = Context()
        ctx.budget_index = system.budget_index
        ctx.fault_caps = system.fault_caps
        self.ctx = ctx
        self.views = Views(system, ctx, logged=True)
        # Columns: (part, slot), the fault budget as one column (slot -1).
        self.columns: list[tuple[int, int]] = [(BUDGET_PART, -1)]
        for part in system.holder_parts:
            self.columns.extend((part.index, slot) for slot in range(len(part.fields)))
        self.column_of = {pair: c for c, pair in enumerate(self.columns)}
        self.column_names = ["fault budget"] + [part.prefix + f.name for part in system.holder_parts
                                                for f in part.fields]
        self._part_columns = [(part.index, [self.column_of[(part.index, s)]
                                            for s in range(len(part.fields))])
                              for part in system.holder_parts]
        # Each part's columns are consecutive: a part is a slice of the row.
        self._slices = [(index, cols[0], cols[-1] + 1) if cols else (index, 0, 0)
                        for index, cols in self._part_columns]
        self._parts = 1 + len(system.holder_parts)
        self.steps = self._step_runners()
        decls = {d.name: d for d in system.model.property_decls().values()}
        self.predicates: dict[str, Callable[[], Any]] = {}
        for p in system.properties:
            if p.kind in (ALWAYS, SOMETIMES):
                self.predicates[p.name] = (lambda d=decls[p.name]: d.check(self.views.model))
        # A liveness property's goal and trigger label the states of the explored graph.
        for p in system.properties:
            if p.is_liveness:
                d = decls[p.name]
                self.predicates[p.name] = (lambda d=d: d.check(self.views.model))
                if d.trigger is not None:
                    self.predicates[trigger_of(p.name)] = (lambda d=d: d.trigger(self.views.model))
        # Transition properties read two states: the step's source through their own views.
        self.before_ctx = Context()
        self.before_views = Views(system, self.before_ctx, logged=True)
        self.transition_checks = {p.name: decls[p.name].check for p in system.properties
                                  if p.kind == TRANSITION}
        # The spec's constraints, learned as a property and a transition property are.
        state_c, action_c = getattr(system, "constraint_fns", (None, None))
        if state_c is not None:
            self.predicates[STATE_CONSTRAINT] = lambda: state_c(self.views.model)
        if action_c is not None:
            self.transition_checks[ACTION_CONSTRAINT] = action_c
        finals = list(system.finals)
        self.predicates["final state"] = lambda: any(
            as_bool(d.fn(self.views.model), f"final state {d.name}") for d in finals)

    # -- states as rows of column values -------------------------------------------------
    def encode(self, state: tuple) -> list[Any]:
        row = [state[BUDGET_PART]]
        for index, cols in self._part_columns:
            row.extend(state[index][:len(cols)])
        return row

    def decode(self, row: list[Any]) -> tuple:
        parts: list[Any] = [None] * self._parts
        parts[BUDGET_PART] = row[0]
        for index, lo, hi in self._slices:
            parts[index] = tuple(row[lo:hi])
        return tuple(parts)

    @property
    def part_slices(self) -> list[tuple[int, int, int]]:
        """Each holder part's index in a state and its columns ``lo:hi`` in a row."""
        return self._slices

    def value(self, state: tuple, column: int) -> Any:
        part, slot = self.columns[column]
        return state[part] if slot < 0 else state[part][slot]

    # -- learning ------------------------------------------------------------------------
    def _step_runners(self) -> list[Callable[[tuple], list[tuple[Step, StepOutcome]]]]:
        """One runner per step instance, in the order ``successors()`` offers them."""
        system, views, ctx = self.system, self.views, self.ctx
        by_name = {v.name: v for v in views.processes}
        runners: list[Callable[[tuple], list[tuple[Step, StepOutcome]]]] = []
        for fn, args, kwargs, pname, name, params, where, _ in system.instances:
            largs = (views.model,) if len(args) == 1 else (views.model, by_name[args[1].name])
            runners.append(lambda state, fn=fn, a=largs, kw=kwargs, p=pname, n=name, ps=params, w=where:
                           run_branches(ctx, state, fn, a, kw, p, n, ps, w, BUDGET_PART))
        for entry in system.fault_steps:
            def fault_step(state: tuple, entry: tuple = entry) -> list[tuple[Step, StepOutcome]]:
                ctx.reads.add((BUDGET_PART, -1))  # type: ignore[union-attr]
                if state[BUDGET_PART][entry[0]] >= entry[1]:
                    return []
                return system.run_fault(views, state, entry)
            runners.append(fault_step)
        return runners

    def step(self, k: int, state: tuple) -> tuple[set[int], list[tuple[Step, StepOutcome]]]:
        """Run step instance ``k`` on ``state``: the columns it read or wrote, and its branches."""
        ctx = self.ctx
        ctx.reads, ctx.writes = set(), set()
        try:
            results = self.steps[k](state)
            touched = ctx.reads | ctx.writes
        finally:
            ctx.reads = ctx.writes = None
        return {self.column_of[pair] for pair in touched}, results

    def predicate(self, name: str, state: tuple, logged: bool = True) -> tuple[set[int], bool]:
        """Evaluate a property (or "final state") on ``state``: the columns read (none
        when not ``logged``), the value."""
        ctx = self.ctx
        ctx.reads = set() if logged else None
        try:
            where = _where(name)
            value = as_bool(with_reading(ctx, state, where, self.predicates[name]), where)
            reads = ctx.reads or set()
        finally:
            ctx.reads = None
        return {self.column_of[pair] for pair in reads}, value


    def transition(self, name: str, before: tuple, after: tuple) -> tuple[set[int], bool]:
        """Evaluate a transition property across one step: columns read in ``before``, then
        those read in ``after`` shifted by the number of columns; and the value."""
        ctx, bctx, check = self.ctx, self.before_ctx, self.transition_checks[name]
        where = _where(name)
        bctx.read(before)
        bctx.where = where
        ctx.reads, bctx.reads = set(), set()
        try:
            value = as_bool(with_reading(ctx, after, where,
                                         lambda: check(self.before_views.model, self.views.model)),
                            where)
            reads = {self.column_of[pair] for pair in bctx.reads}
            width = len(self.columns)
            reads |= {width + self.column_of[pair] for pair in ctx.reads}
        finally:
            ctx.reads = bctx.reads = None
        return reads, value


STATE_CONSTRAINT = "the state constraint"
ACTION_CONSTRAINT = "the action constraint"


def _where(name: str) -> str:
    """How an error in a learned predicate names it."""
    return name if name in ("final state", STATE_CONSTRAINT, ACTION_CONSTRAINT) else f"property {name}"


def trigger_of(name: str) -> str:
    """The learned predicate that is the trigger of liveness property ``name`` (its goal
    is learned under the property's own name)."""
    return f"{name} (its trigger)"


def learner_for(system: Any) -> Learner:
    """The learner of a compiled model; a clear error for any other transition system."""
    from lifecheck.modelling.compile import ModelSystem

    if not isinstance(system, ModelSystem):
        raise ModelError("the vector explorer runs models written with the modelling API "
                         f"(lifecheck.Model); {type(system).__name__} is not one: use the bfs engine")
    return system.footprints()
