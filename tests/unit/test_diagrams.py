"""Diagrams are pure functions of plain data: snapshot them, and check their laws, on hand-built inputs.

The inputs are written here by hand (an explored graph, a counterexample trace)
so that a change in a model never changes these snapshots: only a change in how
diagrams are drawn does.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecheck.contract import Step
from lifecheck.diagrams import dot
from lifecheck.diagrams.control import (
    BY_DECLARATION,
    BY_ENABLED,
    BY_NAME,
    BY_VOLATILE,
    MAX_FIELD_STATES,
    NOTHING_ENABLED,
    ControlStates,
    choose_rule,
)
from lifecheck.diagrams.explored import Edge, ExploredGraph, RoleInfo
from lifecheck.diagrams.roles import (
    CRASH,
    FAILED,
    POWER_LOSS,
    Transition,
    machine_dot,
    machine_legend,
    role_machine,
)
from lifecheck.diagrams.sequence import Arrow, Box, sequence_diagram
from lifecheck.diagrams.sequence_dot import sequence_dot
from lifecheck.diagrams.sequence_mermaid import escape, sequence_mermaid
from lifecheck.diagrams.state_graph import (
    FULL_LIMIT,
    QUOTIENT_LIMIT,
    CounterexamplePath,
    entry_lines,
    picture_dot,
    state_picture,
    wrap_whole,
)
from lifecheck.replay import Elided
from lifecheck.result import Change, Trace, TraceStep, Violation
from lifecheck.values import FrozenMap
from tests.snapshot import assert_snapshot

BROKER = RoleInfo("fleet", "Broker", ("broker1",), (("phase", "volatile"), ("files", "durable")))
WATCHER = RoleInfo("watchers", "Watcher", ("watcher1", "watcher2"), (("seen", "volatile"),))


def _state(phase: str, files: int, w1: int = 0, w2: int = 0) -> dict:
    return {"disk.files": files, "broker1.phase": phase, "broker1.files": files,
            "watcher1.seen": w1, "watcher2.seen": w2}


def _graph() -> ExploredGraph:
    """A broker that boots, writes (a disk call can fail), crashes, loses power; two watchers."""
    states = [_state("boot", 0), _state("write", 0), _state("write", 1), _state("done", 1),
              _state("done", 1, w1=1), _state("boot", 1), _state("done", 1, w1=1, w2=1)]
    edges = [
        Edge(0, 0, 1, Step("broker1", "boot")),
        Edge(1, 0, 2, Step("broker1", "write", (("file", 0),))),
        Edge(1, 1, 1, Step("broker1", "write", (("file", 0),), fault="disk")),
        Edge(1, 2, 0, Step("broker1", "crash", fault="crash")),
        Edge(2, 0, 3, Step("broker1", "finish")),
        Edge(2, 1, 5, Step(None, "power_loss", fault="power_loss")),
        Edge(3, 0, 4, Step("watcher1", "look")),
        Edge(3, 1, 5, Step("broker1", "crash", fault="crash")),
        Edge(4, 0, 6, Step("watcher2", "look")),
        Edge(5, 0, 3, Step("broker1", "recover")),
    ]
    return ExploredGraph(states, edges, {0: 0}, [BROKER, WATCHER], ["disk"],
                         ["boot", "write", "finish", "recover", "look", "crash", "power_loss"])


def _controls(graph: ExploredGraph | None = None) -> ControlStates:
    graph = graph or _graph()
    return ControlStates(graph, {r.name: choose_rule(r, [graph]) for r in graph.roles})


# -- control states ---------------------------------------------------------------------

def test_a_field_named_phase_is_the_control_state():
    rule = choose_rule(BROKER, [_graph()])
    assert (rule.how, rule.fields) == (BY_NAME, ("phase",))


def test_a_declared_control_wins_over_a_phase():
    declared = RoleInfo("fleet", "Broker", ("broker1",), BROKER.fields, control=("files",))
    rule = choose_rule(declared, [_graph()])
    assert (rule.how, rule.fields) == (BY_DECLARATION, ("files",))


def test_a_declared_control_naming_no_field_is_ignored():
    declared = RoleInfo("fleet", "Broker", ("broker1",), BROKER.fields, control=("nope",))
    assert choose_rule(declared, [_graph()]).how == BY_NAME


def test_few_volatile_values_are_the_control_state():
    rule = choose_rule(WATCHER, [_graph()])
    assert (rule.how, rule.fields) == (BY_VOLATILE, ("seen",))
    assert _controls().of("watcher1", 4) == "seen=1"


def test_many_volatile_values_fall_back_to_the_enabled_actions():
    counter = RoleInfo("counters", "Counter", ("counter1",), (("n", "volatile"),))
    n = MAX_FIELD_STATES + 1
    states = [{"counter1.n": i} for i in range(n)]
    edges = [Edge(i, 0, i + 1, Step("counter1", "tick")) for i in range(n - 1)]
    graph = ExploredGraph(states, edges, {0: 0}, [counter], [], ["tick"])
    assert choose_rule(counter, [graph]).how == BY_ENABLED
    controls = ControlStates(graph, {"counters": choose_rule(counter, [graph])})
    assert controls.of("counter1", 0) == "can: tick"
    assert controls.of("counter1", n - 1) == NOTHING_ENABLED


# -- role machines ----------------------------------------------------------------------

def test_role_machine_kinds_of_edge():
    machine = role_machine(BROKER, [_controls()])
    assert machine.states == ["boot", "write", "done"]
    assert machine.initial == ["boot"]
    kinds = {(t.source, t.target, t.kind, t.label) for t in machine.transitions}
    assert ("write", "write", FAILED, "write !! disk") in kinds
    assert ("write", "boot", CRASH, "crash") in kinds
    assert ("write", "boot", POWER_LOSS, "power loss") in kinds
    assert ("boot", "done", "action", "recover") in kinds


def test_another_process_changing_a_watcher_is_drawn_apart():
    machine = role_machine(WATCHER, [_controls()])
    # The watchers only change themselves here; a broker step that changes no watcher
    # is not an edge of theirs.
    assert {t.kind for t in machine.transitions} == {"action"}
    assert machine.states == ["seen=0", "seen=1"]


def test_a_crash_from_every_state_is_one_note_not_an_edge_per_state():
    machine = role_machine(BROKER, [_controls()])
    text = machine_dot(machine)
    # crash: from write and from done, i.e. from every state but boot, where it leads.
    assert text.count("shape=note") == 1
    assert "from any state:\\ncrash → boot" in text
    crash_edges = [line for line in text.splitlines() if "->" in line and "label=crash" in line]
    assert crash_edges == []
    # The power loss comes from write alone: an edge of its own, not a note.
    assert re.search(r's1 -> s0 \[label="power loss"', text)
    assert "a red note" in machine_legend(machine)


def test_a_fault_from_some_states_only_stays_an_edge_per_state():
    graph = _graph()
    graph.edges[7] = Edge(3, 1, 3, Step("watcher1", "look"))  # no crash from done any more
    text = machine_dot(role_machine(BROKER, [_controls(graph)]))
    assert "shape=note" not in text
    assert re.search(r's1 -> s0 \[label="crash / power loss"', text)


def test_role_machine_dot_snapshot():
    assert_snapshot("diagram_role_machine.dot", machine_dot(role_machine(BROKER, [_controls()])))


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.sampled_from(["a", "b", "crash"])),
                min_size=1, max_size=25))
def test_every_own_step_is_a_transition_of_the_machine(triples):
    """Law: each explored step of the process is an edge between its control states, and
    every edge of the machine comes from some explored step."""
    states = [{"p1.phase": f"s{i}"} for i in range(6)]
    edges = [Edge(src, k, dst, Step("p1", act, fault="crash" if act == "crash" else False))
             for k, (src, dst, act) in enumerate(triples)]
    role = RoleInfo("ps", "P", ("p1",), (("phase", "volatile"),))
    graph = ExploredGraph(states, edges, {0: 0}, [role], [], ["a", "b"])
    machine = role_machine(role, [ControlStates(graph, {"ps": choose_rule(role, [graph])})])
    expected = set()
    for src, dst, act in triples:
        if act == "crash":
            if src != dst:
                expected.add(Transition(f"s{src}", f"s{dst}", CRASH, "crash"))
        else:
            expected.add(Transition(f"s{src}", f"s{dst}", "action", act))
    assert set(machine.transitions) == expected
    assert len(machine.transitions) == len(expected)  # deduplicated


# -- state graphs -----------------------------------------------------------------------

def test_full_state_graph_highlights_the_counterexample():
    path = CounterexamplePath("Bad", (0, 0, 0, 1), None)  # boot, write, power loss
    pic = state_picture(_controls(), [path])
    assert pic.kind == "full" and len(pic.nodes) == 7 and len(pic.edges) == 10
    hot = [(a, b) for a, b, _, _, h in pic.edges if h]
    assert hot == [("s0", "s1"), ("s1", "s2"), ("s2", "s5")]
    marks = {node: m for node, _, m in pic.nodes}
    assert "end" in marks["s5"] and "initial" in marks["s0"]
    assert_snapshot("diagram_state_graph_full.dot", picture_dot(pic, "demo/full"))


def test_full_state_graph_nodes_say_what_sets_them_apart():
    pic = state_picture(_controls(), [])
    labels = {node: lines for node, lines, _ in pic.nodes}
    assert len({tuple(lines) for lines in labels.values()}) == len(labels)  # no two alike
    # done with 1 file: three states the control states cannot tell apart; the watchers can.
    assert labels["s3"] == ["broker1: done", "Watcher: seen=0, seen=0"]  # the varying roles' controls
    # boot with no file and boot with one: the same control states, told apart by files.
    assert labels["s0"] == ["broker1: boot", "Watcher: seen=0, seen=0", "disk.files=0",
                            "broker1.files=0"]
    assert labels["s5"][2:] == ["disk.files=1", "broker1.files=1"]
    assert not any(line.startswith("#") for lines in labels.values() for line in lines)


def test_differing_entries_name_map_entries_and_keep_values_whole():
    long = "x" * 80
    states = [{"fs.tree": FrozenMap({"/a": 1, "/b": long}), "n": 1},
              {"fs.tree": FrozenMap({"/a": 1}), "n": 1},
              {"fs.tree": FrozenMap({"/a": 1, "/b": long}), "n": True}]
    assert [entry_lines(states, i) for i in range(3)] == [
        [f"fs.tree['/b']={long!r}", "n=1"],
        ["fs.tree['/b'] (absent)", "n=1"],
        [f"fs.tree['/b']={long!r}", "n=True"],  # 1 and True are different values
    ]


@given(st.text(alphabet="ab =,'[]()x", max_size=200), st.integers(12, 60))
def test_a_wrapped_node_line_keeps_every_character_and_fits(text, width):
    lines = wrap_whole(text, width)
    assert "".join("".join(lines).split()) == "".join(text.split())
    assert all(len(line) <= width for line in lines)


def test_quotient_state_graph_by_control_states():
    graph = _graph()
    graph.states.extend([_state("done", 2)] * FULL_LIMIT)  # many states, few control states
    pic = state_picture(_controls(graph), [CounterexamplePath("Bad", (0, 0, 1, 0), None)])
    assert pic.kind == "quotient"
    labels = [lines for _, lines, _ in pic.nodes]
    assert ["broker1: done", "Watcher: seen=0, seen=1"] in labels  # counted, not listed in order
    assert ["broker1: done", "Watcher: seen=1, seen=0"] not in labels
    assert ["broker1: done", "Watcher: seen=0 ×2"] in labels
    # A crash off the counterexample is left out; steps within a class too.
    assert all(kind != "crash" for _, _, kind, _, hot in pic.edges if not hot)
    assert all(a != b or hot for a, b, _, _, hot in pic.edges)
    assert_snapshot("diagram_state_graph_quotient.dot", picture_dot(pic, "demo/quotient"))


def test_a_quotient_too_large_is_not_drawn_and_says_why():
    n = QUOTIENT_LIMIT + FULL_LIMIT
    role = RoleInfo("ps", "P", ("p1",), (("phase", "volatile"),))
    graph = ExploredGraph([{"p1.phase": f"s{i}"} for i in range(n)],
                          [Edge(i, 0, i + 1, Step("p1", "go")) for i in range(n - 1)],
                          {0: 0}, [role], [], ["go"])
    pic = state_picture(ControlStates(graph, {"ps": choose_rule(role, [graph])}), [])
    assert not pic.nodes and "not drawn" in pic.note


def test_a_spec_projection_chooses_the_classes():
    pic = state_picture(_controls(), [], projection=lambda s: f"files={s['disk.files']}")
    assert sorted(lines[0] for _, lines, _ in pic.nodes) == ["files=0", "files=1"]


# -- sequence diagrams ------------------------------------------------------------------

def _violation(loop_start: int | None = None) -> Violation:
    absent = Elided("(absent)")
    steps = [
        TraceStep(1, "broker1", "lock", "lock", changes=[
            Change("fs.locks['/l']", absent, "broker1"), Change("broker1.phase", "boot", "locked")]),
        TraceStep(2, None, "tick", "tick", changes=[Change("clock", 0, 1)]),
        TraceStep(3, "broker1", "crash", "crash", fault="crash", changes=[
            Change("broker1.phase", "locked", "boot"), Change("fs.locks['/l']", "broker1", absent)]),
        TraceStep(4, "broker1", "upload", "upload -> remote fails", fault="remote",
                  choices=("remote fails",)),
        TraceStep(5, "broker1", "boot", "boot", changes=[Change("broker1.phase", "boot", "load")]),
        TraceStep(6, None, "power_loss", "power_loss", fault="power_loss", changes=[
            Change("broker1.phase", "load", "boot"), Change("fs.data['/t/f1']", "data1", absent)]),
        TraceStep(7, "broker1", "load", "load", failure="AssertionError: file f1 is empty"),
    ]
    trace = Trace({"broker1.phase": "boot"}, steps, [0, 0, 0, 1, 2, 0, 3, 0], loop_start=loop_start)
    return Violation("NoPartialLoad", "always", "NoPartialLoad does not hold", trace,
                     observed=[("broker1.phase", "boot")])


def test_sequence_lanes_and_rows():
    d = sequence_diagram(_violation(), ["broker1", "broker2"], ["fs", "remote"])
    assert [(lane.name, lane.kind) for lane in d.lanes] == [
        ("env", "env"), ("broker1", "process"), ("broker2", "process"), ("fs", "component"),
        ("clock", "field")]  # remote is never touched: no lane
    first = d.rows[0].items
    assert isinstance(first[0], Arrow) and (first[0].source, first[0].target) == ("broker1", "fs")
    assert first[0].lines[0] == "1 lock"
    assert isinstance(first[1], Box) and first[1].lines == ("phase: 'boot' → 'locked'",)
    crash = d.rows[2].items
    assert crash[0].style == "crash" and crash[0].lines[0] == "✗ 3 broker1 crashes"
    assert "forgets phase='locked'" in crash[0].lines
    assert d.rows[3].items[0].style == "failed"
    assert d.rows[5].items[0].style == "power loss" and d.rows[5].items[0].lanes == ("broker1", "clock")
    assert d.rows[6].items[0].style == "raised"
    assert d.rows[-1].items[0].style == "verdict"


def test_sequence_mermaid_snapshot():
    d = sequence_diagram(_violation(), ["broker1"], ["fs"])
    assert_snapshot("diagram_sequence.mmd", sequence_mermaid(d))


def test_sequence_mermaid_lasso_snapshot():
    d = sequence_diagram(_violation(loop_start=4), ["broker1"], ["fs"])
    text = sequence_mermaid(d)
    assert "    loop steps 5-7 repeat forever" in text
    assert_snapshot("diagram_sequence_lasso.mmd", text)


def test_sequence_dot_snapshot():
    d = sequence_diagram(_violation(loop_start=4), ["broker1"], ["fs"])
    assert_snapshot("diagram_sequence.dot", sequence_dot(d))


def test_a_stutter_with_no_steps_still_draws():
    trace = Trace({"p.x": 0}, [], [0], loop_start=0, stutter=True)
    d = sequence_diagram(Violation("Done", "liveness", "Done never holds", trace), [], [])
    assert [lane.name for lane in d.lanes] == ["env"]
    assert [row.items[0].style for row in d.rows] == ["stutter", "verdict"]
    assert "sequenceDiagram" in sequence_mermaid(d) and "digraph" in sequence_dot(d)


def test_a_violation_without_a_trace_has_no_sequence():
    with pytest.raises(ValueError, match="no counterexample trace"):
        sequence_diagram(Violation("Reachable", "sometimes", "never reached"), ["p1"], [])


_MERMAID_ENTITY = re.compile(r"#(\d+|lt|gt);")


def _unescape(text: str) -> str:
    return _MERMAID_ENTITY.sub(lambda m: {"lt": "<", "gt": ">"}.get(m.group(1)) or chr(int(m.group(1))),
                               text)


@given(st.text())
def test_mermaid_escape_round_trips_and_leaves_no_statement_breakers(text):
    escaped = escape(text)
    assert _unescape(escaped) == text
    bare = _MERMAID_ENTITY.sub("", escaped)
    assert not set(bare) & {";", "<", ">", "#"}


LANES = ["p1", "p2", "disk", "net"]


@st.composite
def traces(draw):
    steps = []
    for i in range(1, draw(st.integers(1, 6)) + 1):
        actor = draw(st.sampled_from(["p1", "p2", None]))
        fields = draw(st.lists(st.sampled_from(["p1.x", "p2.y", "disk.files['a']", "net.q", "total"]),
                               unique=True, max_size=5))
        crash = actor is not None and draw(st.booleans())
        steps.append(TraceStep(i, actor, "crash" if crash else "act", "crash" if crash else "act",
                               fault="crash" if crash else "",
                               changes=[Change(f, 0, 1) for f in fields]))
    return Trace({}, steps, [0] * (len(steps) + 1))


@given(traces())
def test_every_change_reaches_the_lane_it_belongs_to(trace):
    """Law: a step's row touches exactly the lanes whose fields it changed, plus the actor's."""
    d = sequence_diagram(Violation("P", "always", "P does not hold", trace), ["p1", "p2"], ["disk", "net"])
    assert len(d.rows) == len(trace.steps) + 1
    owner = {"p1.x": "p1", "p2.y": "p2", "disk.files['a']": "disk", "net.q": "net", "total": "total"}
    for step, row in zip(trace.steps, d.rows, strict=False):
        touched = set()
        for item in row.items:
            touched |= {item.source, item.target} if isinstance(item, Arrow) else set(item.lanes)
        actor = step.process or "env"
        if step.process is None or not step.changes:
            assert actor in touched or not step.changes
        wanted = {owner[c.field] for c in step.changes}
        assert wanted - {actor} <= touched
        for item in row.items:
            if isinstance(item, Arrow):
                assert item.source == actor


# -- DOT helpers and SVG ----------------------------------------------------------------

def test_dot_labels_keep_backslashes_literal():
    assert dot.lines("a\\b", "c") == "a\\\\b\\nc"
    assert dot.lines("x", align="left") == "x\\l"


def test_svg_is_the_same_on_every_run_and_carries_no_version():
    source = machine_dot(role_machine(BROKER, [_controls()]))
    first, second = dot.render_svg(source), dot.render_svg(source)
    assert first == second
    assert "Generated by graphviz" not in first and first.lstrip().startswith("<?xml")


def test_positioned_svg_is_deterministic_too():
    source = sequence_dot(sequence_diagram(_violation(loop_start=4), ["broker1"], ["fs"]))
    assert dot.render_svg(source, engine="neato", positioned=True) == \
        dot.render_svg(source, engine="neato", positioned=True)


def test_bad_dot_is_a_clear_error():
    from lifecheck.errors import ModelError
    with pytest.raises(ModelError, match="graphviz could not draw"):
        dot.render_svg("digraph { a -> }")


def test_smallest_text_at_page_width():
    narrow = '<svg width="300pt" height="100pt"><text font-size="12.00">a</text></svg>'
    wide = '<svg width="1320pt" height="100pt"><text font-size="12.00">a</text></svg>'
    assert dot.smallest_text_px(narrow) == pytest.approx(16.0)
    assert dot.smallest_text_px(wide) == pytest.approx(8.0)
    assert dot.legible(narrow) and not dot.legible(wide)


@given(st.lists(st.text(alphabet="ab  -x", max_size=300), max_size=4), st.integers(10, 120))
def test_code_lines_fit_and_keep_every_character(lines, width):
    from lifecheck.diagrams.document import code_lines

    out = code_lines(lines, width)
    assert all(len(line) <= width for line in out if line.strip())
    assert "".join("".join(out).split()) == "".join("".join(lines).split())


def test_no_sequence_box_line_is_a_lane_name_before_a_bare_arrow() -> None:
    """A change broken before its arrow continues on the next line; in a power-loss box
    that line once got the lane's name too (``fs:     → (absent)``), naming no field."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "diagrams"
    dots = sorted(root.glob("*/*.dot"))
    assert dots
    for drawing in dots:
        assert not re.search(r"\\n[\w.-]+: +→", drawing.read_text()), drawing.name
