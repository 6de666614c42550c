"""Counterexamples in the Informal Trace Format (ITF) of Apalache and Quint.

ITF (Apalache's ADR-015) is a trace as a list of whole states over named
variables, with a loop index for a lasso: the format other tools read (Quint's
model-based testing, the ITF trace viewer, itf-rs, itf-py). A lifecheck trace maps
onto it directly: the variables are the fields as traces name them
(``broker1.phase``, ``fs.locks``), state 0 is the initial state and state ``i`` the
state after step ``i``; what the step was (process, action, parameters, fault)
goes in that state's ``#meta``, which ITF leaves to the tool. Values are encoded by
:func:`lifecheck.encoding.to_itf`.

For a lasso, ``loop`` is the index of the state where the repeated part starts,
and the last state is that state again, reached by the last step of the loop; for
a behaviour that stutters (stays in its last state forever), ``loop`` is the last
state. A step whose model code raised has no successor state: it is named in the
trace's ``#meta`` (``failure``) instead.
"""

from __future__ import annotations

from typing import Any

from lifecheck import __version__
from lifecheck.encoding import to_itf
from lifecheck.result import Trace, TraceStep

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"


def itf_trace(trace: Trace, *, spec: str, what: str, about: dict[str, Any] | None = None) -> dict[str, Any]:
    """``trace`` as an ITF trace object; ``what`` says what it is a trace of (the
    ``description``), ``about`` adds fields to the trace's ``#meta``."""
    meta: dict[str, Any] = {
        "format": "ITF",
        "format-description": FORMAT_DESCRIPTION,
        "description": f"{what}, written by lifecheck {__version__}",
        "spec": spec,
        "replay": trace.key,
        **(about or {}),
    }
    states = [_state(0, trace.initial, None)]
    for step in trace.steps:
        if step.state is None:
            meta["failure"] = {**_step(step), "message": step.failure}
            break
        states.append(_state(step.index, step.state, step))
    out: dict[str, Any] = {"#meta": meta, "vars": list(trace.initial), "states": states}
    if trace.loop_start is not None:
        out["loop"] = trace.loop_start
    return out


def _state(index: int, values: dict[str, Any], step: TraceStep | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"index": index}
    if step is not None:
        meta["step"] = _step(step)
    return {"#meta": meta, **{name: to_itf(v) for name, v in values.items()}}


def _step(step: TraceStep) -> dict[str, Any]:
    return {"index": step.index, "process": step.process, "action": step.action,
            "label": step.label, "fault": step.fault or None,
            "params": {name: to_itf(v) for name, v in step.params}}
