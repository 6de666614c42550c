"""One worker's share of the graph that liveness is checked on, in a team run.

Liveness is decided on the whole graph (:mod:`lifecheck.explore.liveness`), and a team
spreads the states over its workers, so each worker records, for the states it owns,
what the bfs explorer records for all of them: the truth of each liveness property's
trigger and goal, the fairness classes enabled in each expanded state, and every step
between kept states (step index, fairness class, target). The coordinator gathers the
shares once the run is complete (:mod:`lifecheck.explore.team_liveness`).

A step's target is often owned by another worker, which gives it an id only when it
absorbs the level. So the sender records such a step against the slot its successor
took in the batch it sent that owner (a successor goes once per owner and level,
however many steps reach it), and the owner answers, per sender, the id it gave each
slot of the batch; the sender then resolves the level's steps. Arrays of machine
integers keep a step at a few dozen bytes.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable
from typing import Any

import numpy as np

from lifecheck.contract import Options, Step, TransitionSystem
from lifecheck.explore.checks import safely
from lifecheck.explore.vector.hashing import smallest_unsigned


def compact(column: np.ndarray) -> np.ndarray:
    """A column of a share in the smallest integer type that holds it: a step crosses to
    the coordinator in a few bytes a field (a class of -1, none, is kept signed)."""
    if not len(column):
        return column
    if int(column.min()) >= 0:
        return column.astype(smallest_unsigned(column))
    return column.astype(np.int16 if int(column.max()) < 1 << 15 else np.int64)


def keeps_graph(system: TransitionSystem, options: Options) -> bool:
    """Whether a team run must record the graph: it checks a liveness property."""
    return options.check_liveness and any(p.is_liveness for p in system.properties)


class PartitionGraph:
    """The steps, enabled classes and property bits of the states one worker owns."""

    def __init__(self, system: TransitionSystem) -> None:
        self.liveness = [p for p in system.properties if p.is_liveness]
        self.fairness = system.fairness()
        self.class_ids: dict[Hashable, int] = {}  # fairness unit -> this worker's class id
        self.bits: dict[str, tuple[array, array]] = {
            p.name: (array("b"), array("b")) for p in self.liveness}  # (trigger, goal)
        self.src, self.via, self.cls = array("q"), array("q"), array("q")
        self.owner = array("q")  # the worker that owns the step's target
        self.target = array("q")  # its id there, or -1 - slot while the level is unresolved
        self.level_from = 0  # the first step of the level being resolved
        self.enabled_sid, self.enabled_cls = array("q"), array("q")

    SAVED = ("class_ids", "bits", "src", "via", "cls", "owner", "target", "level_from",
             "enabled_sid", "enabled_cls")

    def __getstate__(self) -> dict[str, Any]:  # a checkpoint saves the recording, not the rules
        return {name: getattr(self, name) for name in self.SAVED}

    def restore(self, saved: PartitionGraph) -> None:
        for name in self.SAVED:
            setattr(self, name, getattr(saved, name))

    def note_state(self, state: Any) -> None:
        """A state was kept: record each liveness property's trigger and goal in it."""
        for p in self.liveness:
            trigger, goal = self.bits[p.name]
            trigger.append(bool(safely(p.trigger, state, p.name)) if p.trigger is not None
                           else False)
            goal.append(safely(p.check, state, p.name))

    def class_of(self, step: Step) -> int:
        """The fairness class of ``step`` (-1: it is in none)."""
        unit = self.fairness.classify(step)
        if unit is None:
            return -1
        return self.class_ids.setdefault(unit, len(self.class_ids))

    def note_enabled(self, sid: int, classes: set[int]) -> None:
        for cid in sorted(classes):
            self.enabled_sid.append(sid)
            self.enabled_cls.append(cid)

    def note_step(self, sid: int, k: int, cid: int, owner: int, target: int) -> None:
        """A step to a kept state: ``target`` is its id, or ``-1 - slot`` when it is the
        successor sent to ``owner`` in slot ``slot`` of this level's batch."""
        self.src.append(sid)
        self.via.append(k)
        self.cls.append(cid)
        self.owner.append(owner)
        self.target.append(target)

    def resolve(self, ids: list[Any]) -> None:
        """The owners' answers for this level: ``ids[w]`` gives, per slot of the batch sent
        to worker ``w``, the id it holds that successor under (-1: a bound kept it out)."""
        lo = self.level_from
        if len(self.target) > lo:  # (copies: an array with a view on it cannot grow)
            target = np.frombuffer(self.target, np.int64)[lo:].copy()
            owner = np.frombuffer(self.owner, np.int64)[lo:].copy()
            pending = np.nonzero(target < 0)[0]
            resolved = target.copy()
            for w, answer in enumerate(ids):
                at = pending[owner[pending] == w]
                if len(at):
                    resolved[at] = np.asarray(answer, np.int64)[-1 - target[at]]
            self.target[lo:] = array("q", resolved.tobytes())
        self.level_from = len(self.target)

    def share(self, parents: list[Any], via: list[int]) -> dict[str, Any]:
        """This worker's share, as plain arrays, for the coordinator to join."""
        def col(a: array) -> np.ndarray:
            return np.frombuffer(a, np.int64).copy() if len(a) else np.empty(0, np.int64)

        keep = col(self.target) >= 0  # a step into a state a bound kept out leads nowhere
        return {
            "classes": list(self.class_ids),
            "steps": tuple(compact(c[keep]) for c in (col(self.src), col(self.via), col(self.cls),
                                                      col(self.owner), col(self.target))),
            "enabled": (col(self.enabled_sid), col(self.enabled_cls)),
            "bits": {name: (np.frombuffer(t, np.int8).astype(bool),
                            np.frombuffer(g, np.int8).astype(bool))
                     for name, (t, g) in self.bits.items()},
            "parents": np.array([(-1, -1) if p is None else p for p in parents],
                                np.int64).reshape(-1, 2),
            "via": np.array(via, np.int64),
        }
