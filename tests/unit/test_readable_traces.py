"""Counterexamples read as a designer thinks: what the property read, whole; components in
their own terms (files and contents, renames, what became durable); no bookkeeping.

Each test drives a tiny file system script through the checker's own replay, so the
trace is the one ``lifecheck check`` would print, and checks the text a person reads.
The JSON trace keeps every field: that is checked too.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lifecheck import (
    Fail,
    FrozenMap,
    Model,
    PowerLoss,
    Process,
    Spec,
    action,
    always,
    check_spec,
    durable,
    parameter,
    require,
    role,
    violated,
)
from lifecheck.components import FileSystem
from lifecheck.modelling.compile import ModelSystem
from lifecheck.render.text import render_result, render_trace
from lifecheck.render.words import change, step_changes
from lifecheck.replay import diff, replay
from lifecheck.result import ABSENT, MEMBERS, Change, Trace

BIG = "x" * 200  # longer than any width a trace cuts values at


class Worker(Process):
    pc = durable(0)
    note = durable(0)


class Script(Model):
    """One worker runs a script of file system calls, one call a step."""

    script = parameter(())
    workers = role(Worker, count=1)
    fs = FileSystem(dirs=("/d",), files={"/d/old": "v0", "/d/big": BIG}, fsync_error="eio")

    @action(Worker)
    def run(self, w: Any) -> None:
        require(w.pc < len(self.script))
        method, args = self.script[w.pc]
        if method == "note":
            w.note += 1
        else:
            try:
                getattr(self.fs, method)(*args)
            except OSError:
                w.note -= 1
        w.pc += 1

    @always
    def big_is_small(self) -> bool:
        """Violated from the start: what it read is a long value."""
        return self.fs.read_or("/d/big") != BIG or self.workers[0].pc < len(self.script)


def trace_of(script: tuple, labels: list[str],
             faults: tuple = (PowerLoss(max=1), Fail(kind="eio", max=0))) -> Trace:
    """The trace through the steps whose labels start with ``labels``, one each."""
    system = ModelSystem(Script(script=script), list(faults))
    state, key = system.init_states()[0], [0]
    for label in labels:
        succs = system.successors(state)
        k = next(i for i, (s, _) in enumerate(succs) if s.label().startswith(label))
        key.append(k)
        state = succs[k][1]
    return replay(system, key)[0]


def fields(trace: Trace, n: int) -> list[str]:
    """The fields step ``n`` shows in text: those its notes do not tell."""
    step = trace.steps[n - 1]
    return [c.field for c in step.changes if c.field not in step.noted]


def test_the_property_line_shows_the_entries_it_read_whole() -> None:
    spec = Spec("t", Script(script=(("note", ()),)), violated("BigIsSmall"), faults=[],
                deadlock=False)
    result = check_spec(spec)
    (v,) = result.violations
    assert v.observed == [("fs.files['/d/big']", BIG), ("worker1.pc", 1)]
    text = render_result(result, timing=False)
    assert f"it sees fs.files['/d/big']={BIG!r}" in text
    assert "/d/old" not in text.split("it sees")[1].splitlines()[0]  # an entry it did not read


def test_a_conformance_run_is_told_the_state_fields_a_property_read_not_the_shown_ones() -> None:
    """A trace shows ``fs.files['/d/big']``; an adapter observes the state's own fields, so
    conformance asks :meth:`fields_read` (it once asked the trace's names, and refused
    every adapter that covered ``fs.*`` fields by their real names)."""
    system = ModelSystem(Script(script=(("note", ()),)), [])
    state = system.init_states()[0]
    shown = [name for name, _ in system.observe("BigIsSmall", state)]
    read = system.fields_read("BigIsSmall", state)
    assert shown == ["fs.files['/d/big']", "worker1.pc"]
    assert "worker1.pc" in read and all(name.startswith(("fs.", "worker1.")) for name in read)
    assert not any("[" in name or name == "fs.files" for name in read), read


def test_no_bookkeeping_in_the_initial_line_or_in_a_step_that_touches_no_file() -> None:
    trace = trace_of((("note", ()), ("create", ("/d/a",))), ["run", "run"])
    initial = render_trace(trace)[0]
    assert "fs.files={'/d': <dir>, '/d/big': " in initial
    for word in ("durable_tree", "synced", "pending", "fs.tree", "fs.data"):
        assert word not in initial
    assert fields(trace, 1) == ["worker1.pc", "worker1.note"]
    assert fields(trace, 2) == ["fs.files['/d/a']", "worker1.pc"]  # no journal entry
    assert "fs.pending" in trace.steps[1].state and trace.initial["fs.pending"] == ()  # JSON's


def test_a_power_loss_lists_the_operations_kept_and_lost_and_the_files_it_changed() -> None:
    trace = trace_of((("create", ("/d/a",)), ("append", ("/d/a", "data"))),
                     ["run", "run", "power_loss -> kept: create /d/a; lost: append /d/a"])
    loss = trace.steps[2]
    assert loss.label == "power_loss -> kept: create /d/a; lost: append /d/a"
    assert [change(c) for c in loss.changes] == ["fs.files['/d/a']: 'data' -> ''"]
    assert loss.notes == []  # the label says it


def test_an_fsync_says_what_became_durable() -> None:
    trace = trace_of((("create", ("/d/a",)), ("append", ("/d/a", "data")), ("fsync", ("/d/a",))),
                     ["run", "run", "run"])
    assert trace.steps[2].notes == ["fs made durable: create /d/a, append /d/a"]
    assert fields(trace, 3) == ["worker1.pc"]


def test_a_failed_fsync_says_what_it_lost() -> None:
    trace = trace_of((("write", ("/d/old", "v1")), ("fsync", ("/d/old",))),
                     ["run", "run -> fs.fsync /d/old: Input/output error"],
                     faults=(PowerLoss(max=1), Fail(kind="eio", max=1)))
    failed = trace.steps[1]
    assert failed.notes == ["fs lost, never to reach the disk: overwrite /d/old"]
    assert next(change(c) for c in failed.changes) == "fs.files['/d/old']: 'v1' -> 'v0'"


def test_a_rename_reads_as_a_rename_and_files_show_contents_not_inodes() -> None:
    trace = trace_of((("create", ("/d/a.tmp",)), ("write", ("/d/a.tmp", "new")),
                      ("rename", ("/d/a.tmp", "/d/old"))), ["run", "run", "run"])
    step = trace.steps[2]
    assert step.notes == ["fs renamed /d/a.tmp -> /d/old (over the old one)"]
    assert step_changes(step) == ["fs renamed /d/a.tmp -> /d/old (over the old one)",
                                  "fs.files['/d/old']: 'v0' -> 'new'", "worker1.pc: 2 -> 3"]
    assert step.noted == {"fs.files['/d/a.tmp']"}  # a drawing may still show it go


def test_a_directory_rename_is_one_rename_not_every_file_moving() -> None:
    trace = trace_of((("mkdir", ("/d/t",)), ("create", ("/d/t/f",)), ("rename", ("/d/t", "/d/n"))),
                     ["run", "run", "run"])
    assert trace.steps[2].notes == ["fs renamed /d/t -> /d/n"]
    assert fields(trace, 3) == ["worker1.pc"]


def test_an_empty_file_is_not_a_missing_one() -> None:
    trace = trace_of((("create", ("/d/a",)), ("unlink", ("/d/a",))), ["run", "run"])
    assert next(change(c) for c in trace.steps[0].changes) == "fs.files['/d/a']: added ''"
    assert next(change(c) for c in trace.steps[1].changes) == "fs.files['/d/a']: removed ''"


@given(st.frozensets(st.integers(0, 6)), st.frozensets(st.integers(0, 6)))
def test_a_set_diffs_as_the_members_added_and_removed(old: frozenset, new: frozenset) -> None:
    changes = diff({"p.acks": old}, {"p.acks": new})
    if old == new:
        assert changes == []
        return
    (c,) = changes
    assert (c.kind, c.before, c.after) == (MEMBERS, old, new)
    text = change(c)
    added, _, removed = text.removeprefix("p.acks: ").partition("; ")
    if not new - old:
        added, removed = "", added
    assert added == ("added " + ", ".join(map(repr, sorted(new - old))) if new - old else "")
    assert removed == ("removed " + ", ".join(map(repr, sorted(old - new))) if old - new else "")


@given(st.dictionaries(st.sampled_from("abcd"), st.integers(0, 2)),
       st.dictionaries(st.sampled_from("abcd"), st.integers(0, 2)))
def test_a_map_diffs_entry_by_entry_as_added_removed_or_changed(old: dict, new: dict) -> None:
    changes = diff({"m": FrozenMap(old)}, {"m": FrozenMap(new)})
    rebuilt = dict(old)
    for c in changes:
        key = c.field[len("m['"):-len("']")]
        assert (c.before is ABSENT) == (key not in old) and (c.after is ABSENT) == (key not in new)
        if c.after is ABSENT:
            assert change(c) == f"{c.field}: removed {old[key]!r}"
            del rebuilt[key]
        else:
            rebuilt[key] = c.after
    assert rebuilt == new


def test_a_set_in_a_change_prints_in_sorted_order_whatever_the_hash_seed() -> None:
    (c,) = diff({"s": frozenset({"b", "c"})}, {"s": frozenset({"c", "a", "b"})})
    assert (repr(c.before), repr(c.after)) == ("{'b', 'c'}", "{'a', 'b', 'c'}")
    assert change(c) == "s: added 'a'"


def test_words_for_each_kind_of_change() -> None:
    assert change(Change("s", frozenset({1, 4}), frozenset({4, 3, 2}), MEMBERS)) == \
        "s: added 2, 3; removed 1"
    assert change(Change("m['k']", ABSENT, "v")) == "m['k']: added 'v'"
    assert change(Change("x", "a" * 60, "b"), limit=10) == "x: 'aaaaaa... -> 'b'"


class Reader(Process):
    pass


class Table(Model):
    """A property that reads some keys of a map field, then compares a second map whole."""

    keys = parameter(())
    table = parameter(FrozenMap())
    readers = role(Reader, count=1)
    m = durable(lambda model: model.table)
    other = durable(FrozenMap({"x": 1}))

    @always
    def reads_keys(self) -> bool:
        for k in self.keys:
            self.m.get(k)
        return self.other == FrozenMap() and False


@given(st.dictionaries(st.sampled_from("abcde"), st.integers(0, 3)),
       st.lists(st.sampled_from("abcdef"), max_size=6))
def test_what_a_property_read_is_each_entry_it_looked_up_then_what_it_read_whole(
        table: dict, keys: list) -> None:
    model = Table(keys=tuple(keys), table=FrozenMap(table))
    system = ModelSystem(model, [])
    seen = system.observe("ReadsKeys", system.init_states()[0])
    entries = [(f"m[{k!r}]", table.get(k, ABSENT)) for k in dict.fromkeys(keys)]
    assert seen == [*entries, ("other", FrozenMap({"x": 1}))]
