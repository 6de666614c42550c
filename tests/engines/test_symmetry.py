"""Symmetry reduction: the same verdicts with and without it, on every spec, with fewer states.

For each spec with a role of two or more processes, its safety properties are
checked twice, once with the processes of those roles interchangeable, and the
verdict, the violated properties and the shortest counterexample length must be
the same. Liveness is not reduced (fairness is per process), which the checker
refuses clearly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck import (
    Crash,
    Fail,
    Model,
    Options,
    Process,
    Spec,
    action,
    always,
    check_spec,
    durable,
    holds,
    require,
    role,
)
from lifecheck.cli.symmetry import safety_twin, symmetric_roles
from lifecheck.explore.bfs import explore
from lifecheck.modelling.compile import ModelSystem
from lifecheck.modelling.spec import load_specs
from lifecheck.modelling.symmetry import order_key
from lifecheck.models.extraction import AtomicRename
from lifecheck.values import FrozenMap
from tests import reference as ref

ROOT = Path(__file__).resolve().parents[2]


def _symmetric_roles(spec: Spec) -> tuple[str, ...]:
    return symmetric_roles(spec)


def _safety_twin(spec: Spec, symmetry: tuple[str, ...]) -> Spec:
    return safety_twin(spec, symmetry)


CANDIDATES = [s for s in load_specs(str(ROOT / "specs")) if _symmetric_roles(s)]


def test_there_are_specs_with_interchangeable_processes():
    assert len(CANDIDATES) >= 3


@pytest.mark.parametrize("spec", CANDIDATES, ids=[s.name for s in CANDIDATES])
def test_same_verdict_with_and_without_symmetry(spec: Spec):
    roles = _symmetric_roles(spec)
    full = check_spec(_safety_twin(spec, ()))
    reduced = check_spec(_safety_twin(spec, roles))
    assert full.verdict == reduced.verdict, (full.error, reduced.error)
    assert set(full.violated_properties) == set(reduced.violated_properties)
    for a, b in zip(full.violations, reduced.violations, strict=True):
        assert a.property == b.property and len(a.trace.steps) == len(b.trace.steps)
    assert reduced.stats.distinct_states < full.stats.distinct_states
    assert reduced.stats.depth == full.stats.depth


def test_reduced_counterexamples_replay_to_real_violations():
    """A trace from a reduced run is a real behaviour: it replays step by step."""
    from lifecheck.replay import replay

    spec = next(s for s in CANDIDATES if s.name == "extraction/in-place/2-brokers/crash")
    twin = _safety_twin(spec, _symmetric_roles(spec))
    result = check_spec(twin)
    assert result.verdict == "violated"
    system = twin.system()
    for v in result.violations:
        trace, last = replay(system, v.trace.replay)
        assert [s.label for s in trace.steps] == [s.label for s in v.trace.steps]
        prop = next(p for p in system.properties if p.name == v.property)
        assert not prop.check(last)


def test_symmetry_with_liveness_is_refused_clearly():
    spec = Spec("sym-live", AtomicRename(files=1, brokers=2), holds(), faults=[Crash(max=1)],
                symmetry=("fleet",))
    result = check_spec(spec)
    assert result.verdict == "error"
    assert "safety properties only" in result.error and "EventuallyStarts" in result.error


def test_unknown_symmetric_role_is_an_error():
    spec = Spec("sym-bad", AtomicRename(files=1, brokers=2), holds(), properties=["NoLeak"],
                symmetry=("brokers",))
    result = check_spec(spec)
    assert result.verdict == "error" and "unknown role" in result.error


def test_renaming_reaches_names_inside_strings_and_maps():
    system = ModelSystem(AtomicRename(files=1, brokers=2), [], properties=["NoLeak"],
                         symmetry=("fleet",))
    (r,) = system._renamings
    value = FrozenMap({"/tmp/plugin.tmp-broker1": "broker2", "x": ("broker1", "/b/broker2_0")})
    assert r.rename(value) == FrozenMap({"/tmp/plugin.tmp-broker2": "broker1",
                                         "x": ("broker2", "/b/broker1_0")})


@pytest.mark.parametrize(("before", "after"), [
    ("worker1_x", "worker2_x"),  # regression: "_" is a word character to a \b regex
    ("/data/worker1_0", "/data/worker2_0"),
    ("worker1", "worker2"),
    ("worker1-worker2", "worker2-worker1"),
    ("a.worker2", "a.worker1"),
    ("plain", "plain"),
])
def test_a_name_is_renamed_wherever_it_stands_as_a_segment(before: str, after: str) -> None:
    system = ModelSystem(Owners(), [], symmetry=("workers",))
    (r,) = system._renamings
    assert r.rename(before) == after
    assert r.rename((before, frozenset({before}))) == (after, frozenset({after}))


@pytest.mark.parametrize("glued", ["worker1x", "worker10", "xworker2", "/d/worker1a/b"])
def test_a_name_glued_to_letters_or_digits_is_refused_naming_the_field(glued: str) -> None:
    class Glued(Owners):
        @action(Worker)
        def tag(self, w):
            require(self.owner == "")
            self.owner = glued

    result = check_spec(Spec("glued", Glued(), holds(), symmetry=("workers",)))
    assert result.verdict == "error"
    assert "owner" in result.error and repr(glued) in result.error
    assert "glued" in result.error


class Worker(Process):
    done = durable(False)


class Owners(Model):
    """Claims a resource under a tag made from the worker's name (``worker1_x``)."""

    workers = role(Worker, count=2)
    owner = durable("")

    @action(Worker)
    def claim(self, w):
        require(self.owner == "")
        self.owner = f"{w.name}_x"

    @action(Worker)
    def finish(self, w):
        require(self.owner == f"{w.name}_x" and not w.done)
        w.done = True

    @always
    def only_the_owner_finishes(self):
        return all(not w.done or self.owner == f"{w.name}_x" for w in self.workers)


