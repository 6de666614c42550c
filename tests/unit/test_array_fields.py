"""Array fields: one piece of state per element, read and written element by element."""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import (
    Crash,
    Model,
    Options,
    Process,
    Spec,
    action,
    always,
    check_spec,
    durable,
    holds,
    parameter,
    require,
    role,
    volatile,
)
from lifecheck.errors import ModelError
from lifecheck.modelling.footprint import Learner


class Slotted(Process):
    acks = volatile(0, count=2)
    log = durable("", count=lambda m: m.width)


class Slots(Model):
    width = parameter(2)
    nodes = role(Slotted, count=2)
    flags = durable(False, count="width")

    @action(Slotted, i=range(2))
    def raise_flag(self, p, i):
        require(not self.flags[i])
        self.flags[i] = True
        p.acks[i] = p.acks[i] + 1

    @action(Slotted)
    def write_log(self, p):
        require(p.log == ("", "") and all(self.flags))
        p.log = ("a", "b")

    @always
    def acks_bounded(self):
        return all(n <= 1 for p in self.nodes for n in p.acks)


def _system(**kw: Any) -> Any:
    return Spec("slots", Slots(**kw), holds(), faults=[Crash(max=1)], deadlock=False).system()


def test_each_element_is_a_named_piece_of_state() -> None:
    system = _system()
    described = system.describe(system.init_states()[0])
    assert described == {"flags[0]": False, "flags[1]": False,
                          "slotted1.acks[0]": 0, "slotted1.acks[1]": 0,
                          "slotted1.log[0]": "", "slotted1.log[1]": "",
                          "slotted2.acks[0]": 0, "slotted2.acks[1]": 0,
                          "slotted2.log[0]": "", "slotted2.log[1]": ""}
    assert len(_system(width=3).describe(_system(width=3).init_states()[0])) == 3 + 2 * (2 + 3)


def test_elements_are_set_one_at_a_time_and_volatile_ones_reset_on_crash() -> None:
    system = _system()
    state = system.init_states()[0]
    (_step, after), *_ = [(s, o) for s, o in system.successors(state) if s.action == "raise_flag"]
    changed = {k: v for k, v in system.describe(after).items() if system.describe(state)[k] != v}
    assert changed == {"flags[0]": True, "slotted1.acks[0]": 1}
    crashed = [o for s, o in system.successors(after) if s.action == "crash"
               and s.process == "slotted1"]
    assert system.describe(crashed[0])["slotted1.acks[0]"] == 0  # volatile: reset
    assert system.describe(crashed[0])["flags[0]"] is True  # durable: kept


def test_an_array_reads_like_a_tuple() -> None:
    seen: dict[str, Any] = {}

    class Reads(Slots):
        @action
        def look(self):
            f = self.flags
            seen.update(len=len(f), tuple=tuple(f), slice=f[0:2], eq=f == (False, False),
                        contains=True in f, last=f[-1], repr=repr(f))
            require(False)

    system = Spec("r", Reads(), holds(), deadlock=False).system()
    system.successors(system.init_states()[0])
    assert seen == {"len": 2, "tuple": (False, False), "slice": (False, False), "eq": True,
                    "contains": False, "last": False, "repr": "(False, False)"}


def test_assigning_the_whole_array_sets_every_element_and_keeps_its_length() -> None:
    class Whole(Slots):
        @action
        def reset_all(self):
            require(not self.flags[0])
            self.flags = (True, True)

    class WrongLength(Slots):
        @action
        def reset_all(self):
            self.flags = (True,)

    result = check_spec(Spec("w", Whole(), holds(), deadlock=False))
    assert result.verdict == "holds", result.error
    bad = check_spec(Spec("w", WrongLength(), holds(), deadlock=False))
    assert bad.verdict == "error" and "keeps its length" in bad.error and "reset_all" in bad.error


@pytest.mark.parametrize("count", [-1, "nope", 1.5, True])
def test_a_count_that_is_not_a_whole_number_is_an_error(count: Any) -> None:
    class Bad(Model):
        things = durable(0, count=count)
        nope = parameter("x")

    with pytest.raises(ModelError, match="things"):
        Spec("b", Bad(), holds()).system()


def test_a_step_reading_one_element_depends_on_that_element_only() -> None:
    system = _system()
    learner = Learner(system)
    state = system.init_states()[0]
    first = next(k for k, (fn, args, kw, *_rest) in enumerate(system.instances)
                 if fn.__name__ == "raise_flag" and kw == {"i": 1} and args[1].name == "slotted2")
    touched, results = learner.step(first, state)
    names = {learner.column_names[c] for c in touched}
    assert names == {"flags[1]", "slotted2.acks[1]"}
    assert len(results) == 1


@pytest.mark.parametrize("crashes", [0, 1])
def test_both_explorers_agree_on_arrays(crashes: int) -> None:
    spec = Spec("slots", Slots(), holds(), faults=[Crash(max=crashes)], deadlock=False)
    bfs = check_spec(spec, Options(engine="bfs", check_deadlock=False))
    vector = check_spec(spec, Options(engine="vector", check_deadlock=False))
    assert bfs.verdict == vector.verdict
    assert (bfs.stats.distinct_states, bfs.stats.transitions, bfs.stats.depth) == \
        (vector.stats.distinct_states, vector.stats.transitions, vector.stats.depth)
    assert bfs.stats.distinct_states > 10
