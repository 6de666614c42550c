"""Per-role state machines, read off the explored graphs rather than drawn by hand.

For each role, the nodes are its control states (see :mod:`.control`) and the
edges are every explored transition that changed a process's control state, or
was that process's own action: its actions (solid), its actions on the branch
where an injected fault made a call fail (orange), its crashes (red, dashed),
power losses (purple, dashed), and changes another process or the environment
made to it (grey, dotted). The machine is the union over every process of the
role and every graph given, so it shows everything the checker saw the role do.

A fault that leads from every other state to one state (a crash back to ``boot``)
is drawn as one note pointing at that state, not as an edge from each: those
edges said one thing many times and crossed every action edge of the drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lifecheck.diagrams import dot
from lifecheck.diagrams.control import BY_VOLATILE, ControlRule, ControlStates
from lifecheck.diagrams.explored import RoleInfo, processes_of

ACTION = "action"
FAILED = "failed call"
CRASH = "crash"
POWER_LOSS = "power loss"
OTHER = "by another"
KINDS = (ACTION, FAILED, CRASH, POWER_LOSS, OTHER)

STYLE = {
    ACTION: {"color": dot.ACTION, "fontcolor": dot.ACTION},
    FAILED: {"color": dot.FAILED_CALL, "fontcolor": dot.FAILED_CALL},
    CRASH: {"color": dot.CRASH, "fontcolor": dot.CRASH, "style": "dashed"},
    POWER_LOSS: {"color": dot.POWER_LOSS, "fontcolor": dot.POWER_LOSS, "style": "dashed"},
    OTHER: {"color": dot.OTHER, "fontcolor": "#607d8b", "style": "dotted"},
}
LEGEND = {
    ACTION: "solid: its own action",
    FAILED: "orange: its action, with a call failed by an injected fault",
    CRASH: "red dashed: it crashes (volatile fields reset)",
    POWER_LOSS: "purple dashed: power loss",
    OTHER: "grey dotted: another process or the environment changed it",
}
MAX_LABEL = 36
MIN_NOTE_SOURCES = 2  # a fault from a single other state is clearer as an edge
NOTE_LEGEND = ("a red note: from any state, that fault leads to the state it points at "
               "(volatile fields reset)")


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    kind: str
    label: str


@dataclass(frozen=True)
class FaultNote:
    """Faults that lead from every other state of a machine to ``target``, said once."""

    target: str
    labels: tuple[str, ...]
    covered: frozenset[Transition]

    def lines(self) -> tuple[str, str]:
        return "from any state:", f"{' or '.join(self.labels)} → {self.target}"


@dataclass
class Machine:
    """One role's control states and the transitions between them."""

    role: RoleInfo
    rule: ControlRule
    states: list[str] = field(default_factory=list)  # in the order the explorer met them
    initial: list[str] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        """The kinds of edge drawn (faults said by a note are not edges), in legend order."""
        present = {t.kind for t in self.edges()}
        return [k for k in KINDS if k in present]

    def notes(self) -> list[FaultNote]:
        """The faults that lead from every other state to one state, one note per such state."""
        groups: dict[tuple[str, str], list[Transition]] = {}
        for t in self.transitions:
            if t.kind in (CRASH, POWER_LOSS):
                groups.setdefault((t.target, t.label), []).append(t)
        notes: dict[str, FaultNote] = {}
        for (target, label), ts in groups.items():
            others = set(self.states) - {target}
            if len(others) < MIN_NOTE_SOURCES or not others <= {t.source for t in ts}:
                continue
            old = notes.get(target, FaultNote(target, (), frozenset()))
            notes[target] = FaultNote(target, (*old.labels, label), old.covered | frozenset(ts))
        return list(notes.values())

    def edges(self) -> list[Transition]:
        """The transitions drawn as edges: all but those a note says."""
        covered = {t for note in self.notes() for t in note.covered}
        return [t for t in self.transitions if t not in covered]


def role_machine(role: RoleInfo, controls: Sequence[ControlStates]) -> Machine:
    """The machine of ``role`` over every graph in ``controls`` (all with the same rule)."""
    rule = controls[0].rules[role.name] if controls else ControlRule(role.name, BY_VOLATILE)
    machine = Machine(role, rule)
    seen_states: set[str] = set()
    seen: set[Transition] = set()

    def add_state(label: str) -> None:
        if label not in seen_states:
            seen_states.add(label)
            machine.states.append(label)

    for cs in controls:
        graph = cs.graph
        # A design's specs may size a role differently: each graph has the processes it has.
        processes = processes_of(role, graph)
        for sid in graph.initial.values():
            for p in processes:
                label = cs.of(p, sid)
                add_state(label)
                if label not in machine.initial:
                    machine.initial.append(label)
        for p in processes:
            labels = cs.labels(p)
            for e in graph.edges:
                before, after = labels[e.source], labels[e.target]
                step = e.step
                if step.process != p and before == after:
                    continue  # someone else's step that left this process as it was
                fault = step.fault or ""
                kind = _kind(step.process, step.action, fault, p, before != after)
                if kind is None:
                    continue
                if kind == OTHER:
                    who = "env" if step.process is None else (
                        f"another {role.process_class}" if step.process in processes else
                        _class_of(step.process, graph.roles))
                    label = f"{step.action} ({who})"
                elif kind == FAILED:
                    label = f"{step.action} !! {fault}"
                elif kind in (CRASH, POWER_LOSS):
                    label = step.action if step.action in ("stop", "pause") else kind
                else:
                    label = step.action
                add_state(before)
                add_state(after)
                t = Transition(before, after, kind, label)
                if t not in seen:
                    seen.add(t)
                    machine.transitions.append(t)
    return machine


