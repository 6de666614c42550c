"""Specs: what must hold, how hard to push, and what verdict to expect.

A spec pairs a model instance (its parameters are the bounds of the proof) with
fault kinds and budgets, the properties to check, fairness for liveness, and the
verdict it expects. Spec files are Python modules with a module-level ``SPECS``
list; ``lifecheck check specs/`` loads every one of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecheck.contract import LIVENESS_KINDS, Bounds
from lifecheck.errors import ModelError, SpecError
from lifecheck.modelling.compile import ModelSystem
from lifecheck.modelling.constraint import ActionConstraint, StateConstraint, compile_constraint
from lifecheck.modelling.fairness import FairnessRule, names_in
from lifecheck.modelling.faults import FaultKind
from lifecheck.modelling.loader import import_hint, import_spec_file
from lifecheck.modelling.model import Model
from lifecheck.result import ERROR, HOLDS, INCOMPLETE, VIOLATED, Expectation


def holds() -> Expectation:
    """Every checked property holds within the spec's bounds."""
    return Expectation(HOLDS)


def violated(*properties: str) -> Expectation:
    """Exactly these properties are violated (all of them, and no others)."""
    return Expectation(VIOLATED, tuple(properties))


def incomplete() -> Expectation:
    """The run is expected to hit a bound (for specs that exist to exercise bounds)."""
    return Expectation(INCOMPLETE)


@dataclass
class Spec:
    """One check: a model, its faults, the properties, and the expected verdict.

    The expected verdict is part of the spec because a shipped design is often
    expected to fail: the check then proves the counterexample still exists, and a
    change that makes it vanish (or a new property fail) is a change to look at.
    """

    #: Unique among the specs checked together; ``/`` groups them
    #: (``extraction/in-place/crash``), and ``PATH::NAME`` selects by it.
    name: str
    #: The model instance; its parameters are the bounds of the proof.
    model: Model
    #: :func:`~lifecheck.holds`, :func:`~lifecheck.violated` or :func:`~lifecheck.incomplete`.
    expect: Expectation
    #: Fault kinds and their budgets: :class:`~lifecheck.Crash`, :class:`~lifecheck.PowerLoss`,
    #: :class:`~lifecheck.Fail` (every kind the model's ``fault()`` calls use needs one).
    faults: Sequence[FaultKind] = ()
    properties: Sequence[str] | None = None  #: None: every property the model declares
    bounds: Bounds = field(default_factory=Bounds)  #: hitting one makes the verdict ``incomplete``
    #: What liveness may assume: names of actions, processes, roles or process classes
    #: that are weakly fair (one unit per process and action), and rules
    #: :class:`~lifecheck.Weak` and :class:`~lifecheck.Strong` that say the strength and
    #: the unit (``Strong("receive", per="instance")``). None: every action weakly fair.
    fairness: Sequence[str | FairnessRule] | None = None
    #: Report a state with no enabled step as a ``Deadlock`` unless a
    #: :func:`~lifecheck.final` predicate holds there.
    deadlock: bool = True
    #: A state constraint, ``lambda m: ...`` on the model as a property reads it: states
    #: outside are checked but not explored (TLC's CONSTRAINT; lifecheck.modelling.constraint).
    constraint: StateConstraint | None = None
    #: An action constraint, ``lambda before, after: ...``: steps outside lead to states
    #: that are checked but not explored (TLC's ACTION_CONSTRAINT).
    action_constraint: ActionConstraint | None = None
    symmetry: Sequence[str] = ()  #: roles whose processes are interchangeable (safety only)
    covers: str = ""  #: in words: what the proof covers (the bounds a "holds" speaks for)
    #: (distinct states, transitions) agreed by other tools, which ``lifecheck bench``
    #: holds every explorer to.
    known_counts: tuple[int, int] | None = None
    source: str = ""  #: the spec file it was loaded from (set by the loader)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError("a spec needs a non-empty name")
        if not isinstance(self.model, Model):
            raise SpecError(f"model must be a Model instance such as UnpackInPlace(files=2), "
                            f"got {self.model!r}", spec=self.name)
        if not isinstance(self.expect, Expectation):
            raise SpecError("expect must be holds(), violated(...) or incomplete(), "
                            f"got {self.expect!r}", spec=self.name)
        if self.expect.verdict == ERROR:
            raise SpecError("a spec cannot expect an error", spec=self.name)
        if isinstance(self.faults, FaultKind):
            self.faults = [self.faults]
        if not isinstance(self.faults, (list, tuple)):
            raise SpecError(f"faults must be a list such as [Crash(max=2)], got {self.faults!r}",
                            spec=self.name)
        for f in self.faults:
            if not isinstance(f, FaultKind):
                raise SpecError(f"faults must be Crash(...), Stop(...), Pause(...), PowerLoss(...) or "
                                f"Fail(...), got {f!r}",
                                spec=self.name)
            if not isinstance(f.max, int) or f.max < 0:
                raise SpecError(f"fault budget {f!r} must be a whole number >= 0", spec=self.name)

    def system(self) -> ModelSystem:
        try:
            system = ModelSystem(self.model, self.faults, name=self.name, fair=self.fairness,
                                 properties=self.properties, symmetry=tuple(self.symmetry))
        except ModelError as exc:
            raise exc.within(spec=self.name) from None
        system.spec_file = str(Path(self.source).resolve()) if self.source else ""
        if self.constraint is not None or self.action_constraint is not None:
            live = [p.name for p in system.properties if p.kind in LIVENESS_KINDS]
            if live:
                raise SpecError(f"checks liveness ({', '.join(live)}) under a state or action "
                                "constraint: behaviours that leave the constraint are cut off "
                                "there, so a liveness property could seem to hold when it does "
                                "not; bound the model by its parameters instead, or check the "
                                "safety properties alone (properties=[...])", spec=self.name)
            try:
                system.constraint = compile_constraint(system, self.constraint,
                                                       self.action_constraint)
                # (the vector explorer learns them as it learns properties)
                system.constraint_fns = (self.constraint, self.action_constraint)
            except ModelError as exc:
                raise exc.within(spec=self.name) from None
        known = system.fairness_names()
        unknown = list(dict.fromkeys(n for n in names_in(system.fair_rules) if n not in known))
        if unknown:
            raise SpecError(f"fairness names {', '.join(map(repr, unknown))}, which the model "
                            f"does not have (it may name actions, processes, roles and process "
                            f"classes: {', '.join(sorted(known))})", spec=self.name)
        overlap = system.fairness_overlap()
        if overlap:
            raise SpecError(f"fairness: {overlap}", spec=self.name)
        if self.expect.verdict == VIOLATED:
            declared = {p.name for p in system.properties}
            declared |= {"Deadlock", "AssertionInAction", "ExceptionInAction"}
            unknown = [p for p in self.expect.properties if p not in declared]
            if unknown:
                raise SpecError(f"expects {', '.join(unknown)} to be violated, but the spec does "
                                f"not check such a property (checked: "
                                f"{', '.join(sorted(p.name for p in system.properties))})",
                                spec=self.name)
        return system

    def safety_only(self, **changes: Any) -> Spec:
        """This spec with its liveness properties dropped, and no expectation to meet.

        For runs that cover safety only (symmetry reduction) and are
        compared with another run rather than with the expected verdict.
        """
        decls = list(self.model.property_decls().values())
        chosen = self.properties if self.properties is not None else [d.name for d in decls]
        live = {d.name for d in decls if d.kind in LIVENESS_KINDS}
        return dataclasses.replace(self, properties=[n for n in chosen if n not in live],
                                   expect=holds(), **changes)

    def describe_faults(self) -> str:
        return ", ".join(f.describe() for f in self.faults) or "none"


