"""The explorer is sound within its bounds: checked against a naive reference on random input.

* Random core-level systems (a successor table over ints or small tuples, several
  initial states, self-loops and duplicate steps): the distinct states the
  explorer sees are exactly the reference's reachable set; its counts of states,
  transitions and depth are the reference's.
* Random invariants: the verdict is ``violated`` iff a violating state is
  reachable; the counterexample replays to a violating state and is exactly as
  long as the reference's shortest distance to any violating state. Likewise for
  ``sometimes`` (violated iff no reachable witness) and ``transition`` properties
  (the counterexample ends with a forbidden step, at the least possible depth).
* Bounds: a run cut off by a depth or state bound is ``incomplete`` (or
  ``violated`` by a state within the bound), never ``holds``; with the depth
  bound at the reference's eccentricity it is complete.
* Random models written with the modelling API (roles, durable and volatile
  fields, guards, effects, ``choose``) with crash budgets 0, 1 and 2: the
  reachable states and every labelled step agree with an independent
  implementation of the semantics in :mod:`tests.reference`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lifecheck import (
    Bounds,
    Crash,
    Model,
    Options,
    Process,
    Spec,
    Step,
    Stop,
    TransitionSystem,
    action,
    always,
    check_spec,
    choose,
    choose_from,
    durable,
    holds,
    one_of,
    require,
    role,
    volatile,
)
from lifecheck.contract import ALWAYS, SOMETIMES, TRANSITION, Property
from lifecheck.explore.bfs import explore
from lifecheck.explore.verdict import check_system
from lifecheck.modelling.compile import BUDGET, ModelSystem
from lifecheck.modelling.initial import Restarted
from lifecheck.replay import replay
from lifecheck.result import Result
from tests import reference as ref

SETTINGS = settings(max_examples=150, deadline=None)

# --------------------------------------------------------------------------------------
# Random core-level systems
# --------------------------------------------------------------------------------------

ENCODINGS: dict[str, Callable[[int], Hashable]] = {
    "int": lambda i: i,
    "pair": lambda i: (i // 3, i % 3),
    "tagged": lambda i: ("s", i % 2, (i // 2,)),
    # -1 and -2 have the same Python hash, as do (0, -1) and (0, -2): states must be
    # told apart by value, not by hash.
    "negative": lambda i: (0, -1 - i),
}


class TableSystem(TransitionSystem):
    """A core system whose successors come from a table: state index -> list of targets."""

    def __init__(self, inits: list[int], table: list[list[int]], encoding: str,
                 bad: frozenset[int] = frozenset()) -> None:
        self.encode = ENCODINGS[encoding]
        self.decode = {self.encode(i): i for i in range(len(table))}
        self.inits = inits
        self.table = table
        self.bad = bad
        self.name = "table"
        self.properties = [Property("Inv", ALWAYS, self.invariant)]

    def invariant(self, state: Hashable) -> bool:
        return self.decode[state] not in self.bad

    def init_states(self) -> list[Hashable]:
        return [self.encode(i) for i in self.inits]

    def successors(self, state: Hashable) -> list[tuple[Step, Hashable]]:
        i = self.decode[state]
        return [(Step(f"p{j % 2}", f"go{t}"), self.encode(t)) for j, t in enumerate(self.table[i])]


@st.composite
def tables(draw: Any) -> TableSystem:
    n = draw(st.integers(1, 9))
    idx = st.integers(0, n - 1)
    table = draw(st.lists(st.lists(idx, max_size=4), min_size=n, max_size=n))
    inits = draw(st.lists(idx, min_size=1, max_size=3))
    bad = draw(st.frozensets(idx, max_size=n))
    encoding = draw(st.sampled_from(sorted(ENCODINGS)))
    return TableSystem(inits, table, encoding, bad)


# Several initial states (one repeated), self-loops and duplicate steps, on tuple states.
HAND_PICKED = TableSystem([0, 0, 1], [[0, 1, 1], [2, 2], [2, 0], [3]], "pair", frozenset({2}))


def safety_options(bounds: Bounds | None = None) -> Options:
    return Options(bounds=bounds or Bounds(), check_deadlock=False, check_liveness=False)


def run(system: TransitionSystem, options: Options) -> Result:
    result = Result("t", "t", "error")
    check_system(system, options, result)
    return result


@SETTINGS
@given(tables())
@example(HAND_PICKED)
def test_distinct_states_are_the_reference_reachable_set(system: TableSystem) -> None:
    seen: list[Hashable] = []
    exploration = explore(system, safety_options(), on_state=lambda _sid, s: seen.append(s))
    dist = ref.reachable(system)
    assert set(seen) == set(dist)
    assert len(seen) == len(set(seen)), "on_state saw a state twice"
    assert exploration.distinct_states == len(dist)
    assert exploration.transitions == ref.count_transitions(system, dist)
    assert exploration.depth == ref.eccentricity(dist)
    assert exploration.complete


@SETTINGS
@given(tables())
@example(HAND_PICKED)
def test_invariant_verdict_and_shortest_replayable_counterexample(system: TableSystem) -> None:
    dist = ref.reachable(system)
    shortest = ref.shortest_violation(dist, system.invariant)
    result = run(system, safety_options())
    if shortest is None:
        assert result.verdict == "holds"
        assert result.violations == []
        return
    assert result.verdict == "violated"
    (violation,) = result.violations
    assert violation.property == "Inv"
    trace = violation.trace
    assert trace is not None
    _, last = replay(system, trace.replay)
    assert not system.invariant(last), "the counterexample must end in a violating state"
    assert last in dist
    # BFS law: no path to any violating state is shorter than the counterexample.
    assert len(trace.steps) == shortest
    assert len(trace.replay) == shortest + 1


@SETTINGS
@given(tables())
def test_sometimes_is_violated_iff_no_reachable_state_satisfies_it(system: TableSystem) -> None:
    system.properties = [Property("Some", SOMETIMES, lambda s: not system.invariant(s))]
    dist = ref.reachable(system)
    reachable_witness = bool(ref.violating(dist, system.invariant))
    result = run(system, safety_options())
    assert result.verdict == ("holds" if reachable_witness else "violated")


@SETTINGS
@given(tables(), st.data())
def test_transition_property_and_its_shortest_counterexample(system: TableSystem,
                                                              data: Any) -> None:
    n = len(system.table)
    forbidden = data.draw(st.frozensets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                                        max_size=4), label="forbidden steps")
    decode = system.decode
    system.properties = [Property("Allowed", TRANSITION,
                                  lambda a, b: (decode[a], decode[b]) not in forbidden)]
    dist = ref.reachable(system)
    lengths = [d + 1 for s, d in dist.items() for _, t in system.successors(s)
               if (decode[s], decode[t]) in forbidden]
    result = run(system, safety_options())
    if not lengths:
        assert result.verdict == "holds"
        return
    assert result.verdict == "violated"
    (violation,) = result.violations
    trace = violation.trace
    assert len(trace.steps) == min(lengths)
    _, before = replay(system, trace.replay[:-1])
    _, after = replay(system, trace.replay)
    assert (decode[before], decode[after]) in forbidden


@SETTINGS
@given(tables(), st.data())
def test_depth_bound_is_incomplete_never_holds(system: TableSystem, data: Any) -> None:
    dist = ref.reachable(system)
    ecc = ref.eccentricity(dist)
    depth = data.draw(st.integers(0, ecc + 1), label="max_depth")
    seen: list[Hashable] = []
    exploration = explore(system, safety_options(Bounds(max_depth=depth)),
                          on_state=lambda _sid, s: seen.append(s))
    assert set(seen) == {s for s, d in dist.items() if d <= depth}
    assert exploration.complete == (depth >= ecc)

    result = run(system, safety_options(Bounds(max_depth=depth)))
    near = ref.violating({s: d for s, d in dist.items() if d <= depth}, system.invariant)
    if near:
        assert result.verdict == "violated"
        assert len(result.violations[0].trace.steps) == min(near.values())
    elif depth < ecc:
        assert result.verdict == "incomplete"
        assert result.incomplete_reason
    else:
        assert result.verdict == ("holds" if not ref.violating(dist, system.invariant)
                                  else "violated")


@SETTINGS
@given(tables(), st.data())
def test_state_bound_is_incomplete_never_holds(system: TableSystem, data: Any) -> None:
    dist = ref.reachable(system)
    cap = data.draw(st.integers(1, len(dist) + 1), label="max_states")
    seen: list[Hashable] = []
    exploration = explore(system, safety_options(Bounds(max_states=cap)),
                          on_state=lambda _sid, s: seen.append(s))
    assert set(seen) <= set(dist)
    if cap < len(dist):
        assert not exploration.complete
        assert run(system, safety_options(Bounds(max_states=cap))).verdict != "holds"
    if cap >= len(dist):  # the bound stops only a state beyond it, so an exact cap is complete
        assert exploration.complete
        assert set(seen) == set(dist)


def test_eccentricity_bound_is_complete_on_a_chain() -> None:
    """A hand-checked case: a chain 0 -> 1 -> 2 -> 3 with the invariant "not 3"."""
    system = TableSystem([0], [[1], [2], [3], []], "int", bad=frozenset({3}))
    for depth, verdict in [(0, "incomplete"), (2, "incomplete"), (3, "violated")]:
        result = run(system, safety_options(Bounds(max_depth=depth)))
        assert result.verdict == verdict, depth
    assert run(TableSystem([0], [[1], [2], [3], []], "int"),
               safety_options(Bounds(max_depth=3))).verdict == "holds"


# --------------------------------------------------------------------------------------
# States whose Python hashes are equal must still be told apart (regression: the
# explorer once deduplicated on hash(state) alone and missed these violations)
# --------------------------------------------------------------------------------------


class CountDown(TransitionSystem):
    """-1 -> -2 -> -3 (hash(-1) == hash(-2) == -2 in CPython); invariant: never -2."""

    name = "countdown"

    def __init__(self) -> None:
        self.properties = [Property("NotMinusTwo", ALWAYS, lambda s: s != -2)]

    def init_states(self) -> list[int]:
        return [-1]

    def successors(self, state: int) -> list[tuple[Step, int]]:
        return [(Step(None, "dec"), state - 1)] if state > -3 else []


def test_states_with_equal_hashes_are_distinct_core() -> None:
    system = CountDown()
    assert set(ref.reachable(system)) == {-1, -2, -3}
    exploration = explore(system, safety_options())
    assert exploration.distinct_states == 3
    assert run(system, safety_options()).verdict == "violated"


class Offset(Model):
    """A model whose field goes 0, -1, -2: (.., -1, ..) and (.., -2, ..) hash alike."""

    x = durable(0)

    @action
    def dec(self):
        require(self.x > -2)
        self.x = self.x - 1

    @always
    def not_minus_two(self):
        return self.x != -2


def test_states_with_equal_hashes_are_distinct_model() -> None:
    result = check_spec(Spec("offset", Offset(), holds()))
    assert result.stats.distinct_states == 3
    assert result.verdict == "violated"


# --------------------------------------------------------------------------------------
# Random models written with the modelling API, against the reference semantics
# --------------------------------------------------------------------------------------

ROLE_NAMES = [("alphas", "Alpha"), ("betas", "Beta")]


@st.composite
def model_descs(draw: Any) -> ref.ModelDesc:
    n_roles = draw(st.integers(1, 2))
    shapes = []
    for attr, cls in ROLE_NAMES[:n_roles]:
        count = draw(st.integers(1, 2))
        n_fields = draw(st.integers(1, max(1, min(3, 6 // (count * n_roles)))))
        fields = []
        for f in range(n_fields):
            domain = draw(st.integers(2, 3))
            first = draw(st.integers(0, domain - 1))
            # Sometimes several initial values (one_of), the first and others after it.
            others = tuple(v for v in range(domain) if v != first and draw(st.booleans())) \
                if draw(st.integers(0, 2)) == 0 else ()
            fields.append(ref.FieldDesc(f"f{f}", domain, draw(st.booleans()), first, others))
        shapes.append((attr, cls, count, tuple(fields)))
    owners = st.sampled_from([None, *range(n_roles)])
    roles = []
    for ri, (attr, cls, count, fields) in enumerate(shapes):
        actions = []
        for a in range(draw(st.integers(1, 4))):
            g_owner = draw(owners)
            g_fields = shapes[ri if g_owner is None else g_owner][3]
            g_field = draw(st.sampled_from(g_fields))
            effects = []
            for _ in range(draw(st.integers(1, 2))):
                e_owner = draw(owners)
                e_fields = shapes[ri if e_owner is None else e_owner][3]
                effects.append(ref.Effect(e_owner, draw(st.sampled_from(e_fields)).name,
                                          draw(st.sampled_from(fields)).name,
                                          draw(st.integers(0, 2))))
            actions.append(ref.ActionDesc(f"step{a}", g_owner, g_field.name,
                                          draw(st.integers(0, g_field.domain - 1)),
                                          draw(st.booleans()), tuple(effects)))
        roles.append(ref.RoleDesc(attr, cls, count, fields, tuple(actions)))
    return ref.ModelDesc(tuple(roles))


def build_model(desc: ref.ModelDesc) -> Model:
    """The description as a Model subclass, built with ``type(...)``."""
    namespace: dict[str, Any] = {}
    classes = []
    for r in desc.roles:
        fields = {f.name: (durable if f.durable else volatile)(
            one_of(f.initials) if f.others else f.initial) for f in r.fields}
        cls = type(r.class_name, (Process,), fields)
        classes.append(cls)
        namespace[r.attr] = role(cls, count=r.count)
    for r, cls in zip(desc.roles, classes, strict=True):
        for a in r.actions:
            namespace[f"{r.attr}_{a.name}"] = action(cls)(_action_body(desc, r, a))
    return type("RandomModel", (Model,), namespace)()


def _action_body(desc: ref.ModelDesc, r: ref.RoleDesc, a: ref.ActionDesc) -> Callable:
    roles = desc.roles

    def owner(m: Any, p: Any, index: int | None) -> Any:
        return p if index is None else getattr(m, roles[index].attr)[0]

    def body(m: Any, p: Any) -> None:
        require((getattr(owner(m, p, a.guard_owner), a.guard_field) == a.guard_value) == a.equal)
        effect = a.effects[choose_from(range(len(a.effects)))] if len(a.effects) > 1 else a.effects[0]
        domain = (r if effect.owner is None else roles[effect.owner]).field(effect.target).domain
        value = (getattr(p, effect.source) + effect.k) % domain
        setattr(owner(m, p, effect.owner), effect.target, value)

    return body


def _canon_engine(system: ModelSystem, state: Any) -> tuple[int, frozenset]:
    (spent,) = state[BUDGET]
    return spent, frozenset(system.describe(state).items())


def _labelled_successors(system: ModelSystem, state: Any) -> Counter:
    """Each step out of ``state`` as the reference labels it: who, which action, which
    choice (the values a crash or stop restarted volatile fields with), which successor."""
    got: Counter = Counter()
    for step, out in system.successors(state):
        choice = step.choices[0] if step.choices else None
        if isinstance(choice, Restarted):
            choice = choice.values
        got[(step.who(), step.action, choice, _canon_engine(system, out))] += 1
    return got


@settings(max_examples=60, deadline=None)
@given(model_descs())
def test_random_models_match_reference_semantics(desc: ref.ModelDesc) -> None:
    model = build_model(desc)
    canon = ref.canonical_for(desc)
    for budget in (0, 1, 2):
        system = ModelSystem(model, [Crash(max=budget)])
        states: list[Any] = []
        exploration = explore(system, safety_options(),
                              on_state=lambda _sid, s, seen=states: seen.append(s))
        engine = {_canon_engine(system, s): s for s in states}
        expected = ref.reference_reachable(desc, budget)
        by_canon = {canon(s): s for s in expected}
        assert set(engine) == set(by_canon), f"crash budget {budget}"
        assert exploration.distinct_states == len(expected)
        # Every labelled step agrees too: who, which action, which choice, which successor.
        total = 0
        for key, state in engine.items():
            got = _labelled_successors(system, state)
            assert all(step.is_fault == (step.action == "crash")
                       for step, _ in system.successors(state))
            want = Counter((label[0], label[1], label[2], canon(t))
                           for label, t in ref.reference_successors(desc, budget, by_canon[key]))
            assert got == want, f"crash budget {budget}, state {dict(key[1])}"
            total += sum(want.values())
        assert exploration.transitions == total


@settings(max_examples=40, deadline=None)
@given(model_descs())
def test_random_models_match_reference_crash_stop(desc: ref.ModelDesc) -> None:
    model = build_model(desc)
    canon = ref.canonical_stop(desc)
    for budget in (1, 2):
        system = ModelSystem(model, [Stop(max=budget)])
        states: list[Any] = []
        exploration = explore(system, safety_options(),
                              on_state=lambda _sid, s, seen=states: seen.append(s))
        engine = {_canon_engine(system, s): s for s in states}
        expected = ref.reference_stop_reachable(desc, budget)
        by_canon = {canon(s): s for s in expected}
        assert set(engine) == set(by_canon), f"stop budget {budget}"
        assert exploration.distinct_states == len(expected)
        for key, state in engine.items():
            got = _labelled_successors(system, state)
            want = Counter((label[0], label[1], label[2], canon(t)) for label, t
                           in ref.reference_stop_successors(desc, budget, by_canon[key]))
            assert got == want, f"stop budget {budget}, state {dict(key[1])}"


class TwoChoices(Model):
    x = durable(())

    @action
    def pick(self):
        require(self.x == ())
        self.x = (choose(0, 1), choose(0, 1))


def test_choices_are_enumerated_in_lexicographic_order() -> None:
    system = ModelSystem(TwoChoices())
    steps = [step.choices for step, _ in system.successors(system.init_states()[0])]
    assert steps == [(0, 0), (0, 1), (1, 0), (1, 1)]
