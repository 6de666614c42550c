"""The faults that hit one process: a crash (it restarts), a stop (it never comes back), a
pause (it resumes later), compiled into steps of the model.

Whether a process is running, paused or stopped is state like any field: a ``status``
slot appended to the part of each process a :class:`~lifecheck.Stop` or
:class:`~lifecheck.Pause` entry covers (processes no such entry covers have none, and
models without those faults keep their layout). It moves with its process when
symmetry swaps processes, the vector engine learns who reads it, and a trace shows it
change. Model code cannot set it; it reads it through :func:`~lifecheck.stopped` and
:func:`~lifecheck.paused`. Each action of a covered process first reads it and is
disabled unless the process is running; ``resume`` is an action-like step of every
pausable process.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lifecheck.contract import Fairness, Step
from lifecheck.errors import ModelError
from lifecheck.modelling.faults import FaultKind, Pause, ProcessFault, Stop
from lifecheck.modelling.fields import DURABLE, Field
from lifecheck.modelling.initial import reset_volatile
from lifecheck.modelling.reading import as_bool
from lifecheck.modelling.runtime import Disabled

if TYPE_CHECKING:
    from lifecheck.modelling.views import Part, Views

STATUS = "status"
RUNNING, PAUSED, STOPPED = "running", "paused", "stopped"
RESUME = "resume"
#: The step names the checker adds; a model action may not take one of them in a spec
#: that adds it (traces, coverage and rules could not tell them apart).
STEP_NAMES = ("crash", "stop", "pause", RESUME, "power_loss")


class StatusField(Field):
    """The ``status`` slot of a process that may stop or pause. Durable: a crash or a power
    loss does not bring a stopped process back; they end a pause explicitly."""

    def __init__(self) -> None:
        super().__init__(DURABLE, RUNNING, "running, paused or stopped (Stop and Pause faults)")
        self.name = STATUS
        self.process_status = True


def needs_status(faults: Sequence[FaultKind], role_attr: str, class_name: str) -> bool:
    """Whether a Stop or Pause entry of the spec covers the processes of this role."""
    return any(isinstance(f, (Stop, Pause)) and (not f.roles or role_attr in f.roles
                                                 or class_name in f.roles) for f in faults)


def with_status(fields: list[Field], process: type) -> list[Field]:
    """A covered role's fields, the status slot last (so the declared slots keep their places)."""
    if any(f.name == STATUS for f in fields):
        raise ModelError(f"process {process.__name__} declares a field {STATUS!r}, which the spec's "
                         "Stop or Pause fault adds to it (running, paused or stopped); rename the "
                         "field")
    return [*fields, StatusField()]


def status(process: Any) -> str:
    """``running``, ``paused`` or ``stopped``: what Stop and Pause faults did to ``process``
    (a process no such fault covers is always running)."""
    if "role" not in getattr(process, "__dict__", {}) or "_ctx" not in process.__dict__:
        raise ModelError(f"stopped() and paused() take a process as model code sees it "
                         f"(self.workers[0], an action's process), got {process!r}")
    ctx, part = process._ctx, process._part
    slot = process.__dict__.get("_status_slot")
    if slot is None:
        return RUNNING
    if ctx.reads is not None:
        ctx.reads.add((part, slot))
    return ctx.parts[part][slot]


def stopped(process: Any) -> bool:
    """True once a :class:`~lifecheck.Stop` fault has hit ``process``: it takes no step again."""
    return status(process) == STOPPED


def paused(process: Any) -> bool:
    """True while ``process`` is paused by a :class:`~lifecheck.Pause` fault, until it resumes."""
    return status(process) == PAUSED


def _set_status(process: Any, value: str) -> None:
    process._ctx.write(process._part, process.__dict__["_status_slot"], value,
                       process._prefix + STATUS)


