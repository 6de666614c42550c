"""The partition hash agrees across processes and with Python's equality."""

import collections
import dataclasses
import enum
import itertools
import pickle
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecheck.explore.stable_hash import Fingerprinter, PartHasher, fingerprint, stable
from lifecheck.values import FrozenMap

atoms = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3),
                  st.floats(allow_nan=False, allow_infinity=False, width=16))
values = st.recursive(atoms, lambda inner: st.one_of(
    st.tuples(inner, inner), st.frozensets(inner, max_size=3),
    st.dictionaries(st.text(max_size=2), inner, max_size=3).map(FrozenMap)), max_leaves=8)


@given(values, values)
def test_equal_values_hash_alike(a, b):
    if a == b:
        assert stable(a) == stable(b)


@given(st.lists(st.tuples(values, values), min_size=1, max_size=6))
def test_the_part_cache_never_changes_an_answer(states):
    hasher = PartHasher()
    for state in states:
        assert hasher(state) == PartHasher()(state)


def test_another_process_with_another_salt_agrees():
    value = (None, "broker1", frozenset({"a", None}), FrozenMap({"k": (1, True)}))
    code = ("from lifecheck.explore.stable_hash import stable; from lifecheck.values import FrozenMap; "
            "print(stable((None, 'broker1', frozenset({'a', None}), FrozenMap({'k': (1, True)}))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                         env={"PYTHONHASHSEED": "777", "PATH": ""}).stdout
    assert int(out) == stable(value)


# -- fingerprints: typed, with no collisions by construction -----------------------------

class Level(enum.IntEnum):
    LOW = 0
    HIGH = 1


class Name(enum.StrEnum):
    A = "a"


Pair = collections.namedtuple("Pair", "x y")


@dataclasses.dataclass(frozen=True)
class Cell:
    x: object
    y: object
    note: str = dataclasses.field(default="", compare=False)


def typed(value):
    """A canonical form that is equal exactly when values are equal with the same types."""
    t = type(value)
    if isinstance(value, float):
        return (t, repr(value))  # -0.0 is not 0.0
    if isinstance(value, tuple):
        return (t, tuple(typed(v) for v in value))
    if isinstance(value, frozenset):
        return (t, frozenset(typed(v) for v in value))
    if isinstance(value, FrozenMap):
        return (t, frozenset((typed(k), typed(v)) for k, v in value.items()))
    if dataclasses.is_dataclass(value):
        return (t, tuple(typed(getattr(value, f.name)) for f in dataclasses.fields(value)
                         if f.compare))
    return (t, value)


def typed_equal(a, b):
    return typed(a) == typed(b)


def assert_no_collisions(pool):
    by_fingerprint = {}
    for v in pool:
        by_fingerprint.setdefault(fingerprint(v), {})[typed(v)] = v
    shared = [list(vs.values()) for vs in by_fingerprint.values() if len(vs) > 1]
    assert not shared, f"distinct values share a fingerprint: {shared[:5]}"
    assert len(by_fingerprint) == len({typed(v) for v in pool})


def _families():
    pool = []
    pool += [frozenset(c) for r in range(9) for c in itertools.combinations(range(8), r)]
    for r in range(6):  # multisets: sorted tuples and maps of counts
        for c in itertools.combinations_with_replacement(range(4), r):
            pool += [c, FrozenMap(collections.Counter(c))]
    pool += [t for r in range(4) for t in itertools.product(range(4), repeat=r)]
    pool += list(itertools.permutations(range(5)))
    small = [0, 1, 2, 3, "a", "b", "0", "1"]
    for a, b in itertools.product(small, repeat=2):
        pool += [FrozenMap({a: b}), FrozenMap({a: FrozenMap({b: a})}),
                 FrozenMap({FrozenMap({a: b}): FrozenMap({b: a})})]
        for c in small:
            pool += [FrozenMap({a: b, c: a}), FrozenMap({a: FrozenMap({b: c})})]
    pool += ["ab", ("a", "b"), ("ab",), ("a", "b", ""), "a", "b", "", ("",), ("a", ""),
             ("", "ab"), ("ab", ""), (("a",), "b"), ("a", ("b",)), frozenset({"a", "b"}),
             frozenset({"ab"}), b"ab", (b"a", b"b")]
    atoms = [0, False, 0.0, -0.0, None, (), "", b"", frozenset(), FrozenMap(), 1, True, 1.0,
             -1, -1.0, 2**64, -(2**64), 2**63, -(2**63), 2**64 - 1, range(0), range(2)]
    pool += atoms
    pool += [(a,) for a in atoms] + [frozenset({a}) for a in atoms]
    pool += [(a, b) for a, b in itertools.product(atoms[:13], repeat=2)]
    pool += [frozenset({0, 1}), frozenset({False, True}), frozenset({0, True}),
             frozenset({False, 1}), frozenset({0.0, 1}), FrozenMap({0: 1}),
             FrozenMap({False: 1}), FrozenMap({0: True}), FrozenMap({0.0: 1.0}),
             FrozenMap({-0.0: 1})]
    pool += [Level.LOW, Level.HIGH, Name.A, (Level.LOW,), (0, Level.HIGH), frozenset({Level.LOW}),
             FrozenMap({Level.HIGH: Name.A})]
    pool += [Pair(0, 1), Pair(False, 1), Cell(0, 1), Cell(1, 0), (Pair(0, 1),), ((0, 1),)]
    return pool


def test_no_two_distinct_values_share_a_fingerprint():
    pool = _families()
    assert len(pool) > 2000
    assert_no_collisions(pool)


def test_equal_values_of_equal_types_share_a_fingerprint():
    assert fingerprint(range(0)) == fingerprint(range(5, 5))
    assert fingerprint(range(0, 3, 2)) == fingerprint(range(0, 4, 2))
    assert fingerprint(Cell(0, 1, note="x")) == fingerprint(Cell(0, 1))  # note is not compared
    assert fingerprint(2**70) == fingerprint(int(str(2**70)))
    assert fingerprint(Level.LOW) == fingerprint(Level(0)) != fingerprint(0)
    assert fingerprint(Name.A) != fingerprint("a")


def test_the_review_collisions_are_gone():
    assert fingerprint(frozenset({0, 3})) != fingerprint(frozenset({1, 2}))
    subsets = [frozenset(c) for r in range(9) for c in itertools.combinations(range(8), r)]
    assert len({stable(s) for s in subsets}) == len(subsets)  # the partition hash spreads too


def test_partition_owners_do_not_follow_parity():
    hasher = PartHasher()
    owners = [hasher((k, "a", (k + 1, 2))) % 2 for k in range(256)]
    assert 64 <= sum(owners) <= 192


typed_atoms = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.integers(),
                        st.text(max_size=3), st.binary(max_size=2),
                        st.floats(allow_nan=False, width=16))
