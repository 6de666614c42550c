"""Fairness as a spec states it: which steps are fair, how strongly, and in what units.

Liveness is only as meaningful as the fairness it assumes. A spec's ``fairness=``
lists plain names (weakly fair, one unit per process and action: the meaning it
always had) and rules, :class:`Weak` and :class:`Strong`, that name the strength
and the unit. A unit is what fairness counts as one action: it is *enabled* in a
state when one of its steps is among the state's successors (a step whose action
fails counts: it is taken, and fails), and *taken* by a step of it. The units:

* ``per="process"``: the steps of one process that the rule names (an environment
  step's process is ``env``);
* ``per="action"``: the steps of one action in one process, every parameter value
  together (``broker1.unpack`` for any file);
* ``per="instance"``: the steps of one action in one process with one tuple of
  parameter values (``broker1.unpack(file=2)``), whatever it chooses.

Faults are never fair. A step belongs to at most one rule: a step named by two
rules of different strength or unit would leave it unclear what it pays for, so
the spec is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from lifecheck.contract import Fairness, Step
from lifecheck.errors import ModelError

UNITS = ("process", "action", "instance")
WEAK, STRONG = "weak", "strong"


class FairnessRule:
    """Fairness of one strength over the steps of the named actions, processes, roles
    or process classes (none: every action), counted per process, action or instance."""

    strength = WEAK

    def __init__(self, *names: str, per: str = "action") -> None:
        for name in names:
            if not isinstance(name, str) or not name:
                raise ModelError(f"{type(self).__name__}(...) takes names of actions, processes, "
                                 f"roles or process classes, got {name!r}")
        if per not in UNITS:
            raise ModelError(f"{type(self).__name__}(per={per!r}): the unit of fairness is one "
                             f"of {', '.join(map(repr, UNITS))}")
        self.names = tuple(names)
        self.per = per

    def describe(self) -> str:
        text = f"{self.strength} fairness on "
        text += ", ".join(sorted(set(self.names))) if self.names else "every action"
        return text + ("" if self.per == "action" else f" per {self.per}")

    def as_data(self) -> tuple[str, str, tuple[str, ...] | None]:
        return (self.strength, self.per, tuple(sorted(set(self.names))) if self.names else None)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FairnessRule) and other.as_data() == self.as_data()

    def __hash__(self) -> int:
        return hash(self.as_data())

    def __repr__(self) -> str:
        args = [repr(n) for n in self.names]
        if self.per != "action":
            args.append(f"per={self.per!r}")
        return f"{type(self).__name__}({', '.join(args)})"


class Weak(FairnessRule):
    """Weak fairness: a unit enabled continuously from some point on is taken infinitely
    often (TLA+'s ``WF``). It may starve if it is disabled now and then."""

    strength = WEAK


class Strong(FairnessRule):
    """Strong fairness: a unit enabled infinitely often is taken infinitely often (TLA+'s
    ``SF``), for a step that other steps keep disabling, such as receiving from a lossy
    channel."""

    strength = STRONG


EVERY_ACTION = Weak()


def as_rules(entries: Sequence[Any] | None) -> list[FairnessRule]:
    """A spec's ``fairness=`` as rules: None is every action weakly fair, per action; the
    plain names together are one weak rule, per action."""
    if entries is None:
        return [EVERY_ACTION]
    if isinstance(entries, (str, FairnessRule)):
        raise ModelError(f"fairness must be a list, such as [{entries!r}]")
    plain = [e for e in entries if isinstance(e, str)]
    rules = [e for e in entries if isinstance(e, FairnessRule)]
    odd = [e for e in entries if not isinstance(e, (str, FairnessRule))]
    if odd:
        raise ModelError(f"fairness lists names, Weak(...) and Strong(...), got {odd[0]!r}")
    return ([Weak(*plain)] if plain else []) + rules


def names_in(rules: Iterable[FairnessRule]) -> list[str]:
    return [n for rule in rules for n in rule.names]


def spec_fairness(rules: list[FairnessRule],
                  names_of: Callable[[str | None, str], set[str]]) -> Fairness:
    """The units of ``rules``; ``names_of(process, action)`` gives the names a step
    answers to (its action, process, role and process class)."""
    per_process = {rule.describe(): rule for rule in rules if rule.per == "process"}
    known: dict[tuple[str | None, str], FairnessRule | None] = {}  # asked once per transition

    def rule_of(process: str | None, action: str) -> FairnessRule | None:
        key = (process, action)
        if key not in known:
            names = names_of(process, action)
            known[key] = next((r for r in rules if not r.names or names & set(r.names)), None)
        return known[key]

    def classify(step: Step) -> Hashable | None:
        if step.is_fault:
            return None
        rule = rule_of(step.process, step.action)
        if rule is None:
            return None
        if rule.per == "process":
            return (step.process, rule.describe())
        if rule.per == "instance":
            return (step.process, step.action, step.params)
        return (step.process, step.action)

    def is_strong(unit: Hashable) -> bool:
        assert isinstance(unit, tuple)
        rule = per_process.get(unit[1]) or rule_of(unit[0], unit[1])
        return rule is not None and rule.strength == STRONG

    description = "; ".join(rule.describe() for rule in rules) or "no fairness"
    return Fairness(classify, description, is_strong, tuple(rule.as_data() for rule in rules))


def overlaps(rules: list[FairnessRule], steps: Iterable[tuple[str | None, str]],
             names_of: Callable[[str | None, str], set[str]]) -> str:
    """The first (process, action) that two rules name, said in words; "" if none."""
    for process, action in steps:
        names = names_of(process, action)
        matching = [r for r in rules if not r.names or names & set(r.names)]
        if len(matching) > 1:
            return (f"{process or 'env'} {action} is named by both {matching[0]!r} and "
                    f"{matching[1]!r}: a step belongs to one fairness rule")
    return ""
