"""The strongly connected components liveness is checked on: the Python search that
small graphs use and scipy's that large ones use give the same partition, and that
partition is the one the definition gives (mutual reachability)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck.explore import strong_components as sc

ROOT = Path(__file__).resolve().parents[2]


@st.composite
def graphs(draw: Any) -> tuple[int, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 25))
    steps = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=70))
    src = np.array([s for s, _ in steps], np.int64)
    dst = np.array([t for _, t in steps], np.int64)
    return n, src, dst


def partition(count: int, labels: np.ndarray) -> set[frozenset[int]]:
    assert len(set(labels.tolist())) == count and labels.min(initial=0) >= 0
    groups: dict[int, set[int]] = {}
    for node, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(node)
    return {frozenset(g) for g in groups.values()}


def by_definition(n: int, src: np.ndarray, dst: np.ndarray) -> set[frozenset[int]]:
    """Nodes u and v share a component where each reaches the other (Warshall)."""
    reach = np.eye(n, dtype=bool)
    reach[src, dst] = True
    for k in range(n):
        reach |= reach[:, [k]] & reach[[k], :]
    mutual = reach & reach.T
    return {frozenset(np.nonzero(mutual[v])[0].tolist()) for v in range(n)}


@settings(max_examples=400, deadline=None)
@given(graphs())
def test_the_python_search_finds_the_components_scipy_finds(graph: Any) -> None:
    n, src, dst = graph
    python = partition(*sc.python_components(n, src, dst))
    assert python == partition(*sc.compiled_components(n, src, dst))
    assert python == by_definition(n, src, dst)


def test_a_long_ring_and_a_long_chain_need_no_recursion() -> None:
    n = 200_000
    nodes = np.arange(n)
    count, labels = sc.python_components(n, nodes, (nodes + 1) % n)
    assert count == 1 and not labels.any()
    count, labels = sc.python_components(n, nodes[:-1], nodes[1:])
    assert count == n and len(set(labels.tolist())) == n


def test_large_graphs_go_to_scipy_and_small_ones_stay_here(monkeypatch: Any) -> None:
    used: list[str] = []
    monkeypatch.setattr(sc, "compiled_components", lambda *a: used.append("scipy") or (0, None))
    monkeypatch.setattr(sc, "python_components", lambda *a: used.append("python") or (0, None))
    small = np.arange(sc.COMPILED_FROM - 1)
    sc.strong_components(len(small), small, small)
    large = np.arange(sc.COMPILED_FROM)
    sc.strong_components(len(large), large, large)
    assert used == ["python", "scipy"]


def test_a_small_liveness_spec_is_checked_without_importing_scipy() -> None:
    """The point of the Python search: a designer's spec of a few hundred states pays
    no scipy import (a fresh process, since other tests import scipy)."""
    code = ("import sys\n"
            "from lifecheck.modelling.spec import load_specs\n"
            "from lifecheck.explore.verdict import check_spec\n"
            "[spec] = [s for s in load_specs('specs/segment_commit.py')\n"
            "          if s.name == 'index-upload/shutdown-fix/remote-failures']\n"
            "result = check_spec(spec)\n"
            "print(result.verdict, bool(result.fairness), 'scipy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    assert out == ["violated", "True", "False"]
