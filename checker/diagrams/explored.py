"""The explored state graph as plain data, which every graph diagram is drawn from.

The explorer keeps, per state, only (step index, target, fairness class) per
edge; a diagram needs to know who took each step and what it was. This module
asks the model once per state for its steps and records them beside the states
described as named fields, so that the diagram code never touches a live model
and can be tested on graphs built by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from lifecheck.contract import Step
from lifecheck.explore.exploration import Exploration
from lifecheck.modelling.compile import BUDGET, ModelSystem
from lifecheck.modelling.model import process_fields


@dataclass(frozen=True)
class RoleInfo:
    """A role as diagrams need it: its processes and the fields each one has."""

    name: str  # the role's attribute on the model: "fleet"
    process_class: str  # "Broker"
    processes: tuple[str, ...]  # ("broker1", "broker2")
    fields: tuple[tuple[str, str], ...]  # (field, "durable" or "volatile"), in declaration order
    control: tuple[str, ...] | None = None  # fields the process class names as its control state
    doc: str = ""


def processes_of(role: RoleInfo, graph: ExploredGraph) -> tuple[str, ...]:
    """The processes ``role`` has in ``graph``: specs of one design may size a role differently."""
    return next((r.processes for r in graph.roles if r.name == role.name), ())


class Edge(NamedTuple):
    """One explored transition: ``index`` is the step's position among its source's steps."""

    source: int
    index: int
    target: int
    step: Step

    @property
    def process(self) -> str | None:
        return self.step.process

    @property
    def action(self) -> str:
        return self.step.action

    @property
    def fault(self) -> str:
        return self.step.fault or ""

    @property
    def label(self) -> str:
        return self.step.label()

    @property
    def is_fault(self) -> bool:
        """A crash or power loss the checker injected (not a model action whose call failed)."""
        return self.step.is_fault

    @property
    def failed_call(self) -> bool:
        """A model action on the branch where the checker made one of its calls fail."""
        return bool(self.step.fault) and not self.step.is_fault


@dataclass
class ExploredGraph:
    """Every reachable state (as named fields) and every transition between them."""

    states: list[dict[str, Any]]
    edges: list[Edge]
    initial: dict[int, int]  # position among the initial states -> state id
    roles: list[RoleInfo]
    components: list[str]
    actions: list[str] = field(default_factory=list)  # in declaration order
    # Per state, the faults spent so far by kind: two states may differ in nothing else.
    faults_used: list[dict[str, int]] = field(default_factory=list)
    _out: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._out = {(e.source, e.index): e.target for e in self.edges}

    @property
    def processes(self) -> list[str]:
        return [p for r in self.roles for p in r.processes]

    def follow(self, key: Sequence[int]) -> list[int]:
        """The state ids a replay key walks through (stops where the graph has no such edge)."""
        if not key or key[0] not in self.initial:
            return []
        path = [self.initial[key[0]]]
        for k in key[1:]:
            nxt = self._out.get((path[-1], k))
            if nxt is None:
                break
            path.append(nxt)
        return path


def role_infos(system: ModelSystem) -> list[RoleInfo]:
    """Each role of the model with its process names, in the order the model declares them."""
    model = system.model
    processes = system.role_processes()
    infos = []
    for attr, decl in model.roles().items():
        cls = decl.process
        names = processes.get(attr, ())
        fields = tuple((f.name, f.kind) for f in process_fields(cls))
        infos.append(RoleInfo(attr, cls.__name__, names, fields, _declared_control(cls),
                              _first_paragraph(cls.__doc__)))
    return infos


class RecordingSystem:
    """A transition system that remembers the steps of every state it was asked about.

    Exploring through it leaves, beside the explorer's own graph (which keeps only
    step indices), the steps themselves, so that drawing does not have to ask the
    model for every state's successors a second time. Everything else is the
    wrapped system's.
    """

    def __init__(self, inner: ModelSystem) -> None:
        self._inner = inner
        self.steps: dict[Any, list[Step]] = {}

    def successors(self, state: Any) -> Any:
        out = self._inner.successors(state)
        self.steps[state] = [step for step, _ in out]
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def explored_graph(system: ModelSystem, exploration: Exploration,
                   recorded: dict[Any, list[Step]] | None = None) -> ExploredGraph:
    """Plain data for ``exploration``, which must have been run with ``record_graph=True``.

    ``recorded`` maps states to their steps (see :class:`RecordingSystem`); a state
    it lacks has its steps computed again.
    """
    graph = exploration.graph
    if graph is None:
        raise ValueError("the exploration kept no graph: explore with Options(record_graph=True)")
    recorded = recorded or {}
    states = exploration.states
    edges: list[Edge] = []
    for sid, state in enumerate(states):
        out = graph.edges[sid]
        if not out:
            continue
        steps = recorded.get(state)
        if steps is None:
            steps = [step for step, _ in system.successors(state)]
        edges.extend(Edge(sid, k, target, steps[k]) for k, target, _ in out)
    initial = {exploration.via[sid]: sid for sid in range(len(states)) if exploration.parents[sid] < 0}
    kinds = list(system.budget_index)
    used = [dict(zip(kinds, s[BUDGET], strict=True)) for s in states] if kinds else []
    return ExploredGraph([system.describe(s) for s in states], edges, initial, role_infos(system),
                         system.component_names(), list(system.actions()), used)


def _declared_control(cls: type) -> tuple[str, ...] | None:
    """The field names a process class gives as its control state (``control = "phase"``), if any."""
    control = getattr(cls, "control", None)
    if isinstance(control, str):
        return (control,)
    if isinstance(control, (tuple, list)) and control and all(isinstance(c, str) for c in control):
        return tuple(control)
    return None


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())