def _kind(actor: str | None, action: str, fault: str, process: str, changed: bool) -> str | None:
    if fault and action == fault:  # an injected crash or power loss: drawn where it changes something
        if not changed:
            return None
        if actor == process:
            return CRASH
        return POWER_LOSS if actor is None else OTHER
    if actor == process:
        return FAILED if fault else ACTION
    return OTHER if changed else None


def _class_of(process: str, roles: Sequence[RoleInfo]) -> str:
    for r in roles:
        if process in r.processes:
            return r.process_class
    return process


def machine_dot(machine: Machine) -> str:
    """DOT for one role's machine; parallel edges of one kind are drawn as one, labels stacked."""
    name = f"{machine.role.process_class} ({machine.role.name})"
    g = dot.digraph(machine.role.process_class, rankdir="TB", nodesep="0.25", ranksep="0.45",
                    label=dot.escape(name), labelloc="t")
    g.attr("node", shape="box", style="rounded,filled", fillcolor=dot.NODE_FILL, margin="0.15,0.06")
    ids = {label: f"s{i}" for i, label in enumerate(machine.states)}
    g.node("start", "", shape="point", width="0.12", color=dot.ACTION, fillcolor=dot.ACTION)
    for label in machine.states:
        attrs = {"fillcolor": dot.INITIAL_FILL, "penwidth": "1.8"} if label in machine.initial else {}
        g.node(ids[label], dot.escape(dot.shorten(label, 48)), **attrs)
    for label in machine.initial:
        g.edge("start", ids[label])
    for i, note in enumerate(machine.notes()):
        g.node(f"note{i}", dot.lines(*note.lines()), shape="note", style="filled", color=dot.CRASH,
               fontcolor=dot.CRASH, fillcolor=dot.BAD_FILL, fontsize=str(dot.EDGE_FONT_SIZE))
        g.edge(f"note{i}", ids[note.target], color=dot.CRASH, style="dashed", arrowhead="vee")
    grouped: dict[tuple[str, str, str], list[Transition]] = {}
    for t in machine.edges():
        # One fault edge per pair of states, and one loop per state (dot stacks several
        # loops on one side of a node, where their labels overlap).
        kind = "loop" if t.source == t.target else CRASH if t.kind == POWER_LOSS else t.kind
        grouped.setdefault((t.source, t.target, kind), []).append(t)
    for (source, target, kind), ts in grouped.items():
        if kind == "loop":
            ts = sorted(ts, key=lambda t: KINDS.index(t.kind))
            main = ts[0].kind
            text = dot.html_lines([(dot.shorten(t.label, MAX_LABEL), STYLE[t.kind]["fontcolor"])
                                   for t in ts])
            g.edge(ids[source], ids[target], label=text, **STYLE[main])
            continue
        labels = [t.label for t in ts]
        style = dict(STYLE[kind])
        if kind == CRASH and CRASH not in labels:
            style = dict(STYLE[POWER_LOSS])
        if kind == CRASH:
            style["constraint"] = "false"  # the layout follows the actions; faults are drawn over it
        if kind == CRASH:
            labels = [" / ".join(labels)]
        g.edge(ids[source], ids[target], label=dot.lines(*(dot.shorten(x, MAX_LABEL) for x in labels)),
               **style)
    return dot.source(g)


def machine_legend(machine: Machine) -> str:
    """The edge styles a machine uses, as a sentence."""
    kinds = machine.kinds
    parts = []
    for k in kinds:
        if k == CRASH and POWER_LOSS in kinds:
            # Where both lead from one state to the same one they share an edge (machine_dot).
            parts.append("red dashed: it crashes, or the power fails (the label says which); "
                         "purple dashed: a power loss alone")
        elif k == POWER_LOSS and CRASH in kinds:
            continue
        elif k == CRASH and any(t.label in ("stop", "pause") for t in machine.edges()):
            parts.append("red dashed: it crashes (volatile fields reset), stops for good or "
                         "pauses (the label says which)")
        else:
            parts.append(LEGEND[k])
    if machine.notes():
        parts.append(NOTE_LEGEND)
    return "; ".join(parts)