def gated(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An action of a process that may stop or pause: enabled only while it runs."""
    def step(model: Any, process: Any, **params: Any) -> Any:
        if status(process) != RUNNING:
            raise Disabled
        return fn(model, process, **params)

    return step


def resume(model: Any, process: Any) -> None:
    """The end of a pause: the process takes steps again, its memory as it was."""
    if status(process) != PAUSED:
        raise Disabled
    _set_status(process, RUNNING)


def victims(faults: Sequence[FaultKind], roles: dict[str, tuple], role_parts: dict[str, list],
            class_of: dict[str, str]) -> list[tuple[int, ProcessFault, Any, Part]]:
    """Each process fault entry with the processes it may hit, in the spec's order:
    (position in the spec, entry, process view, its part). A process belongs to at
    most one entry of each kind, or its faults would be counted twice."""
    known = set(roles) | set(class_of.values())
    owner: dict[tuple[str, str], str] = {}
    out: list[tuple[int, ProcessFault, Any, Part]] = []
    for n, fault in enumerate(faults):
        if not isinstance(fault, ProcessFault):
            continue
        if fault.when is not None and not callable(fault.when):
            raise ModelError(f"{fault.entry()}: when= must be a function of the model and the "
                             f"process, such as lambda m, p: ..., got {fault.when!r}")
        allowed = set(fault.roles)
        if allowed - known:
            raise ModelError(f"{type(fault).__name__}(roles=...) names unknown role(s) "
                             f"{sorted(allowed - known)}; roles: {sorted(roles)}")
        for attr, views in roles.items():
            if allowed and attr not in allowed and class_of[attr] not in allowed:
                continue
            for view, part in zip(views, role_parts[attr], strict=True):
                mine = (fault.name, view.name)
                if mine in owner:
                    raise ModelError(f"{view.name} may {fault.name} under both {owner[mine]} and "
                                     f"{fault.key}; give each {type(fault).__name__}(...) its "
                                     "own roles")
                owner[mine] = fault.key
                out.append((n, fault, view, part))
    return out


def strike(views: Views, fault: ProcessFault, pname: str, part: Part,
           spend: Callable[[], None]) -> None:
    """One process fault on ``pname``, run as a step (its reads and writes logged like any)."""
    view = views.by_name[pname]
    now = status(view)
    if now == STOPPED or (now == PAUSED and isinstance(fault, Pause)):
        raise Disabled
    if fault.when is not None and not _when(views, fault, view):
        raise Disabled
    spend()
    ctx = views.ctx
    if isinstance(fault, Pause):
        _set_status(view, PAUSED)
        return
    reset_volatile(ctx, [part])
    if isinstance(fault, Stop):
        _set_status(view, STOPPED)
    elif now == PAUSED:
        _set_status(view, RUNNING)
    for comp in views.components:
        comp.on_crash(pname)


def end_pauses(views: Views) -> None:
    """A power loss restarts every paused process running; stopped ones stay stopped."""
    for view in views.processes:
        if status(view) == PAUSED:
            _set_status(view, RUNNING)


def _when(views: Views, fault: ProcessFault, view: Any) -> bool:
    """The entry's ``when`` on the state before the fault, read-only; a predicate that
    raises or returns no bool is a mistake in the spec, named with its source line."""
    ctx = views.ctx
    where = f"{fault.entry()}'s when= predicate (at {_source(fault.when)}), for {view.name}"
    step, ctx.where, ctx.readonly = ctx.where, where, True
    try:
        value = fault.when(views.model, view)  # type: ignore[misc]
    except (Disabled, ModelError):
        raise
    except Exception as exc:
        raise ModelError(f"{where} raised {type(exc).__name__}: {exc}") from None
    finally:
        ctx.where, ctx.readonly = step, False
    return as_bool(value, where)


def _source(fn: Any) -> str:
    try:
        return f"{inspect.getsourcefile(fn)}:{inspect.getsourcelines(fn)[1]}"
    except (TypeError, OSError):
        return repr(fn)


def resume_is_fair(fairness: Fairness, pausable: set[str]) -> Fairness:
    """``fairness`` with each pausable process's ``resume`` a weakly fair unit of its own:
    a pause ends, so no fair behaviour keeps a process paused for ever, whatever units
    the spec's rules make of the other steps."""
    if not pausable:
        return fairness
    classify, is_strong = fairness.classify, fairness.is_strong

    def with_resume(step: Step) -> Hashable | None:
        if not step.is_fault and step.action == RESUME and step.process in pausable:
            return (step.process, RESUME)
        return classify(step)

    def strong(unit: Hashable) -> bool:
        if isinstance(unit, tuple) and len(unit) == 2 and unit[1] == RESUME \
                and unit[0] in pausable:
            return False
        return is_strong(unit)

    return replace(fairness, classify=with_resume, is_strong=strong)
