"""Symmetry of a compiled model: canonical states, and the on-the-fly check that it holds.

Merging a state with its mirror image (two processes of a symmetric role swapped) is
sound only if swapping commutes with every step and leaves every property and the
final-state predicate unchanged; :class:`Mirrored` checks that on sampled states and
refuses the spec, with the reason, when it does not hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lifecheck.contract import (
    ALWAYS,
    SOMETIMES,
    TRANSITION,
    ActionFailure,
    Step,
)
from lifecheck.errors import ModelError
from lifecheck.modelling.blame import step_key
from lifecheck.modelling.symmetry import GluedName, Reducer, generators, renamings
from lifecheck.typed_values import same_typed, typed_key
from lifecheck.values import FrozenMap

if TYPE_CHECKING:
    from lifecheck.modelling.compile import ModelSystem


def refused_index(role_attr: str) -> property:
    def get(view: Any) -> int:
        where = view._ctx.where or "model code"
        raise ModelError(
            f"{where} read {view.name}.index, but with symmetry=({role_attr!r},) the processes "
            f"of {role_attr} are interchangeable and nothing may depend on a process's position "
            f"(a stored index is not renamed when processes are swapped); refer to the process "
            f"by its name ({view.name}.name), or drop symmetry for this spec")

    return property(get)


def _mentions(value: Any, text: str) -> bool:
    if isinstance(value, str):
        return value == text
    if isinstance(value, (tuple, frozenset)):
        return any(_mentions(v, text) for v in value)
    if isinstance(value, FrozenMap):
        return any(_mentions(k, text) or _mentions(v, text) for k, v in value.items())
    return False


def _check_mirror(system: ModelSystem, swap: Any, state: tuple,
                  succs: Sequence[tuple[Step, Any]]) -> None:
    """One swap of two processes against one state (see ``ModelSystem.check_symmetry``)."""
    a, b = sorted(swap.names)
    pair = f"{a} and {b}"
    roles = ", ".join(system.symmetry)
    broken = f"symmetry of {roles} does not hold"
    advice = ("the model treats the processes differently (by position, by the order of "
              "their names, or through a value that is not renamed); drop symmetry for this spec "
              "or make the processes interchangeable")
    mirror = swap.apply(state)
    for p in system.properties:
        if p.kind in (ALWAYS, SOMETIMES) and p.check(state) != p.check(mirror):
            seen = ", ".join(f"{k}={v!r}" for k, v in system.observe(p.name, state)) or "nothing"
            raise ModelError(f"{broken}: property {p.name} is {p.check(state)} on a state and "
                             f"{p.check(mirror)} on its mirror image with {pair} swapped (it "
                             f"reads {seen}); {advice}")
    if system.constraint is not None and \
            system.in_model(None, state) != system.in_model(None, mirror):
        raise ModelError(f"{broken}: the state constraint holds on a state but not on its "
                         f"mirror image with {pair} swapped; {advice}")
    if system.is_final(state) != system.is_final(mirror):
        raise ModelError(f"{broken}: a final-state predicate holds on a state but not on its "
                         f"mirror image with {pair} swapped; {advice}")
    theirs = system.successors(mirror)
    key = system.state_key
    # Branches are paired by their steps: run_branches refuses one step naming two branches
    # that end apart, so a step repeated in the list repeats its outcome too.
    want = {step_key(_mirror_step(swap, step)): out for step, out in succs}
    got = {step_key(step): (step, out) for step, out in theirs}
    for step, out in succs:
        image = _mirror_step(swap, step)
        _, other = got.get(step_key(image), (None, _NONE))
        who = f"{step.who()} {step.label()}"
        if other is _NONE:
            raise ModelError(f"{broken}: {who} is enabled in a state, but in its mirror image "
                             f"with {pair} swapped {image.who()} {image.label()} is not; {advice}",
                             action=who)
        if isinstance(out, ActionFailure) or isinstance(other, ActionFailure):
            if not (isinstance(out, ActionFailure) and isinstance(other, ActionFailure)
                    and out.kind == other.kind):
                raise ModelError(f"{broken}: {who} gives {_outcome(out)}, and in the mirror image "
                                 f"with {pair} swapped {image.who()} {image.label()} gives "
                                 f"{_outcome(other)}; {advice}", action=who)
            continue
        expected = swap.apply(out)
        if system.constraint is not None and \
                system.in_model(state, out) != system.in_model(mirror, other):
            raise ModelError(f"{broken}: {who} stays inside the constraints from a state, but "
                             f"not from its mirror image with {pair} swapped (or the other way "
                             f"round); {advice}", action=who)
        if key(expected) != key(other):
            mine, there = system.describe(expected), system.describe(other)
            field = next((k for k in mine if not same_typed(mine[k], there.get(k))), "the state")
            raise ModelError(f"{broken}: after {who}, swapping {pair} gives {field}="
                             f"{mine.get(field)!r}, but {image.who()} {image.label()} from the "
                             f"mirror image gives {field}={there.get(field)!r}; {advice}",
                             action=who)
        for p in system.properties:
            if p.kind == TRANSITION and p.check(state, out) != p.check(mirror, other):
                raise ModelError(f"{broken}: property {p.name} across {who} differs from "
                                 f"across its mirror image with {pair} swapped; {advice}",
                                 action=who)
    for key, (step, _) in got.items():
        if key not in want:
            image = _mirror_step(swap, step)
            raise ModelError(f"{broken}: {step.who()} {step.label()} is enabled in a state, "
                             f"but in its mirror image with {pair} swapped {image.who()} "
                             f"{image.label()} is not; {advice}", action=f"{step.who()} {step.label()}")


_NONE = object()


def _mirror_step(swap: Any, step: Step) -> Step:
    return step._replace(process=swap.names.get(step.process, step.process),
                         params=swap.rename(step.params), choices=swap.rename(step.choices))


def _outcome(out: Any) -> str:
    return f"{out.property_name} ({out.message})" if isinstance(out, ActionFailure) else "a state"


class Mirrored:
    """The symmetry part of a compiled model (mixed into ModelSystem)."""

    # -- symmetry -----------------------------------------------------------------------
    def _setup_symmetry(self, roles: Sequence[str]) -> None:
        live = [p.name for p in self.properties if p.is_liveness]
        if roles and live:
            raise ModelError(
                f"symmetry reduction covers safety properties only, and this spec checks "
                f"liveness ({', '.join(live)}): fairness is per process, which renaming "
                "processes does not preserve; check liveness in a spec without symmetry")
        groups = [([p.index for p in self._role_parts[r]], [p.prefix[:-1] for p in self._role_parts[r]])
                  for r in roles if len(self._role_parts[r]) > 1]
        #: The state parts of each group of interchangeable processes (a role of two or more).
        self.symmetric_parts = [parts for parts, _ in groups]
        self._renamings = renamings(groups)
        self._generators = generators(groups)
        self._reducer = Reducer(self._renamings, self.symmetric_parts, self.renames)
        self._reducer_for = 0
        self.reduces_symmetry = bool(self._renamings)

    def canonical(self, state: tuple) -> tuple:
        reducer = self._reducer
        if self._reducer_for != self.typed.version:
            self._reducer_for = self.typed.version
            reducer.typed = self.typed_parts()
        try:
            return reducer.canonical(state)
        except GluedName as exc:
            raise self._glued(state, exc) from None

    def renames(self, value: Any) -> bool:
        """Whether renaming the interchangeable processes can change ``value`` (a name glued
        to letters or digits counts: it cannot be renamed). The mirror images of a state
        whose values no renaming changes are its rearrangements of processes, found without
        renaming anything (see lifecheck.explore.vector.orbits)."""
        try:
            key = typed_key(value)
            return any(typed_key(swap.rename(value)) != key for swap in self._generators)
        except GluedName:
            return True

    def _glued(self, state: tuple, exc: GluedName) -> ModelError:
        where = next((f"field {name}" for name, value in self.describe(state).items()
                      if _mentions(value, exc.text)), "a field")
        return ModelError(
            f"symmetry of {', '.join(self.symmetry)}: {where} holds {exc.text!r}, where the "
            f"process name {exc.name!r} is glued to letters or digits, so it cannot be told "
            f"whether it refers to {exc.name}; a name is renamed where it stands alone or "
            f"between characters that are not letters or digits ({exc.name!r}, "
            f"'/data/{exc.name}_0', 'lock-{exc.name}'): separate it, or drop symmetry for "
            "this spec")

    def check_symmetry(self, state: tuple, succs: Sequence[tuple[Step, Any]]) -> None:
        """Swapping two processes of a symmetric role must commute with every step and
        leave every property and the final-state predicate unchanged (checked on sampled
        states): otherwise merging a state with its mirror image could hide a violation."""
        for swap in self._generators:
            try:
                _check_mirror(self, swap, state, succs)
            except GluedName as exc:
                holder = next((out for _, out in succs if isinstance(out, tuple)
                               and any(_mentions(v, exc.text) for v in self.describe(out).values())),
                              state)
                raise self._glued(holder, exc) from None
