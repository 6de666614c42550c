"""``lifecheck report PATH --out DIR``: one design document per lifecycle, with its diagrams.

Each spec is checked once, keeping the explored graph, and the result feeds the
document (verdicts, stories, step tables) and the diagrams (role machines, state
graphs, sequence diagrams). The folder's content is a pure function of the specs:
``--check`` builds it in memory and compares it byte for byte with what is on
disk, which is how CI tells that ``diagrams/`` is stale.

Files are written one by one, each atomically; files this command wrote before
and would not write now (a renamed spec's diagrams) are removed from the
lifecycles' own folders, never elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lifecheck.contract import Options
from lifecheck.diagrams.document import index_document, lifecycle_document
from lifecheck.diagrams.dot import PX_PER_PT, legible, render_svg, svg_size
from lifecheck.diagrams.explored import RecordingSystem, explored_graph
from lifecheck.diagrams.figures import Figure, LifecycleFigures, StateFigure, lifecycle_figures
from lifecheck.diagrams.lifecycle import CheckedSpec, Lifecycle, group_lifecycles
from lifecheck.errors import ModelError
from lifecheck.explore.verdict import check_spec, check_system
from lifecheck.files import write_atomically
from lifecheck.modelling.spec import Spec
from lifecheck.result import ERROR, Result
from lifecheck.result_data import bound_limits, fault_budgets

INDEX = "README.md"
DIAGRAM_SUFFIXES = (".dot", ".svg")


@dataclass
class Report:
    """Everything the folder should hold (relative path -> text), and what it was made from."""

    files: dict[str, str]
    lifecycles: list[Lifecycle]

    @property
    def results(self) -> list[Result]:
        return [c.result for life in self.lifecycles for c in life.specs]


def build_report(specs: Sequence[Spec]) -> Report:
    """Check every spec and build every file of the report in memory."""
    lifecycles = group_lifecycles([check_for_report(spec) for spec in specs])
    per_lifecycle = [(life, lifecycle_figures(life)) for life in lifecycles]
    figures = [fig for _, figs in per_lifecycle for fig in figs.all()]
    paths = [fig.path for fig in figures]
    if len(set(paths)) != len(paths):
        twice = sorted({p for p in paths if paths.count(p) > 1})
        raise ModelError(f"two diagrams would be written to {twice[0]}: rename one of the specs")
    svgs = dict(zip(paths, _render_all(figures), strict=True))
    files: dict[str, str] = {}
    for life, figs in per_lifecycle:
        _drop_illegible_state_graphs(figs, svgs)
        files[f"{life.key}.md"] = lifecycle_document(life, figs)
    for fig in figures:
        if fig.path in svgs:
            files[f"{fig.path}.dot"] = fig.dot
            files[f"{fig.path}.svg"] = svgs[fig.path]
    files[INDEX] = index_document(lifecycles)
    return Report(dict(sorted(files.items())), lifecycles)


def _drop_illegible_state_graphs(figs: LifecycleFigures, svgs: dict[str, str]) -> None:
    """A state graph too wide to read at page width is left out, and the document says so.

    Role machines and sequence diagrams are always kept: they are the report's
    substance, and their layouts are made to fit (tests check that they do).
    """
    for name, sf in figs.states.items():
        if sf.figure is None or legible(svgs[sf.figure.path]):
            continue
        width = svg_size(svgs.pop(sf.figure.path))[0] * PX_PER_PT
        count = len(sf.picture.nodes) if sf.picture is not None else 0
        figs.states[name] = StateFigure(None, sf.picture, (
            f"its {count} nodes would make a drawing {width:,.0f} px wide, too wide to read at "
            "page width"))


def _render_all(figures: Sequence[Figure]) -> list[str]:
    """SVG for every figure, several dot processes at a time (the order of the input is kept)."""
    def render(fig: Figure) -> str:
        return render_svg(fig.dot, engine="neato" if fig.positioned else "dot", positioned=fig.positioned)

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(render, figures))


def check_for_report(spec: Spec) -> CheckedSpec:
    """The spec's result, as ``check_spec`` gives it, and its explored graph when one can be drawn.

    The graph is kept from the same exploration that gives the verdict. A spec with
    symmetry reduction gets no graph: its explored states are orbit representatives,
    and an edge may lead to a renamed copy of its target, which a per-process
    picture would misread.
    """
    if spec.symmetry:
        return CheckedSpec(spec, check_spec(spec), None,
                           "symmetry reduction merges states, so its explored graph is not the system's")
    options = Options(bounds=spec.bounds, check_deadlock=spec.deadlock, record_graph=True)
    # The same result check_spec(spec, options) builds, but keeping the exploration.
    result = Result(spec.name, repr(spec.model), ERROR, expected=spec.expect,
                    faults=spec.describe_faults(), bounds=options.bounds.describe(), covers=spec.covers,
                    fault_budgets=fault_budgets(spec.faults), bound_limits=bound_limits(options.bounds))
    try:
        system = spec.system()
        result.properties = [p.name for p in system.properties]
        result.assumes(system.fairness())
        recording = RecordingSystem(system)
        exploration = check_system(recording, options, result)  # type: ignore[arg-type]
    except ModelError:
        return CheckedSpec(spec, check_spec(spec), None, "the spec could not be checked")
    if not exploration.complete:
        return CheckedSpec(spec, result, None,
                           f"the exploration is incomplete ({exploration.incomplete_reason})")
    return CheckedSpec(spec, result, explored_graph(system, exploration, recording.steps))


def differences(report: Report, folder: Path) -> list[str]:
    """What differs between the report and the folder: missing, changed and stale files."""
    lines = []
    for rel, text in report.files.items():
        path = folder / rel
        if not path.exists():
            lines.append(f"missing  {rel}")
        elif path.read_bytes() != text.encode():
            lines.append(f"changed  {rel}")
    lines += [f"stale    {rel}" for rel in _stale(report, folder)]
    return lines


def write_report(report: Report, folder: Path) -> list[str]:
    """Write every file that changed (atomically) and remove stale diagrams; returns what was removed."""
    for rel, text in report.files.items():
        path = folder / rel
        if not path.exists() or path.read_bytes() != text.encode():
            write_atomically(path, text)
    removed = _stale(report, folder)
    for rel in removed:
        (folder / rel).unlink()
    return removed


def _stale(report: Report, folder: Path) -> list[str]:
    """Diagram files in the lifecycles' own folders that the report does not write."""
    stale = []
    for life in report.lifecycles:
        sub = folder / life.key
        if not sub.is_dir():
            continue
        for path in sorted(sub.iterdir()):
            rel = f"{life.key}/{path.name}"
            if path.suffix in DIAGRAM_SUFFIXES and rel not in report.files:
                stale.append(rel)
    return stale
