"""A result as data for programs: what ``lifecheck check --json`` prints.

The text report is for people and shortens what it shows (only the fields a step
changed, long values cut). A program needs the opposite: every state of a trace,
each value with its type, the expectation, fault budgets and bounds as fields, an
error in parts. This module builds that document; ``schema/result.schema.json``
(shipped in the package) describes it, and :data:`VERSION` moves whenever its shape
does, so a consumer can tell which shape it reads. Values are encoded by
:func:`lifecheck.encoding.to_data`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lifecheck.encoding import to_data
from lifecheck.result import Result, Trace, TraceStep
from lifecheck.typed_values import same_typed
from lifecheck.values import FrozenMap

#: The ``schema`` field of every result: which document this is.
SCHEMA = "lifecheck-result"
#: The ``version`` field: 2 is the first typed, schema-described shape (1 was the text
#: report's fields as JSON, before ``schema`` and ``version`` existed); 3 adds
#: ``collision_chance`` (which was one of the ``warnings`` before).
VERSION = 3


def result_data(result: Result) -> dict[str, Any]:
    """One result as ``check --json`` prints it (an item of the array the schema describes)."""
    expected = result.expected
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "spec": result.spec,
        "model": result.model,
        "expected": ({"verdict": expected.verdict, "properties": list(expected.properties)}
                     if expected else None),
        "verdict": result.verdict,
        "matches": result.matches,
        "property": result.violations[0].property if result.violations else None,
        "violated": list(result.violated_properties),
        "distinct_states": result.stats.distinct_states,
        "transitions": result.stats.transitions,
        "depth": result.stats.depth,
        "seconds": round(result.stats.seconds, 3),
        "states_per_second": round(result.stats.states_per_second, 1),
        "violations": [
            {"property": v.property, "kind": v.kind, "message": v.message,
             "trace": trace_data(v.trace) if v.trace else None,
             "observed": [{"field": name, "value": to_data(value)} for name, value in v.observed]}
            for v in result.violations
        ],
        "coverage": dict(result.coverage),
        "warnings": list(result.warnings),
        "incomplete_reason": result.incomplete_reason or None,
        "error": _error(result) if result.verdict == "error" else None,
        "faults": [dict(b) for b in result.fault_budgets],
        "bounds": {**_NO_BOUNDS, **result.bound_limits},
        "fairness": result.fairness,
        "fairness_rules": list(result.fairness_rules),
        "properties": list(result.properties),
        "covers": result.covers or None,
        "reduction": result.reduction or None,
        "resumed_at_states": result.resumed_at or None,
        "outside_constraint": result.stats.outside,
        "collision_chance": result.stats.collision_chance,
    }


_NO_BOUNDS = {"max_depth": None, "max_states": None, "max_seconds": None, "max_memory_mb": None}


def _error(result: Result) -> dict[str, Any]:
    d = result.error_detail
    trace = result.error_trace
    replay = d.replay if d and d.replay else (trace.replay if trace else None)
    return {
        "message": result.error,
        "problem": d.problem if d else result.error,
        "spec": (d.spec if d else None) or result.spec,
        "action": d.action if d else None,
        "step": d.step if d else None,
        "source": {"file": d.file, "line": d.line} if d and d.file else None,
        "replay": list(replay) if replay else None,
        "replay_key": ".".join(map(str, replay)) if replay else None,
        "trace": trace_data(trace) if trace else None,
    }


def trace_data(trace: Trace) -> dict[str, Any]:
    """A trace with every state in full: ``states[0]`` is the initial state, ``states[i]``
    the state after step ``i`` (null after a failed step)."""
    states = trace.states
    return {
        "replay": list(trace.replay),
        "replay_key": trace.key,
        "variables": list(trace.initial),
        "states": [_state(s) for s in states],
        "steps": [step_data(step, states[i]) for i, step in enumerate(trace.steps)],
        "loop_start": trace.loop_start,
        "stutter": trace.stutter,
    }


def _state(state: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if state is None else {name: to_data(v) for name, v in state.items()}


def step_data(step: TraceStep, before: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "index": step.index,
        "process": step.process,
        "action": step.action,
        "label": step.label,
        "fault": step.fault or None,
        "params": {name: to_data(v) for name, v in step.params},
        "choices": [to_data(c) for c in step.choices],
        "changes": changes(before, step.state),
        "failure": step.failure or None,
    }


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What a step changed, as typed values: a whole field, or one entry of a map (with
    ``before`` or ``after`` left out where the entry is absent)."""
    if before is None or after is None:
        return []
    out: list[dict[str, Any]] = []
    for name in after:
        old, new = before.get(name), after[name]
        if same_typed(old, new):
            continue
        if isinstance(old, FrozenMap) and isinstance(new, FrozenMap):
            for key in [k for k in old if k not in new] + list(new):
                entry: dict[str, Any] = {"field": name, "key": to_data(key)}
                if key in old:
                    entry["before"] = to_data(old[key])
                if key in new:
                    entry["after"] = to_data(new[key])
                if key not in old or key not in new or not same_typed(old[key], new[key]):
                    out.append(entry)
        else:
            out.append({"field": name, "before": to_data(old), "after": to_data(new)})
    return out


def fault_budgets(faults: Any) -> list[dict[str, Any]]:
    """Each budget as ``{"fault": kind class, "key": its name in traces, "max": N, ...}`` and
    the kind's other fields (a crash's ``roles``, a failure's ``kind``): read off the
    kind's dataclass fields, so that a new kind of fault needs nothing here."""
    out = []
    for f in faults:
        entry: dict[str, Any] = {"fault": type(f).__name__, "key": f.key}
        for name in dataclasses.fields(f):
            value = getattr(f, name.name)
            if callable(value):  # a when= predicate: named, as the faults line names it
                value = getattr(value, "__qualname__", None) or repr(value)
            entry[name.name] = list(value) if isinstance(value, tuple) else value
        out.append(entry)
    return out


def bound_limits(bounds: Any) -> dict[str, Any]:
    """The run's bounds by name, null where there is none."""
    return dataclasses.asdict(bounds)
