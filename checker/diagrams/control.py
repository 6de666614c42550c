"""Control states: which part of a process's state a diagram draws as its nodes.

A model declares no program counter, so the diagrams derive one, by the first
rule that applies to the role:

1. the fields the process class names itself, ``control = "phase"`` (or a tuple):
   read here already, but the modelling layer still refuses an attribute that is
   not a field, so this waits for ``collect_fields`` to accept ``control``;
2. a field named like a program counter: ``phase``, ``pc``, ``state``, ``status``
   or ``stage``;
3. its volatile fields, when together they take at most :data:`MAX_FIELD_STATES`
   values over the explored states: what a crash resets is, in these models, what
   the process is *doing*, while durable fields hold what it *has* (files,
   segments, logs), which would multiply the nodes without telling the reader
   anything about the protocol;
4. otherwise, the set of its own actions enabled in the state. Two states that
   enable the same actions of a process are the same to its control flow, so this
   is the coarsest abstraction that still shows every action where it can happen;
   it needs no naming convention, and it cannot blow up past the number of action
   subsets the model actually reaches.

The rule is chosen once per role over every graph drawn for a design, so one
design's diagrams all speak of the same control states; each diagram says which
rule it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lifecheck.diagrams.explored import ExploredGraph, RoleInfo, processes_of

PC_NAMES = ("phase", "pc", "state", "status", "stage")
MAX_FIELD_STATES = 12
NOTHING_ENABLED = "can do nothing"
NO_STATE = "(no volatile state)"

BY_DECLARATION = "declared"
BY_NAME = "named"
BY_VOLATILE = "volatile"
BY_ENABLED = "enabled"


@dataclass(frozen=True)
class ControlRule:
    """How one role's control state is read off a state."""

    role: str
    how: str  # BY_DECLARATION, BY_NAME, BY_VOLATILE or BY_ENABLED
    fields: tuple[str, ...] = ()

    def describe(self, process_class: str = "") -> str:
        """One sentence for the reader of a diagram."""
        who = process_class or self.role
        names = ", ".join(self.fields)
        if self.how == BY_DECLARATION:
            return f"{who}'s control state is {names}, as {who}.control declares"
        if self.how == BY_NAME:
            return f"{who}'s control state is its field {names}"
        if self.how == BY_VOLATILE:
            if not self.fields:
                return f"{who} has no volatile fields: one control state"
            return f"{who}'s control state is its volatile fields ({names}), what a crash resets"
        return (f"{who}'s control state is the set of its actions enabled in a state "
                f"(its volatile fields take more than {MAX_FIELD_STATES} values)")


def choose_rule(role: RoleInfo, graphs: Sequence[ExploredGraph]) -> ControlRule:
    """The first rule of the module's list that applies to ``role`` over ``graphs``."""
    names = [name for name, _ in role.fields]
    if role.control:
        unknown = [f for f in role.control if f not in names]
        if not unknown:
            return ControlRule(role.name, BY_DECLARATION, tuple(role.control))
    for pc in PC_NAMES:
        if pc in names:
            return ControlRule(role.name, BY_NAME, (pc,))
    volatile = tuple(name for name, kind in role.fields if kind == "volatile")
    rule = ControlRule(role.name, BY_VOLATILE, volatile)
    values: set[tuple[Any, ...]] = set()
    for graph in graphs:
        processes = processes_of(role, graph)
        for state in graph.states:
            for process in processes:
                values.add(_values(state, process, volatile))
                if len(values) > MAX_FIELD_STATES:
                    return ControlRule(role.name, BY_ENABLED)
    return rule


def _values(state: dict[str, Any], process: str, fields: Sequence[str]) -> tuple[Any, ...]:
    return tuple(state.get(f"{process}.{name}") for name in fields)


class ControlStates:
    """The control state of every process in every state of one graph, as a label."""

    def __init__(self, graph: ExploredGraph, rules: dict[str, ControlRule]) -> None:
        self.graph = graph
        self.rules = rules
        self._enabled: dict[str, list[list[str]]] = {}
        self._labels: dict[str, list[str]] = {}
        for role in graph.roles:
            rule = rules[role.name]
            if rule.how == BY_ENABLED:
                self._collect_enabled(role)
            for process in role.processes:
                self._labels[process] = [self._label(rule, process, sid)
                                         for sid in range(len(graph.states))]

    def of(self, process: str, sid: int) -> str:
        return self._labels[process][sid]

    def labels(self, process: str) -> Sequence[str]:
        """The control state of ``process`` in every state, by state id."""
        return self._labels[process]

    def configuration(self, sid: int) -> tuple[str, ...]:
        """Every process's control state in state ``sid``, in process order."""
        return tuple(self._labels[p][sid] for p in self.graph.processes)

    def _collect_enabled(self, role: RoleInfo) -> None:
        order = {name: i for i, name in enumerate(self.graph.actions)}
        n = len(self.graph.states)
        for process in role.processes:
            sets: list[set[str]] = [set() for _ in range(n)]
            for e in self.graph.edges:
                if e.process == process and not e.is_fault:
                    sets[e.source].add(e.action)
            self._enabled[process] = [sorted(s, key=lambda a: (order.get(a, len(order)), a))
                                      for s in sets]

    def _label(self, rule: ControlRule, process: str, sid: int) -> str:
        if rule.how == BY_ENABLED:
            actions = self._enabled[process][sid]
            return "can: " + ", ".join(actions) if actions else NOTHING_ENABLED
        if not rule.fields:
            return NO_STATE
        state = self.graph.states[sid]
        values = _values(state, process, rule.fields)
        if len(values) == 1 and isinstance(values[0], str):
            return values[0]
        return ", ".join(f"{name}={value_text(v)}" for name, v in zip(rule.fields, values, strict=True))


def value_text(value: Any) -> str:
    """A field value as a node label: strings without quotes, everything else as repr."""
    return value if isinstance(value, str) else repr(value)
