"""Every diagram of one lifecycle document, as DOT and Mermaid text with the file it goes to.

Role machines are per design (the union over the design's specs that have a
graph), state graphs per spec, sequence diagrams per violation with a trace.
Nothing is rendered here: SVG comes later, in one batch, from the DOT texts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lifecheck.diagrams.control import ControlStates, choose_rule, value_text
from lifecheck.diagrams.lifecycle import CheckedSpec, Lifecycle, slug
from lifecheck.diagrams.roles import Machine, machine_dot, role_machine
from lifecheck.diagrams.sequence import sequence_diagram
from lifecheck.diagrams.sequence_dot import sequence_dot
from lifecheck.diagrams.sequence_mermaid import sequence_mermaid
from lifecheck.diagrams.state_graph import CounterexamplePath, Picture, picture_dot, state_picture
from lifecheck.errors import ModelError
from lifecheck.result import Violation


@dataclass(frozen=True)
class Figure:
    """One diagram: where it goes (without extension), its DOT text, how to lay it out."""

    path: str
    dot: str
    positioned: bool = False


@dataclass
class MachineFigure:
    figure: Figure
    machine: Machine
    specs: list[str]


@dataclass
class StateFigure:
    figure: Figure | None
    picture: Picture | None
    note: str = ""
    fallback: StateFigure | None = None  # the control-state classes, should the whole graph be too wide


@dataclass
class SequenceFigure:
    figure: Figure
    mermaid: str


@dataclass
class LifecycleFigures:
    machines: dict[str, list[MachineFigure]] = field(default_factory=dict)  # design name -> per role
    states: dict[str, StateFigure] = field(default_factory=dict)  # spec name ->
    sequences: dict[tuple[str, str], SequenceFigure] = field(default_factory=dict)  # (spec, property)

    def all(self) -> list[Figure]:
        out = [m.figure for ms in self.machines.values() for m in ms]
        out += [s.figure for s in self.states.values() if s.figure is not None]
        out += [s.figure for s in self.sequences.values()]
        return out


def lifecycle_figures(life: Lifecycle) -> LifecycleFigures:
    """Every diagram of one lifecycle's document, with the files they go to (under ``life.key/``)."""
    figures = LifecycleFigures()
    folder = life.key
    for design in life.designs:
        graphs = design.graphs
        if not graphs:
            continue
        roles = graphs[0].roles
        rules = {r.name: choose_rule(r, graphs) for r in roles}
        controls = {id(c.graph): ControlStates(c.graph, rules) for c in design.specs if c.graph is not None}
        drawn = [c.spec.name for c in design.specs if c.graph is not None]
        machines = []
        for r in roles:
            machine = role_machine(r, list(controls.values()))
            figure = Figure(f"{folder}/{design.slug}.{slug(r.name)}", machine_dot(machine))
            machines.append(MachineFigure(figure, machine, drawn))
        figures.machines[design.name] = machines
        for c in design.specs:
            if c.graph is not None:
                figures.states[c.spec.name] = _state_figure(folder, c, controls[id(c.graph)])
    for c in life.specs:
        if c.spec.name not in figures.states:
            figures.states[c.spec.name] = StateFigure(None, None, c.no_graph)
        for v in c.result.violations:
            if v.trace is None:
                continue
            figures.sequences[(c.spec.name, v.property)] = _sequence_figure(folder, c, v)
    return figures


def _state_figure(folder: str, c: CheckedSpec, controls: ControlStates) -> StateFigure:
    paths = [CounterexamplePath(v.property, tuple(v.trace.replay), v.trace.loop_start)
             for v in c.result.violations if v.trace is not None]
    projection = spec_projection(c)
    picture = state_picture(controls, paths, projection=projection)
    if not picture.nodes:
        return StateFigure(None, picture, picture.note)
    fallback = None
    if picture.kind == "full":
        classes = state_picture(controls, paths, whole=False)
        if classes.nodes and len(classes.nodes) < len(picture.nodes):
            fallback = _drawn(folder, c, classes)
    drawn = _drawn(folder, c, picture)
    drawn.fallback = fallback
    return drawn


def _drawn(folder: str, c: CheckedSpec, picture: Picture) -> StateFigure:
    title = c.spec.name + ("" if picture.kind == "full" else " (control states)")
    return StateFigure(Figure(f"{folder}/{_spec_slug(folder, c)}.states", picture_dot(picture, title)),
                       picture)


def _sequence_figure(folder: str, c: CheckedSpec, v: Violation) -> SequenceFigure:
    graph = c.graph
    if graph is not None:
        processes, components = graph.processes, graph.components
    else:
        system = c.spec.system()
        processes, components = system.process_names(), system.component_names()
    diagram = sequence_diagram(v, processes, components, title=f"{c.spec.name}: {v.property}")
    path = f"{folder}/{_spec_slug(folder, c)}.{slug(v.property)}"
    return SequenceFigure(Figure(path, sequence_dot(diagram), positioned=True), sequence_mermaid(diagram))


def _spec_slug(folder: str, c: CheckedSpec) -> str:
    """The spec's name in file names, without the lifecycle's folder name it starts with."""
    name = slug(c.spec.name)
    return name[len(folder) + 1:] if name.startswith(folder + ".") else name


def spec_projection(c: CheckedSpec) -> Callable[[dict[str, Any]], Hashable] | None:
    """The projection a spec chose for its state graph (``spec.projection``), if any.

    Either a function of the state's named fields (``{"broker1.phase": ...}``)
    returning a label or a tuple of lines, or a sequence of field names.
    """
    chosen = getattr(c.spec, "projection", None)
    if chosen is None:
        return None
    if callable(chosen):
        def guarded(state: dict[str, Any]) -> Hashable:
            try:
                label = chosen(state)
                hash(label)
            except Exception as exc:
                raise ModelError(f"the spec's projection raised {type(exc).__name__}: {exc}; it "
                                 "must map a state's named fields to a hashable label",
                                 spec=c.spec.name) from None
            return label
        return guarded
    if isinstance(chosen, str) or not isinstance(chosen, Sequence):
        raise ModelError(f"projection must be a function of the state's fields or a list of field "
                         f"names, got {chosen!r}", spec=c.spec.name)
    names = tuple(chosen)
    known = set(c.graph.states[0]) if c.graph is not None and c.graph.states else set()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ModelError(f"projection names unknown field(s) {', '.join(unknown)} "
                         f"(fields: {', '.join(sorted(known))})", spec=c.spec.name)
    return lambda state: tuple(f"{n}={value_text(state[n])}" for n in names)
