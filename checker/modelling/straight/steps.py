"""A compiled model's successors with its actions run as translated code.

The default engine's state-by-state phase calls :meth:`StraightSteps.successors` in
place of the system's own. Each action instance the translation covers
(:mod:`lifecheck.modelling.straight.translate`) runs as a function of the state tuple;
fault steps, the instances it does not cover, and any instance whose translated code
raised (but for a failed ``require``) run as written, through the interpreter, which
therefore decides every failure, error message and label. A step that chooses runs once
per branch, as the interpreter runs it, in the same order: only faster. The two agree
step for step, outcome for outcome: ``tests/unit/test_straight.py`` checks it on every
spec's states.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any

from lifecheck.contract import ALWAYS, SOMETIMES, Step
from lifecheck.modelling import runtime
from lifecheck.modelling.runtime import (
    BUDGET_PART,
    Context,
    Disabled,
    queue_alternatives,
    start_branch,
)
from lifecheck.modelling.straight.layout import layout_of
from lifecheck.modelling.straight.syntax import DISABLED, NotStraight
from lifecheck.modelling.straight.units import Units

if TYPE_CHECKING:
    from lifecheck.modelling.compile import ModelSystem


class _Check:
    """One state property's check: as written until it has run for HOT seconds (each run
    counting for at least LEAST_RUN; one run in TIMED_EVERY timed), then translated
    (where it translates)."""

    __slots__ = ("code", "countdown", "fn", "name", "steps", "tick", "written")

    def __init__(self, steps: StraightSteps, name: str, fn: Any,
                 written: Callable[[tuple], bool]) -> None:
        self.steps, self.name, self.fn, self.written = steps, name, fn, written
        self.code: Any = None
        self.countdown = HOT
        self.tick = 0

    def translate(self) -> None:
        self.countdown = -1
        try:
            self.code = self.steps.units.predicate(self.fn)
        except NotStraight as exc:
            self.steps.why_not.setdefault(f"property {self.name}", str(exc))

    def __call__(self, state: tuple) -> bool:
        code = self.code
        if code is None:
            if self.countdown < 0:
                return self.written(state)
            self.tick = tick = (self.tick + 1) % TIMED_EVERY
            if tick:
                return self.written(state)
            began = perf_counter()
            try:
                return self.written(state)
            finally:
                self.countdown = _cooled(self.countdown, began)
                if self.countdown < 0:
                    self.translate()
        reading = _READING  # (a local: the sandbox looks for it, see _READING)
        active = runtime._ACTIVE
        active.append(reading)
        try:
            value = code(state)
        except BaseException:  # the property's own check says what went wrong
            return self.written(state)
        finally:
            active.pop()
        if value is True or value is False:
            return value
        return self.written(state)  # (a numpy bool, or a mistake the interpreter words)


def _read_only() -> Context:
    ctx = Context()
    ctx.where = "translated code"
    return ctx


# Translated code that neither chooses nor fails a call runs with a read-only context on
# the runtime's stack, held as a local of the frame that pushed it, as the interpreter
# holds its own: so the sandbox (lifecheck.modelling.sandbox) still refuses a clock or a
# random draw, and a helper run as written that tries to choose fails; either way the
# step then runs as written, and the interpreter says what is wrong.
_READING = _read_only()

HOT = 0.03
"""Seconds an action instance (or a property) runs as written before it is translated: a
few times what translating it costs, so that a spec over before that pays nothing, and
one that goes on pays it back (a JIT's rule)."""

LEAST_RUN = HOT / 10_000
"""The least a run as written of an action instance or a property counts for against
:data:`HOT`: so either is translated after at most 10,000 runs, however cheap each (a guard lifted out
of the step answers in about a microsecond, and would otherwise run as written for a
quarter of a 300,000-state chain); translating a small action costs 1 to 2 ms. What is left
of ``HOT`` counts as spent below one of these: 10,000 of them subtracted from it leave a
few times 1e-15 in floating point."""

TIMED_EVERY = 8
"""Runs as written are timed on one state in this many (a property: one run in this
many), each timed run counting this many times against :data:`HOT`: the same heat in
the long run, for an eighth of the clock reads. Timing every run (two clock reads and
the arithmetic per instance) cost a lifecycle spec whose steps mostly run as written a
third of its successors' time."""


def _cooled(left: float, began: float) -> float:
    """What is left of :data:`HOT` after a timed run as written that began at ``began``
    (counting for TIMED_EVERY runs, each at least LEAST_RUN); -1 once spent, which is
    below a LEAST_RUN (rounding: see LEAST_RUN). The one rule for actions and properties."""
    left -= TIMED_EVERY * max(perf_counter() - began, LEAST_RUN)
    return left if left >= LEAST_RUN else -1.0


class StraightSteps:
    """One compiled model's action instances, each translated where it can be."""

    def __init__(self, system: ModelSystem) -> None:
        self.system = system
        intern_part = system._ctx.intern_part

        def finish(state: tuple, parts: list, dirty: list, branch: Context | None) -> tuple:
            if branch is not None and branch.budget != state[BUDGET_PART]:
                parts[BUDGET_PART] = branch.budget  # (as the context's write_part: not shared)
            elif not dirty:
                return state
            for i in dirty:
                parts[i] = intern_part(tuple(parts[i]))
            return tuple(parts)

        self.units = Units(layout_of(system), system._ctx.intern, finish)
        # The branch translated steps that choose run in: a context of their own.
        self.branch = Context()
        self.branch.budget_index = system.budget_index
        self.branch.fault_caps = system.fault_caps
        self.why_not: dict[str, str] = {}  # action -> why it runs as written
        self.decls = system.model.action_decls()
        # Per instance: [code or None, whether it branches, (process, action, params), the
        # instance, the seconds it may still run as written before it is translated (-1:
        # never), its step where it neither chooses nor fails (built once: a step is a
        # value)].
        self.plan: list[list[Any]] = [[None, False, inst[3:6], inst, HOT,
                                       Step(*inst[3:6], (), "")]
                                      for inst in system.instances]
        self.tick = 0  # states run, modulo TIMED_EVERY: runs as written are timed at 0

    def translate_all(self) -> StraightSteps:
        """Translate every instance now, not once it is run often enough to pay."""
        for entry in self.plan:
            if entry[4] >= 0:
                self._translate(entry)
        return self

    def predicates(self, eager: bool = False) -> dict[str, Callable[[tuple], bool]]:
        """The state properties (``always``, ``sometimes``), each as a check of one state
        that runs translated code once it has run for HOT seconds (``eager``: from the
        first call, and only for the properties that translate). The property's own check
        answers wherever the translated code raises or gives other than True or False, so
        that its errors are the interpreter's."""
        decls = {d.name: d for d in self.system.model.property_decls().values()}
        out: dict[str, Callable[[tuple], bool]] = {}
        for p in self.system.properties:
            decl = decls.get(p.name)
            if p.kind not in (ALWAYS, SOMETIMES) or decl is None or decl.trigger is not None:
                continue
            check = _Check(self, p.name, decl.check, p.check)
            if eager:
                check.translate()
                if check.code is None:
                    continue
            out[p.name] = check
        return out

    def translated(self) -> list[str]:
        """The actions that run as translated code (every instance of them)."""
        self.translate_all()
        return sorted({inst[4] for code, _, _, inst, *_ in self.plan if code is not None}
                      - set(self.why_not))

    def _translate(self, entry: list[Any]) -> None:
        entry[4] = -1
        inst = entry[3]
        fn, args, kwargs, pname, name = inst[:5]
        decl = self.decls.get(name)
        gate = None
        if decl is not None and decl.fn is not fn and pname is not None:
            view = args[1]  # gated: a process that may stop or pause steps while it runs
            gate = (view._part, view.__dict__["_status_slot"])
        if decl is None or (decl.fn is not fn and gate is None):
            self.why_not.setdefault(name, "a step the checker adds")
            return
        own = None
        if pname is not None:
            view = args[1]
            own = (view.role, self.units.layout.roles[view.role].names.index(pname))
        try:
            entry[0], entry[1] = self.units.action(decl.fn, args, kwargs, own, gate)
        except NotStraight as exc:
            self.why_not.setdefault(name, str(exc))

    def successors(self, state: tuple) -> list[tuple[Step, Any]]:
        """The read-only context is on the runtime's stack while translated code runs, and
        off while an instance runs as written; it is put on and taken off where a run of
        one kind follows one of the other, not around every instance (a thin state
        space pays for that per state). Runs as written are timed one state in
        :data:`TIMED_EVERY`."""
        system = self.system
        active = runtime._ACTIVE
        out: list[tuple[Step, Any]] = []
        reading = _READING  # (a local: see _READING)
        self.tick = tick = (self.tick + 1) % TIMED_EVERY
        pushed = False
        try:
            for entry in self.plan:
                code = entry[0]
                if code is not None:
                    if not pushed:
                        active.append(reading)
                        pushed = True
                    try:
                        if entry[1]:
                            found = self._branches(code, state, *entry[2])
                            if found is not None:
                                out.extend(found)
                                continue
                            outcome = None
                        else:
                            outcome = code(state, None)
                    except Disabled:
                        continue
                    except BaseException:  # whatever it was, the interpreter decides what it means
                        outcome = None
                    if outcome is DISABLED:
                        continue
                    if outcome is not None:
                        out.append((entry[5], outcome))
                        continue
                if pushed:
                    active.pop()
                    pushed = False
                if tick or entry[4] < 0:
                    found = system.run_instance(state, entry[3])
                else:
                    found = self._timed(state, entry)
                if found:
                    out.extend(found)
        finally:
            if pushed:
                active.pop()
        if system.fault_steps:
            out.extend(system.fault_successors(state))
        return out

    def _timed(self, state: tuple, entry: list[Any]) -> list[tuple[Step, Any]] | None:
        """The instance run by the interpreter, timed against HOT (for TIMED_EVERY runs)."""
        began = perf_counter()
        found = self.system.run_instance(state, entry[3])
        entry[4] = _cooled(entry[4], began)
        if entry[4] < 0:
            self._translate(entry)
        return found

    def _branches(self, code: Any, state: tuple, pname: str | None, name: str,
                  params: tuple) -> list[tuple[Step, Any]] | None:
        """Every branch of a translated step that may choose, in the interpreter's order
        (:func:`~lifecheck.modelling.runtime.run_branches`); None where the interpreter
        must say (two branches read alike)."""
        branch = self.branch
        branch.process = pname
        results: list[tuple[Step, Any]] = []
        pending: list[tuple[int, ...]] = []
        prefix: tuple[int, ...] = ()
        budget = state[BUDGET_PART]
        active = runtime._ACTIVE
        active.append(branch)  # a helper run as written chooses in this branch too
        try:
            while True:
                start_branch(branch, state, prefix, budget)
                try:
                    outcome = code(state, branch)
                except Disabled:
                    outcome = DISABLED
                trail = branch.trail
                if outcome is not DISABLED:
                    faulted = branch.faulted
                    results.append((Step(pname, name, params, tuple(branch.labels),
                                         ",".join(faulted) if faulted else ""), outcome))
                if not trail:
                    if not pending:
                        break
                else:
                    queue_alternatives(pending, len(prefix), trail)
                    if not pending:
                        break
                prefix = pending.pop()
        finally:
            active.pop()
        if len(results) > 1:
            try:
                repeated = len({step for step, _ in results}) < len(results)
            except TypeError:
                repeated = True
            if repeated:  # the interpreter says which choices read alike
                return None
        return results