def load_specs(target: str) -> list[Spec]:
    """Specs from ``PATH`` (a file or a folder of spec files) or ``PATH::NAME``."""
    path_text, _, name = target.partition("::")
    path = Path(path_text)
    if not path.exists():
        raise SpecError(f"no such spec file or folder: {path_text}")
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    specs: list[Spec] = []
    for file in files:
        if file.name.startswith("_"):
            continue
        specs.extend(_load_file(file))
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        where = "; ".join(f"{n} in {', '.join(sorted({s.source for s in specs if s.name == n}))}"
                          for n in dupes)
        raise SpecError(f"spec names must be unique; repeated: {where}")
    if name:
        chosen = [s for s in specs if s.name == name or s.name.startswith(name + "/")]
        if not chosen:
            raise SpecError(f"no spec named {name!r} in {path_text} (there: {', '.join(names)})")
        return chosen
    return specs


def _load_file(file: Path) -> list[Spec]:
    try:
        module = import_spec_file(file)
    except SpecError:
        raise
    except ModelError as exc:
        raise SpecError(f"{file}: {exc}") from None
    except Exception as exc:
        line = _line_in(file, exc)
        hint = import_hint(file, exc) if isinstance(exc, ImportError) else ""
        raise SpecError(f"{file}{line}: loading the spec file raised {type(exc).__name__}: {exc}{hint}"
                        ) from None
    specs = getattr(module, "SPECS", None)
    if specs is None:
        raise SpecError(f"{file}: defines no SPECS list (a module of helpers for spec files "
                        "should have a name starting with '_')")
    if not isinstance(specs, (list, tuple)) or not all(isinstance(s, Spec) for s in specs):
        raise SpecError(f"{file}: SPECS must be a list of Spec objects")
    for s in specs:
        s.source = str(file)
    return list(specs)


def _line_in(file: Path, exc: BaseException) -> str:
    tb = exc.__traceback__
    line = ""
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == file.resolve():
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line
