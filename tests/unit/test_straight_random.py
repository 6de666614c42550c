"""The translation law on models whose source Hypothesis writes.

The spec law (``test_straight.py``) covers the shapes the shipped specs happen to use;
here the actions are drawn from the statements the translation handles (fields of the
model, an array, a role's processes, a component with a helper that chooses and fails a
call; ``require``, ``if``/``else``, ``for`` over the role, ``return`` before and after
the first write, ``choose``, ``fault``, ``assert``, a division that may fail, augmented
and chained assignments, a process picked by index, generators read after a write) and
written to a module file, so that the translation reads real source. On every state
the bfs explorer reaches, translated and as-written code must give the same steps, in
the same order, to the same states (types included), the same failures, and the same
property values.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecheck import Bounds, Crash, Fail, Spec, holds
from tests.unit.test_straight import assert_same_successors, reachable

HEADER = '''
from lifecheck import (Component, Model, Process, action, always, choose, durable, fault,
                       require, role, volatile)


class Counter(Component):
    level = durable(0)

    def bump(self, by):
        if fault("call"):
            return False
        self.level = (self.level + by) % 3
        return True

    def pick(self):
        return choose(0, 1)


class Node(Process):
    f = durable(0)
    g = volatile(False)


class Random(Model):
    nodes = role(Node, count=2)
    a = durable(0)
    b = durable(False)
    arr = durable(0, count=2)
    counter = Counter()

    def twice(self, p):
        return (p.f * 2) % 3

    @always
    def small(self):
        return self.a < 3 and all(q.f < 3 for q in self.nodes)
'''

SMALL = st.integers(0, 2)


@st.composite
def expressions(draw: Any, depth: int = 0) -> str:
    # (the first is what Hypothesis simplifies towards: a value that moves the state on)
    leaves = ["self.a + 1", "p.f", "self.a", "self.arr[0]", "self.arr[p.index]",
              "sum(self.arr)", "len(self.nodes)", "self.counter.level", "self.twice(p)",
              "int(self.b)", "int(p.g)", str(draw(SMALL))]
    if depth >= 2 or draw(st.booleans()):
        return draw(st.sampled_from(leaves))
    left = draw(expressions(depth + 1))
    right = draw(expressions(depth + 1))
    op = draw(st.sampled_from(["+", "-", "*"]))
    return f"(({left}) {op} ({right})) % 3"


@st.composite
def conditions(draw: Any) -> str:
    kind = draw(st.sampled_from(["cmp", "cmp", "any", "bool", "not"]))
    if kind == "any":
        return f"any(q.f == {draw(SMALL)} for q in self.nodes)"
    if kind == "bool":
        return draw(st.sampled_from(["self.b", "p.g", "not self.b"]))
    if kind == "not":
        return f"not ({draw(expressions())} == {draw(SMALL)})"
    op = draw(st.sampled_from(["<", "==", "!=", ">="]))
    return f"{draw(expressions())} {op} {draw(SMALL)}"


@st.composite
def statements(draw: Any, depth: int = 0) -> list[str]:
    kinds = ["set", "set", "set", "aug", "aug", "array", "array", "flag", "flag", "other",
             "chained", "call", "call", "choose", "choose", "fault", "lazy", "local",
             # (rarer: a step they disable or fail leaves nothing to explore)
             *draw(st.sampled_from([[], [], ["require"], ["assert"], ["divide"]]))]
    if depth < 2:
        kinds += ["if", "for"]
    kind = draw(st.sampled_from(kinds))
    e = draw(expressions())
    if kind == "set":  # (mostly a step forward: every field starts at 0)
        return [f"{draw(st.sampled_from(['self.a', 'p.f']))} = ({e} + {draw(st.integers(0, 2))}) % 3"]
    if kind == "aug":
        return [f"{draw(st.sampled_from(['self.a', 'p.f', 'self.arr[1]']))} += {draw(SMALL)}",
                "self.a %= 3", "p.f %= 3", "self.arr[1] %= 3"]
    if kind == "array":
        index = draw(st.sampled_from(['0', '1', 'p.index', '-1']))
        return [f"self.arr[{index}] = ({e} + 1) % 3"]
    if kind == "flag":
        flag = draw(st.sampled_from(["self.b", "p.g"]))
        return [f"{flag} = {draw(st.sampled_from([f'not {flag}', draw(conditions())]))}"]
    if kind == "require":
        return [f"require({draw(conditions())})"]
    if kind == "other":
        return ["other = self.nodes[(p.index + 1) % len(self.nodes)]", f"other.f = {e}"]
    if kind == "chained":  # (the same field twice: the last one written stays)
        first, second = (draw(st.sampled_from(["self.a", "p.f", "self.arr[0]"])) for _ in "ab")
        return [f"{first}, {second} = {e}, ({draw(expressions())} + 1) % 3"]
    if kind == "call":
        return [f"ok = self.counter.bump({e})", "if not ok:", "    p.g = True"]
    if kind == "choose":
        return [f"c = choose({draw(SMALL)}, {draw(SMALL)} + 1)", "self.a = c % 3"]
    if kind == "fault":
        return ["if fault('call'):", "    return"]
    if kind == "assert":
        return [f"assert {draw(conditions())}, 'broken'"]
    if kind == "divide":  # fails (ZeroDivisionError) on some states only
        return [f"self.a = (6 // (1 + ({e}) % 2 - {draw(st.integers(0, 1))})) % 3"]
    if kind == "lazy":
        return [f"later = (q.f for q in self.nodes if q.f != {draw(SMALL)})",
                f"p.f = {e}", "self.a = sum(later) % 3"]
    if kind == "local":
        return [f"x = {e}", "self.a = (x + self.counter.pick()) % 3"]
    if kind == "if":
        body = draw(blocks(depth + 1))
        orelse = draw(blocks(depth + 1)) if draw(st.booleans()) else []
        out = [f"if {draw(conditions())}:", *("    " + s for s in body)]
        if orelse:
            out += ["else:", *("    " + s for s in orelse)]
        return out
    body = draw(blocks(depth + 1))
    return ["for q in self.nodes:", "    if q.f == p.f:", "        q.g = not q.g",
            *("    " + s for s in body)]


@st.composite
def blocks(draw: Any, depth: int = 0) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        out += draw(statements(depth))
    if draw(st.integers(0, 7)) == 0:
        out.append("return")
    return out


@st.composite
def sources(draw: Any) -> str:
    actions = []
    for i in range(draw(st.integers(1, 3))):
        body = [f"require(p.f != {draw(SMALL)} or self.a == {draw(SMALL)})", *draw(blocks())]
        actions.append(f"@action(Node)\ndef act{i}(self, p):\n"
                       + textwrap.indent("\n".join(body), "    "))
    return HEADER + "\n" + textwrap.indent("\n\n".join(actions), "    ") + "\n"


_COUNTER = itertools.count()


def load(source: str, folder: Path) -> Any:
    name = f"straight_random_{next(_COUNTER)}"
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


SOAK = os.environ.get("HYPOTHESIS_PROFILE") == "soak"
EXAMPLES = int(os.environ.get("LIFECHECK_SOAK_EXAMPLES", "3000")) if SOAK else 40


@settings(max_examples=EXAMPLES, deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(source=sources())
def test_written_source_steps_alike_translated(source: str, tmp_path: Path) -> None:
    module = load(source, tmp_path)
    spec = Spec("random", module.Random(), holds(), faults=[Crash(max=1), Fail(kind="call", max=1)],
                bounds=Bounds(max_states=300))
    system = spec.system()
    steps = system.straight_steps()
    assert steps.translated(), (steps.why_not, source)
    assert_same_successors(system, reachable(spec, 300))
