"""Holding real code to the model that was checked: lockstep conformance tests.

A model proves a design; the code written from it can still diverge. Here the
stateful test of :mod:`lifecheck.stateful` drives a real implementation beside the
model. At every step the model takes, an :class:`Adapter` makes the
implementation do the same (the same process, action and parameters, and the
same outcome where the model chose one: a failed call, a crash), then the
implementation's state is observed and compared with the model's state after
that step. The run fails on

* a **divergence**: the implementation reached a state the model's step does not
  lead to (or raised where the model did not), and
* a **property violation**: the implementation agreed with the model at every
  step, so the state it is in breaks the property the model's state breaks.

The second is only sound if the observations pin down every field the
properties read. Adapters say which model fields their observations cover
(``covers``), and a property that reads a field outside them is refused with a
message saying what to add, rather than trusted on the model's word.

A failure is shortened by rerunning candidate sequences against a fresh
implementation each time, so the sequence reported is one that the real code
itself fails on (see :func:`conformance_settings`).
"""

from __future__ import annotations

import fnmatch
import shutil
import tempfile
import unittest
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import hypothesis
from hypothesis import Phase

from lifecheck.contract import ALWAYS, Step, TransitionSystem
from lifecheck.errors import ModelError
from lifecheck.modelling.spec import Spec
from lifecheck.stateful import (
    PHASES,
    LifecycleMachine,
    StatefulViolation,
    as_test_case,
    class_name,
    find_violation,
    lifecycle_settings,
    machine,
)
from lifecheck.walks.walk import Broken, Problem, Rerun, Walk, find_step

CONFORMANCE = "Conformance"
"""The name a divergence is reported under, as if it were a property."""

MAX_DIFFS = 4
MAX_VALUE = 120


class ConformanceError(ModelError):
    """The conformance test is set up wrongly (not: the implementation is wrong)."""


class Divergence(Exception):
    """Raised by an adapter when the implementation cannot take the model's step: it is about
    to do something else, or it is down where the model's process is up."""