def _true_orbits(spec: Spec, role_attr: str) -> int:
    """Orbits of the reachable states under every permutation of one role's processes,
    counted by the reference's own renaming (tests/reference.py)."""
    system = spec.safety_only(symmetry=()).system()
    states: list = []
    explore(system, Options(check_liveness=False), on_state=lambda _sid, s: states.append(s))
    parts = [p.index for p in system._role_parts[role_attr]]
    names = [p.prefix[:-1] for p in system._role_parts[role_attr]]
    return ref.true_orbits(states, parts, names)


@pytest.mark.parametrize("spec", [
    Spec("owners", Owners(), holds(), symmetry=("workers",)),
    Spec("rename", AtomicRename(files=1, brokers=2), holds(), properties=["NoLeak"],
         faults=[Crash(max=1), Fail(kind="startup", max=0)], symmetry=("fleet",)),
], ids=["owners", "rename"])
def test_symmetry_keeps_one_state_per_true_orbit(spec: Spec) -> None:
    result = check_spec(spec)
    assert result.error == ""
    assert result.stats.distinct_states == _true_orbits(spec, spec.symmetry[0])


class Leader(Process):
    votes = durable(0)


class ByIndex(Model):
    """Stores a process's index: with symmetry, the index is not renamed."""

    nodes = role(Leader, count=2)
    leader = durable(-1)

    @action(Leader)
    def elect(self, p):
        require(self.leader == -1)
        self.leader = p.index

    @action(Leader)
    def vote(self, p):
        require(self.leader == p.index and p.votes == 0)
        p.votes = 1

    @always
    def only_the_leader_votes(self):
        return all(n.votes == 0 or self.leader == n.index for n in self.nodes)


def test_an_index_read_in_a_symmetric_role_is_refused() -> None:
    """Regression: with symmetry this model held; without it, it is violated."""
    assert check_spec(Spec("idx", ByIndex(), holds(), deadlock=False)).verdict == "holds"
    result = check_spec(Spec("idx", ByIndex(), holds(), deadlock=False, symmetry=("nodes",)))
    assert result.verdict == "error"
    assert "index" in result.error and "leader1" in result.error and "name" in result.error


def test_two_phase_commit_stores_indices_and_is_refused_with_symmetry() -> None:
    from lifecheck.models.classic.twophase import TwoPhaseCommit

    result = check_spec(Spec("2pc", TwoPhaseCommit(rms=3), holds(),
                             properties=["Consistent"], symmetry=("managers",)))
    assert result.verdict == "error" and "index" in result.error


class First(Owners):
    """Treats the first worker specially: positional, so not symmetric."""

    @action(Worker)
    def claim(self, w):
        require(self.owner == "" and w is not self.workers[0])
        self.owner = f"{w.name}_x"


def test_a_model_that_is_not_symmetric_is_caught_by_the_sampled_check() -> None:
    result = check_spec(Spec("first", First(), holds(), symmetry=("workers",)))
    assert result.verdict == "error"
    assert "symmetry" in result.error and "worker1" in result.error
    assert "claim" in result.error


class Watcher(Owners):
    @always
    def second_never_owns(self):
        return self.owner != "worker2_x"


def test_a_property_that_tells_processes_apart_is_caught() -> None:
    result = check_spec(Spec("watch", Watcher(), holds(), deadlock=False, symmetry=("workers",)))
    assert result.verdict == "error"
    assert "SecondNeverOwns" in result.error and "symmetry" in result.error


def test_order_key_is_total_and_consistent_with_equality():
    values = [None, True, 0, 1.5, "a", b"a", (1, "a"), frozenset({2, 1}), FrozenMap({"k": 1}),
              frozenset({1, 2})]
    keys = [order_key(v) for v in values]
    assert sorted(keys) is not None  # comparable across kinds
    assert order_key(frozenset({1, 2})) == order_key(frozenset({2, 1}))


_NAMES = ("w1", "w2", "w3", "w4")
_PLAIN = st.one_of(st.sampled_from([0, 1, False, True, 0.0, -0.0, 1.0, None, "idle", "done", ""]),
                   st.integers(-2, 3))
_MENTION = st.sampled_from([*_NAMES, "lock-w2", "/data/w3_0"])


def _part(names: bool) -> st.SearchStrategy[Any]:
    leaf = st.one_of(_PLAIN, _MENTION) if names else _PLAIN
    return st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(inner, inner), st.frozensets(inner, max_size=3)), max_leaves=4)


@settings(max_examples=300, deadline=None)
@given(st.data(), st.sampled_from([((1, 2, 3, 4),), ((1, 3), (2, 4)), ((4, 2, 1),)]),
       st.booleans())
def test_the_sorted_representative_is_the_least_of_all_renamings(data: Any, shape: Any,
                                                                  names: bool) -> None:
    """A state that names no process is canonicalised by sorting each group's parts into
    its slots: the same representative, types included, as trying every renaming."""
    from lifecheck.modelling.symmetry import Reducer, generators, renamings
    from lifecheck.typed_values import typed_key

    taken = iter(_NAMES)
    groups = [(list(slots), [next(taken) for _ in slots]) for slots in shape]
    swaps = generators(groups)

    def renames(value: Any) -> bool:
        return any(typed_key(swap.rename(value)) != typed_key(value) for swap in swaps)

    state = tuple(data.draw(_part(names)) for _ in range(5))
    everything = renamings(groups)
    fast = Reducer(everything, [slots for slots, _ in groups], renames).canonical(state)
    assert typed_key(fast) == typed_key(Reducer(everything).canonical(state))
