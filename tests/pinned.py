"""Pinned outcomes of a lifecycle's specs: the checks every lifecycle's tests share.

A lifecycle's test module pins, per spec, the verdict, the exact set of violated
properties, the distinct states and the depth, and gets three tests from here:
every spec is pinned (and says what its proof covers), each outcome is the pinned
one, and every spec that holds fired every action (a proof over an action that
never runs says nothing about it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from lifecheck import Spec, check_spec
from lifecheck.result import Result, Violation

FINGERPRINTED = "fingerprint 64-bit: the chance that two states collided"  # (the text report's line)

Pin = tuple[str, frozenset[str], int, int]  # verdict, violated properties, states, depth


class PinnedSpecs:
    def __init__(self, specs: Sequence[Spec], pinned: dict[str, Pin]) -> None:
        self.specs = list(specs)
        self.pinned = pinned
        self._results: dict[str, Result] = {}

    def result_of(self, name: str) -> Result:
        """The spec's result, checked once per test session."""
        if name not in self._results:
            (spec,) = [s for s in self.specs if s.name == name]
            self._results[name] = check_spec(spec)
        return self._results[name]

    def tests(self) -> tuple[Callable[..., None], ...]:
        pinned, specs, result_of = self.pinned, self.specs, self.result_of

        def test_every_spec_is_pinned_and_names_are_unique() -> None:
            names = [s.name for s in specs]
            assert len(names) == len(set(names))
            assert set(names) == set(pinned)
            assert all(s.covers for s in specs), "each spec says what its proof covers"

        @pytest.mark.parametrize("name", list(pinned))
        def test_spec_outcome(name: str) -> None:
            verdict, violated, states, depth = pinned[name]
            result = result_of(name)
            assert result.error == ""
            assert result.verdict == verdict
            assert frozenset(result.violated_properties) == violated
            assert result.matches
            assert (result.stats.distinct_states, result.stats.depth) == (states, depth)

        @pytest.mark.parametrize("name", [n for n, pin in pinned.items() if pin[0] == "holds"])
        def test_holds_specs_cover_every_action(name: str) -> None:
            result = result_of(name)
            # Nothing vacuous (a run handed over to fingerprints reports its collision
            # chance as a figure, not as a warning).
            assert result.warnings == []
            assert all(count > 0 for count in result.coverage.values()), result.coverage

        return (test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
                test_holds_specs_cover_every_action)


def steps(trace: Any) -> list[str]:
    """A trace as "process action" lines, the form counterexamples are pinned in."""
    return [f"{s.process or 'env'} {s.label}" for s in trace.steps]


def violation(result: Result, prop: str) -> Violation:
    """The one violation of ``prop`` in ``result``."""
    (v,) = [v for v in result.violations if v.property == prop]
    return v
