"""Every engine and option agrees with the reference explorer on random models.

The plain bfs explorer (exact states, one process) is the reference. Random models,
written with the modelling API, exercise what once broke: process names inside
strings and paths (``worker1_x``, ``/data/worker1_0``), values that compare equal
across types (``0``, ``False``, ``0.0``, ``None``), frozensets of small ints,
array fields, a component with crash and power-loss hooks that choose, every
fault kind (crash, power loss, failed call, a remote write that times out after
taking effect), transition properties and bounds, and
several initial states (``one_of`` fields, per process and volatile ones too, so a
restart chooses again; values of different types that compare equal among them; an
``@initial`` hook that chooses or filters).
Each is checked by every engine and option, which must give:

* the vector, auto, fingerprint, two-worker and checkpoint-and-resume (bfs, vector
  and a team of two workers) runs: the
  same verdict, the same violations with the very same counterexamples (state
  bounds included), and the same distinct states, transitions and depth (and,
  where the engine can show them, the same reachable states, types included);
* exact runs of the vector and auto engines, also with their seen-set keys cut to two
  bits, so that most states collide and every collision must be told apart by its
  row (a fingerprinted run then loses states; an exact one may not);
* symmetry reduction (on a role of two or three processes, with no state bound):
  the same verdict and counterexample lengths, and one state per true orbit,
  counted here with a renaming written independently of the checker's;
* the vector engine under symmetry reduction (bounds and constraints included, and
  a vector checkpoint resumed): everything the bfs explorer gives under symmetry,
  down to the member of each orbit kept under each id.

``HYPOTHESIS_PROFILE=soak`` runs far more examples (``LIFECHECK_SOAK_EXAMPLES``,
default 3000) for a long run outside CI.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lifecheck import (
    Bounds,
    Component,
    Crash,
    Fail,
    FrozenMap,
    Model,
    Options,
    Pause,
    PowerLoss,
    Process,
    Spec,
    Stop,
    Strong,
    Weak,
    action,
    always,
    choose,
    durable,
    eventually,
    fault,
    holds,
    initial,
    leads_to,
    one_of,
    paused,
    require,
    role,
    stopped,
    transition,
    volatile,
)
from lifecheck.components import RemoteStore
from lifecheck.explore.bfs import _Run, explore
from lifecheck.explore.checkpoint import save_checkpoint
from lifecheck.explore.verdict import check_spec
from lifecheck.result import Result
from tests import reference as ref
from tests.engines.colliding import colliding_keys

SOAK = os.environ.get("HYPOTHESIS_PROFILE") == "soak"
EXAMPLES = int(os.environ.get("LIFECHECK_SOAK_EXAMPLES", "3000")) if SOAK else 60
LARGEST = 20_000 if SOAK else 2_000  # states: a larger model is set aside (CI time)
HARNESS = settings(max_examples=EXAMPLES, deadline=None, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])

PHASES = ("a", "b", "c")
# Values that Python calls equal across types: a field may hold several of them.
TYPED = (0, False, 0.0, None, 1, True, 1.0, -0.0)
# What a model may store about a process: its name alone, or inside a string.
TEMPLATES = ("{name}", "{name}_x", "/data/{name}_0", "lock-{name}", "plain")


# -- the description of a random model --------------------------------------------------

@dataclass(frozen=True)
class Effect:
    kind: str  # "phase", "typed", "owner", "seen", "bit", "disk", "store"
    value: Any


@dataclass(frozen=True)
class ActionDesc:
    name: str
    guard_phase: str
    guard_owner_empty: bool | None  # also require owner == "" (True), != "" (False), or not
    effects: tuple[Effect, ...]
    chooses: bool  # choose between the first effect and the rest
    fails: bool  # a failed call (fault("call")) sends the process to phase "c"


@dataclass(frozen=True)
class ModelDesc:
    count: int
    phase_durable: bool
    typed_initial: Any
    actions: tuple[ActionDesc, ...]
    invariant: str
    transition: str
    crashes: int
    power_losses: int
    failures: int
    depth_bound: int | None
    state_bound: int | None
    with_disk: bool
    phase_initial: tuple[str, ...] = ("a",)  # more than one: a one_of field
    typed_initials: tuple[Any, ...] = ()  # with typed_initial first, a one_of domain
    start_hook: str = ""  # "", "owner" (chooses the owner) or "filter" (require()s)
    timeouts: int = 0  # remote writes that time out after taking effect (with a store)
    constraint: str = ""  # a state constraint of _CONSTRAINTS, or none
    action_constraint: str = ""  # an action constraint of _ACTION_CONSTRAINTS, or none
    stops: int = 0  # Stop(max=...): crash-stop
    pauses: int = 0  # Pause(max=...), and its resume steps
    fault_when: str = ""  # a when= guard on every process fault (a key of _WHEN)
    liveness: str = ""  # a liveness property of _LIVENESS, or none
    fairness: str = ""  # the fairness rules of _FAIRNESS (none: every action weakly fair)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@st.composite
def effects(draw: Any) -> Effect:
    kind = draw(st.sampled_from(["phase", "phase", "typed", "owner", "seen", "bit", "disk",
                                 "store"]))
    value = {
        "phase": st.sampled_from(PHASES),
        "typed": st.sampled_from(TYPED),
        "owner": st.sampled_from(TEMPLATES),
        "seen": st.integers(0, 3),
        "bit": st.integers(0, 1),
        "disk": st.booleans(),
        "store": st.booleans(),
    }[kind]
    return Effect(kind, draw(value))


@st.composite
def model_descs(draw: Any) -> ModelDesc:
    actions = []
    for i in range(draw(st.integers(1, 4))):
        first = i == 0  # something can start: from phase "a", moving on
        actions.append(ActionDesc(
            f"act{i}", "a" if first else draw(st.sampled_from(PHASES)),
            None if first else draw(st.sampled_from([None, None, True, False])),
            ((Effect("phase", draw(st.sampled_from(PHASES[1:]))),) if first else ())
            + tuple(draw(st.lists(effects(), min_size=1, max_size=3))),
            draw(st.booleans()), draw(st.booleans())))
    invariants = ["none_in_c", "owner_not_x_while_b", "typed_not_false_in_c", "seen_small",
                  "not_two_in_b", "not_paused_in_c", "stopped_not_in_b"]
    transitions = ["seen_never_shrinks", "no_a_after_c", "owner_kept_while_b"]
    bound = draw(st.sampled_from(["none", "none", "depth", "states"]))
    several = draw(st.integers(0, 3))  # a quarter of the models start in one state
    constraint = draw(st.sampled_from(["", "", "", *_CONSTRAINTS]))
    action_constraint = draw(st.sampled_from(["", "", "", *_ACTION_CONSTRAINTS]))
    # Liveness under a constraint is refused (tests/engines/test_constraints.py).
    liveness = "" if constraint or action_constraint else draw(st.sampled_from(["", *_LIVENESS]))
    return ModelDesc(
        count=draw(st.integers(1, 3)),
        phase_durable=draw(st.booleans()),
        typed_initial=draw(st.sampled_from(TYPED)),
        actions=tuple(actions),
        invariant=draw(st.sampled_from(invariants)),
        transition=draw(st.sampled_from(transitions)),
        crashes=draw(st.integers(0, 2)),
        power_losses=draw(st.integers(0, 1)),
        failures=draw(st.integers(0, 1)),
        depth_bound=draw(st.integers(2, 6)) if bound == "depth" else None,
        state_bound=draw(st.integers(5, 60)) if bound == "states" else None,
        with_disk=draw(st.booleans()),
        phase_initial=draw(st.sampled_from([("a", "b"), ("a", "c"), ("b", "a"), ("a", "b", "c")]))
        if several & 1 else ("a",),
        typed_initials=tuple(draw(st.lists(st.sampled_from(TYPED), min_size=1, max_size=2)))
        if several & 2 else (),
        start_hook=draw(st.sampled_from(["", "", "owner", "filter"])) if several else "",
        timeouts=draw(st.integers(0, 1)),
        constraint=constraint,
        action_constraint=action_constraint,
        stops=draw(st.integers(0, 1)),
        pauses=draw(st.integers(0, 1)),
        fault_when=draw(st.sampled_from(["", "", *_WHEN])),
        liveness=liveness,
        fairness=draw(st.sampled_from(["", "", *_FAIRNESS])),
    )


# -- building the model from its description ---------------------------------------------

class Disk(Component):
    """Blocks written through a cache: a crash drops its writer's cached blocks, a power
    loss keeps or loses the cache (a choice)."""

    blocks = durable(frozenset(), "blocks on disk")
    cache = volatile(FrozenMap(), "block -> writer, not yet on disk")

    def write(self, block: int, writer: str) -> None:
        self.cache = self.cache.set(block, writer)

    def on_crash(self, process: str) -> None:
        self.cache = self.cache.filter(lambda _, writer: writer != process)

    def on_power_loss(self) -> None:
        if choose("kept", "lost") == "kept":
            self.blocks = self.blocks | frozenset(self.cache)
        self.cache = FrozenMap()


def build(desc: ModelDesc) -> Model:
    kind = durable if desc.phase_durable else volatile

    class Worker(Process):
        phase = kind(one_of(desc.phase_initial) if len(desc.phase_initial) > 1
                     else desc.phase_initial[0])
        typed = durable(one_of((desc.typed_initial, *desc.typed_initials))
                        if desc.typed_initials else desc.typed_initial)
        bits = durable(0, count=2)

    namespace: dict[str, Any] = {
        "workers": role(Worker, count=desc.count),
        "owner": durable(""),
        "seen": durable(frozenset()),
    }
    if desc.with_disk:
        namespace["disk"] = Disk()
    if any(e.kind == "store" for a in desc.actions for e in a.effects):
        namespace["store"] = RemoteStore(kind="remote", timeout="timeout")
    if desc.start_hook:
        namespace["start"] = initial(_START_HOOKS[desc.start_hook])
    for a in desc.actions:
        namespace[a.name] = action(Worker)(_body(a))
    namespace["inv"] = always(_INVARIANTS[desc.invariant], name="Inv")
    namespace["step_rule"] = transition(_TRANSITIONS[desc.transition], name="StepRule")
    if desc.liveness:
        namespace["live"] = _LIVENESS[desc.liveness]()
    return type("RandomModel", (Model,), namespace)()


def _apply(m: Any, w: Any, e: Effect) -> None:
    if e.kind == "phase":
        w.phase = e.value
    elif e.kind == "typed":
        w.typed = e.value
    elif e.kind == "owner":
        m.owner = e.value.format(name=w.name)
    elif e.kind == "seen":
        m.seen = m.seen | {e.value}
    elif e.kind == "bit":
        w.bits[e.value] = (w.bits[e.value] + 1) % 2
    elif e.kind == "disk" and hasattr(m, "disk"):
        m.disk.write(1 if e.value else 2, w.name)
    elif e.kind == "store":
        # An append keyed by the worker (so the log stays small) or a delete; either may
        # fail without effect ("remote") or time out after it ("timeout"): phase "c".
        done = (m.store.append("log", (w.name,), request_id=w.name) if e.value
                else m.store.delete("log"))
        if not done:
            w.phase = "c"


def _body(a: ActionDesc) -> Callable[[Any, Any], None]:
    def body(m: Any, w: Any) -> None:
        require(w.phase == a.guard_phase)
        if a.guard_owner_empty is not None:
            require((m.owner == "") == a.guard_owner_empty)
        if a.fails and fault("call"):
            w.phase = "c"
            return
        chosen = a.effects
        if a.chooses and len(a.effects) > 1:
            chosen = a.effects[:1] if choose("first", "rest") == "first" else a.effects[1:]
        for e in chosen:
            _apply(m, w, e)

    body.__name__ = a.name
    return body


def _choose_owner(m: Any) -> None:
    m.owner = choose("", "plain")


def _not_all_in_b(m: Any) -> None:
    require(not all(w.phase == "b" for w in m.workers))


_START_HOOKS: dict[str, Callable[[Any], None]] = {"owner": _choose_owner, "filter": _not_all_in_b}


# Properties treat every process alike (symmetry must be able to keep them).
_INVARIANTS: dict[str, Callable[[Any], bool]] = {
    "none_in_c": lambda m: not all(w.phase == "c" for w in m.workers),
    "owner_not_x_while_b": lambda m: not any(m.owner == f"{w.name}_x" and w.phase == "b"
                                             for w in m.workers),
    "typed_not_false_in_c": lambda m: not any(w.typed is False and w.phase == "c"
                                              for w in m.workers),
    "seen_small": lambda m: len(m.seen) < 3,
    "not_two_in_b": lambda m: sum(w.phase == "b" for w in m.workers) < 2,
    "not_paused_in_c": lambda m: not any(paused(w) and w.phase == "c" for w in m.workers),
    "stopped_not_in_b": lambda m: not any(stopped(w) and w.phase == "b" for w in m.workers),
}
# Where a process fault may hit: per process, alike for every process.
_WHEN: dict[str, Callable[[Any, Any], bool]] = {
    "not_in_a": lambda m, w: w.phase != "a",
    "owner_is_me": lambda m, w: m.owner.startswith(w.name),
    "bit_set": lambda m, w: w.bits[0] == 1,
}
_TRANSITIONS: dict[str, Callable[[Any, Any], bool]] = {
    "seen_never_shrinks": lambda before, after: before.seen <= after.seen,
    "no_a_after_c": lambda before, after: not any(
        b.phase == "c" and a.phase == "a" for b, a in zip(before.workers, after.workers,
                                                          strict=True)),
    "owner_kept_while_b": lambda before, after: not any(
        b.phase == "b" and before.owner == f"/data/{b.name}_0" and after.owner != before.owner
        for b in before.workers),
}


# Liveness, alike for every process, and fairness rules that never name a step twice.
_LIVENESS: dict[str, Callable[[], Any]] = {
    "eventually_c": lambda: eventually(lambda m: any(w.phase == "c" for w in m.workers),
                                       name="SomeoneReachesC"),
    "b_leads_to_out_of_b": lambda: leads_to(lambda m: any(w.phase == "b" for w in m.workers),
                                            lambda m: not all(w.phase == "b" for w in m.workers),
                                            name="LeavesB"),
    "owner_leads_to_free": lambda: leads_to(lambda m: m.owner != "", lambda m: m.owner == "",
                                            name="OwnerFreed"),
}
_FAIRNESS: dict[str, Callable[[], list[Any]]] = {
    "strong_all": lambda: [Strong()],
    "weak_per_process": lambda: [Weak(per="process")],
    "weak_per_instance": lambda: [Weak(per="instance")],
    "strong_act0_only": lambda: [Strong("act0")],
    "none_fair": lambda: [],
}


# Constraints, also alike for every process; every initial state is inside them.
_CONSTRAINTS: dict[str, Callable[[Any], bool]] = {
    "seen_at_most_one": lambda m: len(m.seen) <= 1,
    "owner_not_locked": lambda m: not m.owner.startswith("lock-"),  # "" or "plain" at first
}
_ACTION_CONSTRAINTS: dict[str, Callable[[Any, Any], bool]] = {
    "no_a_to_c": lambda before, after: not any(
        b.phase == "a" and a.phase == "c" for b, a in zip(before.workers, after.workers,
                                                          strict=True)),
}


def small(desc: ModelDesc) -> bool:
    """Whether the model has at most LARGEST states (within its own bounds)."""
    spec = spec_of(desc)
    cap = LARGEST if desc.state_bound is None else min(LARGEST, desc.state_bound)
    probe = check_spec(spec, Options(bounds=Bounds(max_depth=desc.depth_bound, max_states=cap),
                                     check_deadlock=False, check_liveness=False))
    return desc.state_bound is not None or "state bound" not in probe.incomplete_reason


def spec_of(desc: ModelDesc, symmetric: bool = False) -> Spec:
    faults: list[Any] = []
    when = _WHEN.get(desc.fault_when)
    if desc.crashes:
        faults.append(Crash(max=desc.crashes, when=when))
    if desc.stops:
        faults.append(Stop(max=desc.stops, when=when))
    if desc.pauses:
        faults.append(Pause(max=desc.pauses, when=when))
    if desc.power_losses:
        faults.append(PowerLoss(max=desc.power_losses))
    faults.append(Fail(kind="call", max=desc.failures))
    faults.append(Fail(kind="remote", max=desc.failures))
    faults.append(Fail(kind="timeout", max=desc.timeouts))
    bounds = Bounds(max_depth=desc.depth_bound, max_states=desc.state_bound)
    return Spec("random", build(desc), holds(), faults=faults, bounds=bounds, deadlock=False,
                symmetry=("workers",) if symmetric else (),
                fairness=_FAIRNESS[desc.fairness]() if desc.fairness else None,
                constraint=_CONSTRAINTS.get(desc.constraint),
                action_constraint=_ACTION_CONSTRAINTS.get(desc.action_constraint))


# -- running and comparing -----------------------------------------------------------------

def run(spec: Spec, **options: Any) -> Result:
    """A check of ``spec``: by the reference, the bfs explorer, unless ``options`` say."""
    options.setdefault("engine", "bfs")
    options.setdefault("check_deadlock", False)
    return check_spec(spec, Options(bounds=spec.bounds, **options))


def outcome(result: Result) -> tuple:
    """What every engine must agree on: verdict, error, counts, counterexample lengths."""
    return (result.verdict, result.error, result.stats.distinct_states, result.stats.transitions,
            result.stats.depth, sorted((v.property, len(v.trace.steps) if v.trace else -1)
                                       for v in result.violations))


def counterexamples(result: Result) -> list[tuple]:
    """Each violation with its message and the replay key of its trace."""
    return [(v.property, v.message, v.trace.key if v.trace else None) for v in result.violations]


def error_key(result: Result) -> str | None:
    """The replay key of the path to where an error showed up (None where there is none)."""
    return result.error_trace.key if result.error_trace else None


def verdict_only(result: Result) -> tuple:
    return (result.verdict, result.error, sorted((v.property, len(v.trace.steps) if v.trace else -1)
                                                 for v in result.violations))


def reachable(spec: Spec, engine: str = "bfs") -> list[Any]:
    states: list[Any] = []
    options = Options(bounds=spec.bounds, check_deadlock=False, check_liveness=False)
    system = spec.system()
    if engine == "bfs":
        explore(system, options, on_state=lambda _sid, s: states.append(s))
    else:
        from lifecheck.explore.vector import explore_vector

        explore_vector(system, options, on_state=lambda _sid, s: states.append(s))
    return states


def typed(state: Any) -> Any:
    from lifecheck.typed_values import typed_key

    return typed_key(state)


def resumed(spec: Spec, tmp: str, engine: str, levels: int) -> Result:
    """A run saved after ``levels`` levels, then resumed to the end from its checkpoint."""
    path = os.path.join(tmp, f"{engine}.ckpt")
    team = engine in ("team", "vector team")
    options = Options(bounds=spec.bounds, check_deadlock=False,
                      checkpoint=path, checkpoint_every=0.0,
                      engine={"team": "bfs", "vector team": "auto", "vector exact": "vector"}.get(
                          engine, engine),
                      workers=2 if team else 1, exact=engine == "vector exact")
    system = spec.system()
    if engine == "bfs":
        partial = _Run(system, options, None)
        partial.start()
        for _ in range(levels):
            if partial.frontier:
                partial.level()
        save_checkpoint(path, partial.signature, partial.snapshot())
    elif team:
        from lifecheck.explore.parallel import _ForkedWorkers
        from lifecheck.explore.team import TeamSearch

        with _ForkedWorkers(system, options, 2) as workers:
            search = TeamSearch(system, options, workers)
            search.start()
            for _ in range(levels):
                if search.pending():
                    search.advance(None)
            save_checkpoint(path, search.signature, search.snapshot())
    else:
        from lifecheck.explore.checkpoint import run_signature
        from lifecheck.explore.vector import VectorRun as _VectorRun
        from lifecheck.modelling.footprint import learner_for

        partial = _VectorRun(system, learner_for(system), options, None)
        partial.start()
        for _ in range(levels):
            if len(partial.frontier[0]):
                out = partial.level(*partial.frontier)
                partial.frontier = (
                    np.concatenate([r for r, _ in out]) if out else partial.frontier[0][:0],
                    np.concatenate([f for _, f in out]) if out else partial.frontier[1][:0])
        save_checkpoint(path, run_signature(system, options, "vector"), partial.snapshot())
    return check_spec(spec, options)


# -- the laws --------------------------------------------------------------------------------

@HARNESS
@given(model_descs(), st.integers(0, 40))
def test_every_engine_agrees_with_the_reference(desc: ModelDesc, handover: int) -> None:
    """``handover``: the states after which the default engine turns from bfs to vector
    (drawn small, so that random models are handed over at every point of a run)."""
    assume(small(desc))
    spec = spec_of(desc)
    reference = run(spec)
    if reference.error:  # a model the generator made unlawful is an error everywhere
        assert "not deterministic" not in reference.error, reference.error
    expected = outcome(reference)
    for name, options in [("vector", {"engine": "vector"}),
                          ("auto", {"engine": "auto", "handover": handover, "thin_handover": handover}),
                          # (past the mark, handed over only where the levels widen)
                          ("auto widening", {"engine": "auto", "handover": handover,
                                             "thin_handover": 4 * handover + 1}),
                          # (steps translated from the first level past the mark)
                          ("fingerprints", {"fingerprints": True, "handover": handover}),
                          ("vector exact", {"engine": "vector", "exact": True})]:
        got = run(spec, **options)
        assert outcome(got) == expected, name
        # The very counterexamples: the same violations, each by the same path of steps
        # (every engine numbers states in the reference's breadth-first order).
        assert counterexamples(got) == counterexamples(reference), name
        assert got.stats.outside == reference.stats.outside, name
    if not reference.error and not desc.state_bound:
        # The same reachable states, told apart by type (0 is not False).
        want = sorted(map(repr, map(typed, reachable(spec))))
        assert sorted(map(repr, map(typed, reachable(spec, "vector")))) == want


@settings(HARNESS, max_examples=max(1, EXAMPLES // 3))
@given(model_descs(), st.integers(0, 40))
def test_exact_runs_tell_colliding_keys_apart(desc: ModelDesc, handover: int) -> None:
    """Keys cut to two bits: nearly every new state collides with a kept one, and the
    rows must tell them apart (the same counts and counterexamples as the reference)."""
    assume(small(desc))
    exact_despite_collisions(spec_of(desc), handover)


def exact_despite_collisions(spec: Spec, handover: int) -> None:
    """Exact runs of the vector engine (alone, and handed over to after ``handover``
    states) with keys cut to two bits: the reference's counts and counterexamples."""
    reference = run(spec)
    with colliding_keys(2):
        for name, options in [("vector", {"engine": "vector", "exact": True}),
                              ("auto", {"engine": "auto", "exact": True, "handover": handover,
                                        "thin_handover": handover})]:
            got = run(spec, **options)
            assert outcome(got) == outcome(reference), name
            assert got.stats.collision_chance is None
            assert counterexamples(got) == counterexamples(reference), name