class Adapter(ABC):
    """One fresh implementation under test, driven in lockstep with the model.

    A new adapter is made for every example Hypothesis runs, in a directory of its
    own, and closed afterwards whatever happened.
    """

    covers: Sequence[str] = ()
    """Model fields (``fnmatch`` patterns such as ``"broker*.phase"``) whose values the
    observations pin down. Needed when :meth:`expect` is overridden; otherwise the
    observations are model fields by name and cover themselves."""

    @abstractmethod
    def perform(self, step: Step) -> None:
        """Make the implementation take ``step``: the process's action with its parameters,
        with the outcome the model chose (``step.fault`` names a failed call or a crash)."""

    @abstractmethod
    def observe(self) -> dict[str, Any]:
        """The implementation's state, as named observations (the abstraction function)."""

    def expect(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The same observations of the model's state, from its fields (``describe()``).

        By default each observation is the model field of the same name; override it
        when an observation is derived (the files under a directory, say), and
        declare :attr:`covers`.
        """
        unknown = sorted(k for k in self.observe() if k not in fields)
        if unknown:
            raise ConformanceError(f"observe() returns {', '.join(unknown)}, which the model has no "
                                   f"field of that name for (fields: {', '.join(fields)}); "
                                   "override expect() to derive them from the model's fields")
        return {k: fields[k] for k in self.observe()}

    def close(self) -> None:  # noqa: B027 - optional: not every implementation holds anything
        """Stop processes and release what the implementation holds."""


AdapterFactory = Callable[[TransitionSystem, Path], Adapter]


@dataclass
class Conformance:
    """A spec (the model, its faults and properties) and how to drive a real implementation of it."""

    spec: Spec
    adapter: AdapterFactory
    name: str = ""
    workdir: Path | None = None  # where each example gets a fresh directory (default: the temp dir)

    def __post_init__(self) -> None:
        if not isinstance(self.spec, Spec):
            raise ConformanceError(f"Conformance needs a Spec, got {self.spec!r}")
        if not callable(self.adapter):
            raise ConformanceError("Conformance needs an adapter factory: a callable taking the "
                                   f"system and a fresh directory, got {self.adapter!r}")
        self.name = self.name or self.spec.name


# ======================================================================================
# Driving an implementation beside the model
# ======================================================================================

class Lockstep:
    """One implementation driven beside one walk through the model."""

    def __init__(self, conformance: Conformance, system: TransitionSystem) -> None:
        self.conformance = conformance
        self.system = system
        self.adapter: Adapter | None = None
        self.directory: Path | None = None
        self._checked = _CHECKED.setdefault(system, set())
        self._patterns: tuple[str, ...] = ()

    def open(self, walk: Walk) -> list[Problem]:
        base = self.conformance.workdir
        if base is not None:
            Path(base).mkdir(parents=True, exist_ok=True)
        self.directory = Path(tempfile.mkdtemp(prefix="lifecheck-", dir=base))
        adapter = self.conformance.adapter(self.system, self.directory)
        if not isinstance(adapter, Adapter):
            raise ConformanceError(f"{self.conformance.name}: the adapter factory returned "
                                   f"{adapter!r}, not an Adapter")
        self.adapter = adapter
        overridden = type(adapter).expect is not Adapter.expect
        if overridden and not adapter.covers:
            raise ConformanceError(f"{type(adapter).__name__} derives its own expected observations "
                                   "(expect()), so it must say which model fields they pin down: "
                                   "set covers = (...) to the fields its observations determine")
        self._patterns = tuple(adapter.covers) if overridden else ()
        return self.compare(walk, None)

    def follow(self, walk: Walk, step: Step, problems: list[Problem]) -> list[Problem]:
        """After the model took ``step``: take it in the implementation, then compare."""
        if walk.failure is not None:
            return problems  # the model's own code raised: that is the finding
        assert self.adapter is not None
        try:
            self.adapter.perform(step)
        except ConformanceError:
            raise
        except Divergence as exc:
            return [Problem(CONFORMANCE, "divergence", f"the implementation cannot take "
                            f"{step.who()} {step.label()}: {exc}")]
        except Exception as exc:
            return [Problem(CONFORMANCE, "divergence",
                            f"the implementation raised {type(exc).__name__}: {exc} on "
                            f"{step.who()} {step.label()}, which the model takes without error")]
        return self.compare(walk, step) or problems

    def compare(self, walk: Walk, step: Step | None) -> list[Problem]:
        assert self.adapter is not None
        observed = self.adapter.observe()
        expected = self.adapter.expect(self.system.describe(walk.state))
        if not self._patterns:
            self._patterns = tuple(observed)
        diffs = [(k, expected.get(k, _MISSING), observed.get(k, _MISSING))
                 for k in sorted(set(observed) | set(expected), key=str)
                 if expected.get(k, _MISSING) != observed.get(k, _MISSING)]
        if diffs:
            where = f"after {step.who()} {step.label()}" if step else "in the initial state"
            parts = [f"{k} is {_short(o)} where the model has {_short(e)}" for k, e, o in diffs]
            more = f" (and {len(parts) - MAX_DIFFS} more)" if len(parts) > MAX_DIFFS else ""
            return [Problem(CONFORMANCE, "divergence",
                            f"the implementation diverged {where}: " + "; ".join(parts[:MAX_DIFFS])
                            + more)]
        self._check_coverage(walk)
        return []

    def _check_coverage(self, walk: Walk) -> None:
        """Refuse a property that reads a field the observations do not pin down: its verdict
        on the implementation would be the model's guess, not an observation.

        What a property reads depends on the state (``a or b`` stops early), so every
        state is looked at, once.
        """
        if walk.state in self._checked:
            return
        for prop in self.system.properties:
            if prop.kind != ALWAYS:
                continue
            for name in self.system.fields_read(prop.name, walk.state):
                if not any(fnmatch.fnmatchcase(name, pattern) for pattern in self._patterns):
                    raise ConformanceError(
                        f"{self.conformance.name}: property {prop.name} reads {name}, which the "
                        f"adapter's observations do not cover (covers: {', '.join(self._patterns)}); "
                        "observe it and add it to covers, or leave the property out of the spec")
        self._checked.add(walk.state)

    def close(self) -> None:
        try:
            if self.adapter is not None:
                self.adapter.close()
        finally:
            self.adapter = None
            if self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)
                self.directory = None


_CHECKED: weakref.WeakKeyDictionary[TransitionSystem, set[Any]] = weakref.WeakKeyDictionary()
"""Per system, the states whose properties' reads were found covered (shared by every example)."""


class _Missing:
    def __repr__(self) -> str:
        return "(nothing)"


_MISSING = _Missing()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 3] + "..."