typed_values = st.recursive(typed_atoms, lambda inner: st.one_of(
    st.tuples(inner, inner), st.frozensets(inner, max_size=3),
    st.dictionaries(st.text(max_size=2), inner, max_size=3).map(FrozenMap)), max_leaves=8)


@given(st.lists(typed_values, unique=True, max_size=8), st.randoms(use_true_random=False))
def test_sets_and_maps_built_in_any_order_share_a_fingerprint(items, rng):
    shuffled = list(items)
    rng.shuffle(shuffled)
    assert fingerprint(frozenset(items)) == fingerprint(frozenset(shuffled))
    entries = list(enumerate(items)) + [(str(i), v) for i, v in enumerate(items)]
    mixed = list(entries)
    rng.shuffle(mixed)
    assert fingerprint(FrozenMap(entries)) == fingerprint(FrozenMap(mixed))
    assert fingerprint(FrozenMap(entries)) == fingerprint(FrozenMap(dict(mixed)))


@given(typed_values, typed_values)
def test_fingerprints_follow_typed_equality(a, b):
    assert fingerprint(a) == fingerprint(pickle.loads(pickle.dumps(a)))
    assert (fingerprint(a) == fingerprint(b)) == typed_equal(a, b)


def test_another_process_with_another_salt_agrees_on_fingerprints():
    text = ("(None, 'broker1', frozenset({'a', None, 0.5}), FrozenMap({'k': (1, True, 1.0, -0.0)}),"
            " 2**70, b'x', range(3), FrozenMap({frozenset({'z'}): 'v'}))")
    value = eval(text, {"FrozenMap": FrozenMap})
    code = ("from lifecheck.explore.stable_hash import Fingerprinter, fingerprint; "
            "from lifecheck.values import FrozenMap; "
            f"v = {text}; print(fingerprint(v), Fingerprinter()(v))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                         env={"PYTHONHASHSEED": "777", "PATH": ""}).stdout.split()
    assert [int(x) for x in out] == [fingerprint(value)] * 2


@pytest.mark.parametrize("first", [(0,), (False,), (0.0,)])
def test_equal_parts_of_other_types_are_told_apart_whatever_came_first(first):
    """The part cache is keyed by ==: a hit counts only for a part of the same types."""
    parts = [first] + [p for p in [(0,), (False,), (0.0,)] if p is not first]
    fingerprinter = Fingerprinter()
    answers = [fingerprinter(("x", p, "y")) for p in parts + parts]
    assert answers == [fingerprint(("x", p, "y")) for p in parts + parts]
    assert len(set(answers)) == 3


# Values of several types that compare equal (0, False, 0.0, -0.0), at any depth.
mixed = st.recursive(
    st.one_of(st.none(), st.sampled_from([0, False, 0.0, -0.0, 1, True, 1.0]), st.text(max_size=2)),
    lambda inner: st.one_of(st.tuples(inner, inner), st.frozensets(inner, max_size=3),
                            st.dictionaries(st.text(max_size=2), inner, max_size=3)
                            .map(FrozenMap)), max_leaves=6)


@given(st.lists(st.tuples(mixed, mixed, mixed), min_size=1, max_size=12))
def test_the_cached_path_agrees_with_fingerprinting_afresh(states):
    cached = Fingerprinter()
    for state in states + states[::-1]:
        assert cached(state) == fingerprint(state)


def test_a_state_that_is_not_a_tuple_is_fingerprinted_whole():
    fingerprinter = Fingerprinter()
    for state in [FrozenMap({"a": 1}), 3, Pair(0, 1), Cell((0,), "x")]:
        assert fingerprinter(state) == fingerprint(state)
    assert fingerprinter(Pair(0, 1)) != fingerprinter((0, 1))


def test_parts_at_different_indices_never_answer_for_each_other():
    fingerprinter = Fingerprinter()
    for state in [((0,), "x"), ("x", (False,)), ((0,), (False,))]:  # one type an index
        assert fingerprinter(state) == fingerprint(state)




class PrintedAlike:
    """Hashable, compared by ``n``, printed without it: a type fingerprinted by its repr
    (tests/engines/test_fingerprints.py explores states of it too)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrintedAlike) and other.n == self.n

    def __hash__(self) -> int:
        return hash(self.n)

    def __repr__(self) -> str:
        return "Tag"


class _Addressed(PrintedAlike):
    """Compared by ``n``, printed with its address: equal values that print differently."""

    def __repr__(self) -> str:
        return object.__repr__(self)


def test_a_type_whose_repr_hides_what_it_compares_is_refused_not_merged():
    """Two different values with one repr would share a fingerprint: a state silently lost
    in every fingerprinted seen-set. So the second is refused, with the way out."""
    from lifecheck.errors import ModelError

    fingerprint(PrintedAlike(0))
    with pytest.raises(ModelError, match=r"PrintedAlike.*print alike.*repr"):
        fingerprint(PrintedAlike(1))


def test_equal_values_that_print_differently_are_refused_not_counted_twice():
    from lifecheck.errors import ModelError

    fingerprint(_Addressed(5))
    with pytest.raises(ModelError, match=r"_Addressed.*equal.*print differently"):
        fingerprint(_Addressed(5))


def test_equal_values_of_two_types_printed_apart_are_two_values_not_an_error():
    class Sub(PrintedAlike):
        def __repr__(self) -> str:
            return f"Sub({self.n})"

    class Base(PrintedAlike):
        def __repr__(self) -> str:
            return f"Base({self.n})"

    assert Sub(7) == Base(7)  # equal across types, as 1 == True: told apart by type
    assert fingerprint(Sub(7)) != fingerprint(Base(7))