@settings(HARNESS, max_examples=max(1, EXAMPLES // 3))
@given(model_descs().filter(lambda d: d.count >= 2 and not d.liveness), st.integers(0, 40))
def test_exact_runs_tell_colliding_orbits_apart(desc: ModelDesc, handover: int) -> None:
    """Under symmetry, keys cut to two bits: orbits collide, and exact runs must tell them
    apart by their orbits' rows while still taking mirror images for one state."""
    assume(small(desc))
    exact_despite_collisions(spec_of(desc, symmetric=True), handover)


@pytest.mark.parametrize("engine", ["bfs", "vector"])
@settings(HARNESS, max_examples=max(1, EXAMPLES // 3))
@given(desc=model_descs(), deadlocks=st.booleans())
def test_two_workers_agree_with_the_reference(engine: str, desc: ModelDesc,
                                              deadlocks: bool) -> None:
    """Each worker a bfs explorer, or a vector engine (the default where it can): the
    reference's counts and its very counterexamples, in its order, under a state bound
    too (the coordinator ranks each level as one process would reach it), deadlocks
    checked or not."""
    assume(small(desc))
    spec = spec_of(desc)
    two = run(spec, workers=2, engine=engine, check_deadlock=deadlocks)
    reference = run(spec, check_deadlock=deadlocks)
    if reference.error:  # the same error, and the same path to where it showed up
        assert two.error == reference.error
        assert error_key(two) == error_key(reference)
    else:
        assert outcome(two) == outcome(reference)
        assert counterexamples(two) == counterexamples(reference)
        assert two.stats.outside == reference.stats.outside
        assert two.incomplete_reason == reference.incomplete_reason
        assert (two.stats.collision_chance is not None) == (engine == "vector")


@settings(HARNESS, max_examples=max(1, EXAMPLES // 6))
@given(model_descs().filter(lambda d: d.count >= 2 and not d.liveness))
def test_two_vector_workers_reduce_symmetry_as_the_reference_does(desc: ModelDesc) -> None:
    """Owners chosen by orbit key: one state per orbit, and of each orbit the member the
    bfs explorer keeps (the one its bfs parent reached), so the very counterexamples."""
    assume(small(desc))
    spec = spec_of(desc, symmetric=True)
    reference = run(spec)
    two = run(spec, workers=2, engine="vector")
    if reference.error:
        assert two.error == reference.error
    else:
        assert outcome(two) == outcome(reference)
        assert counterexamples(two) == counterexamples(reference)
        assert two.stats.collision_chance is not None


@settings(HARNESS, max_examples=max(1, EXAMPLES // 3))
@given(model_descs(), st.integers(1, 4),
       st.sampled_from(["bfs", "vector", "vector exact", "team", "vector team"]))
def test_a_resumed_run_agrees_with_an_uninterrupted_one(tmp_path_factory: Any, desc: ModelDesc,
                                                        levels: int, engine: str) -> None:
    assume(small(desc))
    spec = spec_of(desc)
    reference = run(spec, engine="bfs" if "team" in engine else engine.split()[0])
    tmp = str(tmp_path_factory.mktemp("ckpt"))
    got = resumed(spec, tmp, engine, levels)
    assert outcome(got) == outcome(reference)
    assert counterexamples(got) == counterexamples(reference)


@settings(HARNESS, max_examples=max(1, EXAMPLES // 3))
@given(model_descs().filter(lambda d: d.count >= 2 and d.state_bound is None and not d.liveness))
def test_symmetry_keeps_the_verdict_and_one_state_per_orbit(desc: ModelDesc) -> None:
    assume(small(desc))
    full = run(spec_of(desc))
    reduced_spec = spec_of(desc, symmetric=True)
    reduced = run(reduced_spec)
    assert verdict_only(reduced) == verdict_only(full)
    if not full.error:
        system = reduced_spec.system()
        parts = [p.index for p in system._role_parts["workers"]]
        assert reduced.stats.distinct_states == ref.true_orbits(
            reachable(spec_of(desc)), parts, system.process_names(), key=typed)
        assert reduced.stats.depth == full.stats.depth


@settings(HARNESS, max_examples=max(1, EXAMPLES // 6))
@given(model_descs().filter(lambda d: d.count >= 2 and not d.liveness), st.integers(1, 4))
def test_the_vector_engine_reduces_symmetry_as_bfs_does(tmp_path_factory: Any, desc: ModelDesc,
                                                        levels: int) -> None:
    assume(small(desc))
    spec = spec_of(desc, symmetric=True)
    reference = run(spec)
    got = run(spec, engine="vector")
    assert outcome(got) == outcome(reference)
    assert counterexamples(got) == counterexamples(reference)
    assert got.stats.outside == reference.stats.outside
    if not reference.error:  # the first member of each orbit reached, in the same order
        assert list(map(typed, reachable(spec, "vector"))) == list(map(typed, reachable(spec)))
    tmp = str(tmp_path_factory.mktemp("ckpt"))
    assert outcome(resumed(spec, tmp, "vector", levels)) == outcome(reference)