def lockstep_rerun(conformance: Conformance, system: TransitionSystem, init: int,
                   deadlock: bool) -> Rerun:
    """Rerun steps on the model and a fresh implementation together (for shortening a failure)."""
    def run(steps: Sequence[Step]) -> Broken | None:
        walk = Walk(system, init, deadlock=deadlock)
        lockstep = Lockstep(conformance, system)
        try:
            found = lockstep.open(walk) or walk.problems()
            for step in steps:
                if found:
                    break
                index = find_step(walk.successors(), step)
                if index is not None:
                    found = lockstep.follow(walk, walk.successors()[index][0], walk.take(index))
            return Broken(walk.key, found[0], walk.steps) if found else None
        finally:
            lockstep.close()

    return run


class LockstepMachine(LifecycleMachine):
    """A stateful test of the model that drives a real implementation beside it."""

    conformance: ClassVar[Conformance]
    lockstep: Lockstep | None = None

    def _started(self) -> list[Problem]:
        assert self.walk is not None
        if self.lockstep is not None:  # the lifecycle starts again: on a fresh implementation
            self.lockstep.close()
        self.lockstep = Lockstep(self.conformance, self.system)
        return self.lockstep.open(self.walk)

    def _stepped(self, step: Step, problems: list[Problem]) -> list[Problem]:
        assert self.walk is not None and self.lockstep is not None
        return self.lockstep.follow(self.walk, step, problems)

    def _rerun(self) -> Rerun:
        assert self.walk is not None
        return lockstep_rerun(self.conformance, self.system, self.walk.key[0], self.deadlock)

    def _note(self, problem: Problem) -> str:
        if problem.property == CONFORMANCE:
            return ("The implementation reached a state the model's step does not lead to: it does "
                    "not implement the design that was checked.")
        return (f"The implementation agreed with the model at every step, so it breaks "
                f"{problem.property} too: the real code has the bug the model shows.")

    def teardown(self) -> None:
        if self.lockstep is not None:
            self.lockstep.close()
            self.lockstep = None


def lockstep_machine(conformance: Conformance, *, workdir: Path | None = None) -> type[LockstepMachine]:
    """A ``RuleBasedStateMachine`` class driving ``conformance``'s implementation beside its model."""
    if workdir is not None:
        conformance = Conformance(conformance.spec, conformance.adapter, conformance.name, workdir)
    cls = machine(conformance.spec, name=class_name(conformance.name) + "Conformance",
                  base=LockstepMachine, extra={"conformance": conformance})
    return cls  # type: ignore[return-value]


SHRINK_FREE = tuple(p for p in PHASES if p is not Phase.shrink)


def conformance_settings(base: hypothesis.settings | None = None, **changes: Any) -> hypothesis.settings:
    """Settings for a conformance test: as for a model's stateful test, without Hypothesis's
    shrink phase.

    Shrinking reruns the implementation for every candidate, and Hypothesis's
    shrinker tries hundreds (it made a failing run five times slower with real
    processes). The failure is shortened instead by rerunning candidate step
    sequences on the model and a fresh implementation together
    (``lockstep_rerun``), which needs a few dozen; the trace reported is the
    shortest sequence the real code itself was seen to fail on. Hypothesis still
    prints the program of the run that failed first.
    """
    changes.setdefault("phases", SHRINK_FREE)
    return lifecycle_settings(base, **changes)


def conformance_test(conformance: Conformance, *, settings: hypothesis.settings | None = None,
                     seed: int | None = None, workdir: Path | None = None) -> type[unittest.TestCase]:
    """One line in a test module holds an implementation to its model::

        TestRealUnpacker = conformance_test(RENAME_FSYNC, seed=0)

    ``seed`` fixes Hypothesis's random choices, so the run is the same every time;
    each example's implementation gets a fresh directory under ``workdir`` (default:
    the system's temporary folder), removed when the example ends.
    """
    return as_test_case(lockstep_machine(conformance, workdir=workdir),
                        settings=settings or conformance_settings(), seed=seed)


def check_conformance(conformance: Conformance, *, workdir: Path | None = None,
                      settings: hypothesis.settings | None = None,
                      seed: int | None = 0) -> StatefulViolation | None:
    """Run the conformance test; the shrunk failure (a divergence or a property the
    implementation breaks), or None when the implementation followed the model throughout."""
    return find_violation(lockstep_machine(conformance, workdir=workdir),
                          settings=settings or conformance_settings(database=None), seed=seed)
