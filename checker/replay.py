"""Rebuilding counterexamples by replaying recorded steps.

The explorer stores no states, only how each was reached. A trace is rebuilt by
starting from the recorded initial state and taking the recorded step index at
each state; the fingerprint of each replayed state must match the one recorded,
otherwise the model is not deterministic and the error says at which step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lifecheck.contract import ActionFailure, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.result import ABSENT, MEMBERS, Change, Members, Trace, TraceStep
from lifecheck.typed_values import same_typed
from lifecheck.values import FrozenMap


def replay(system: TransitionSystem, key: Sequence[int],
           expected: Sequence[Any] | None = None, *, from_user: bool = False) -> tuple[Trace, Any]:
    """Follow a replay key; return the trace and the last outcome (a state or a failure).

    ``expected`` gives, per state along the way (initial first), the state the
    explorer recorded, or None where there is nothing to compare. ``from_user`` says the
    key came from a person (``lifecheck replay``): a step it lacks is then a key that
    does not fit the spec, not a model that is not deterministic.
    """
    inits = system.init_states()
    if not key or key[0] >= len(inits):
        raise ModelError(f"replay key {'.'.join(map(str, key))} does not start at an initial state: "
                         f"the spec has {len(inits)} (0..{len(inits) - 1})", step=0)
    state: Any = inits[key[0]]
    _expect(expected, 0, state, None)
    initial = system.describe(state)
    shown = system.show(state)
    trace_shown = shown if shown != initial else None
    steps: list[TraceStep] = []
    for n, k in enumerate(key[1:], start=1):
        if isinstance(state, ActionFailure):
            raise ModelError(f"replay key continues after a failed step at step {n - 1}", step=n)
        succs = system.successors(state)
        if k >= len(succs) and from_user:
            raise ModelError(f"the key takes step #{k}, but the state after step {n - 1} has "
                             f"{len(succs)} enabled steps (#0..#{len(succs) - 1}): the key does not "
                             "fit this spec (another model, parameters or fault budget?)", step=n)
        if k >= len(succs):
            raise ModelError(f"replay diverged at step {n}: the state has {len(succs)} enabled "
                             f"steps, the recorded trace took step #{k}; the model is not "
                             "deterministic", step=n)
        step, out = succs[k]
        ts = TraceStep(n, step.process, step.action, step.label(), step.fault, step.params,
                       step.choices)
        if isinstance(out, ActionFailure):
            ts.failure = out.message
        else:
            _expect(expected, n, out, step.label())
            ts.state = system.describe(out)
            after = system.show(out)
            ts.notes, noted = system.explain(state, out, step)
            ts.noted = frozenset(noted)
            ts.changes = diff(shown, after)
            shown = after
        steps.append(ts)
        state = out
    return Trace(initial, steps, list(key), shown=trace_shown), state


def parse_key(text: str) -> list[int]:
    """A key as a person types it (``lifecheck replay``, ``lifecheck explore``): ``0.0.1`` as
    ``[0, 0, 1]``; anything else is refused, saying what a key looks like."""
    parts = text.strip().split(".")
    if not all(p.isdigit() and p.isascii() for p in parts):
        raise ModelError(f"replay key {text!r} is not a key: it is numbers joined by dots, as "
                         "traces print it (replay 0.0.0.1.0.0.0)")
    return [int(p) for p in parts]


def _expect(expected: Sequence[Any] | None, n: int, state: Any, label: str | None) -> None:
    if expected is None or n >= len(expected) or expected[n] is None:
        return
    if not same_typed(state, expected[n]):
        what = f" after {label}" if label else ""
        raise ModelError(f"replay diverged at step {n}{what}: the state differs from the one "
                         "the explorer reached; the model is not deterministic", step=n)


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Field-level changes, descending into maps so a large file table shows one entry,
    and telling a set by the members it gained and lost."""
    changes: list[Change] = []
    for name in after:
        old, new = before.get(name), after[name]
        if same_typed(old, new):
            continue
        if isinstance(old, FrozenMap) and isinstance(new, FrozenMap):
            for k in _keys(old, new):
                a, b = old.get(k, ABSENT), new.get(k, ABSENT)
                if not same_typed(a, b):
                    changes.append(Change(f"{name}[{k!r}]", a, b))
        elif isinstance(old, frozenset) and isinstance(new, frozenset):
            changes.append(Change(name, Members(old), Members(new), MEMBERS))
        elif _extends(old, new):
            changes.append(Change(name, Elided(f"({len(old)} items)"),
                                  Elided(f"(... + {_items(new[len(old):])})")))
        elif _extends(new, old):
            changes.append(Change(name, Elided(f"(... {_items(old[len(new):])})"),
                                  Elided(f"({len(new)} items)")))
        else:
            changes.append(Change(name, old, new))
    return changes


def _extends(short: Any, long: Any) -> bool:
    """A tuple that grew at its end (a log, a journal): show what was added, not all of it."""
    return (isinstance(short, tuple) and isinstance(long, tuple) and 0 < len(short) < len(long)
            and long[:len(short)] == short)


def _items(items: tuple) -> str:
    return ", ".join(repr(i) for i in items)


class Elided:
    """A value shown in part; its repr is the text a reader sees."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Elided) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _keys(a: FrozenMap, b: FrozenMap) -> list:
    return _ordered(set(a) | set(b))


def _ordered(values: Any) -> list:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)
