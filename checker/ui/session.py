"""One designer's walk through a spec's state space, a step at a time, for ``lifecheck explore``.

The session is the path walked so far, kept as its replay key: the page takes one
of the enabled steps (faults included while their budget lasts), goes back, starts
again, follows a replay key, or jumps to the counterexample the checker certified
for a property. Every move rebuilds the path with the same :class:`Walk` the
simulator and the stateful bridge use, so the problems shown are the explorer's
own, in its words; a path a person clicks through is a few dozen steps, so rebuilding it
costs nothing a person would notice, and going back needs no stored states.

Bad input (a step that is not enabled, a key that does not fit, a property the spec
does not have) is a :class:`~lifecheck.errors.ModelError` that says what was wrong
and leaves the path as it was.
"""

from __future__ import annotations

import threading
from typing import Any

from lifecheck.contract import ALWAYS, LIVENESS_KINDS, TRANSITION, ActionFailure
from lifecheck.diagrams.dot import render_svg
from lifecheck.diagrams.sequence import path_diagram
from lifecheck.diagrams.sequence_dot import sequence_dot
from lifecheck.errors import ModelError
from lifecheck.explore.checks import Checks
from lifecheck.explore.verdict import check_spec
from lifecheck.modelling.spec import Spec
from lifecheck.replay import diff, parse_key, replay
from lifecheck.result import ERROR, Result, Trace
from lifecheck.ui.state_view import fault_budgets, holders
from lifecheck.walks.walk import Problem, Walk


class Session:
    """The path walked so far through one spec, and the moves a page can make on it.

    Every public method holds a lock: the server answers requests on threads, and a
    move must see the path another move left, not half of it.
    """

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        try:
            self.system = spec.system()
        except ModelError as exc:
            raise exc.within(spec=spec.name) from None
        self._checks = Checks(self.system)
        self._lock = threading.Lock()
        self._result: Result | None = None  # the checker's run, made on the first jump
        self.loop_start: int | None = None  # set by a jump to a liveness counterexample
        self.stutter = False
        self.note = ""  # what the last jump showed, for the page's banner
        self._follow([0])

    # -- moves ---------------------------------------------------------------------------
    def take(self, index: int) -> None:
        """Take the enabled step at ``index`` (as :meth:`enabled` numbers them)."""
        with self._lock:
            succs = self._walk.successors()
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(succs):
                where = ("no step is enabled" if not succs
                         else f"the enabled steps are #0..#{len(succs) - 1}")
                raise ModelError(f"step #{index} is not enabled in this state: {where}")
            self._follow([*self._walk.key, index])

    def back(self) -> None:
        """Undo the last step."""
        with self._lock:
            if len(self._walk.key) == 1:
                raise ModelError("the path is at its initial state: there is no step to go back over")
            self._follow(self._walk.key[:-1])

    def reset(self, init: int = 0) -> None:
        """Start again from initial state ``init``."""
        with self._lock:
            count = len(self.system.init_states())
            if not isinstance(init, int) or isinstance(init, bool) or not 0 <= init < count:
                raise ModelError(f"there is no initial state #{init}: the spec has {count} "
                                 f"(#0..#{count - 1})")
            self._follow([init])

    def follow_key(self, text: str) -> None:
        """Walk the path a replay key names (as traces print it: ``0.0.0.1.0.0.0``)."""
        with self._lock:
            key = parse_key(text)
            try:
                replay(self.system, key, from_user=True)  # its errors say where a key goes wrong
            except ModelError as exc:
                raise exc.within(spec=self.spec.name) from None
            self._follow(key)

    def counterexample(self, prop: str) -> None:
        """Walk to the end of the counterexample the checker finds for ``prop``; a liveness
        counterexample is a lasso, whose loop the page then marks."""
        with self._lock:
            result = self._checked()
            if result.verdict == ERROR:
                raise ModelError(f"the checker could not check the spec: {result.error}")
            found = next((v for v in result.violations if v.property == prop), None)
            if found is None or found.trace is None:
                known = [p.name for p in self.system.properties]
                if prop not in known and found is None:
                    names = ", ".join([*known, *(v.property for v in result.violations
                                                  if v.property not in known)])
                    raise ModelError(f"the spec has no property {prop!r} (it has: {names})")
                raise ModelError(f"{prop} holds within the spec's bounds ({result.verdict}): "
                                 "there is no counterexample to show")
            trace = found.trace
            self._follow(list(trace.replay), loop=trace)
            shown = {p.message for p in self._problems[-1]}  # the page's banner says these
            self.note = (f"The checker's counterexample of {prop}, certified by replay"
                         + ("" if found.message in shown else f": {found.message}"))

    def _checked(self) -> Result:
        if self._result is None:
            self._result = check_spec(self.spec)
        return self._result

    def _follow(self, key: list[int], loop: Trace | None = None) -> None:
        """Rebuild the path along ``key``; on a bad key the path stays as it was."""
        try:
            walk = Walk(self.system, key[0], deadlock=self.spec.deadlock)
            problems, states = [walk.problems()], [walk.state]
            for n, index in enumerate(key[1:], start=1):
                if not 0 <= index < len(walk.successors()):
                    raise ModelError(f"the key takes step #{index} at step {n}, which is not enabled",
                                     step=n)
                problems.append(walk.take(index))
                states.append(walk.state)
        except ModelError as exc:
            raise exc.within(spec=self.spec.name) from None
        self._walk, self._problems, self._states = walk, problems, states
        self.loop_start = loop.loop_start if loop else None
        self.stutter = loop.stutter if loop else False
        self.note = ""

    # -- what the page shows -------------------------------------------------------------
    @property
    def key(self) -> str:
        return ".".join(map(str, self._walk.key))

    def trace(self) -> Trace:
        """The path as a trace, exactly as ``lifecheck replay SPEC KEY`` rebuilds it."""
        trace, _ = replay(self.system, self._walk.key, from_user=True)
        trace.loop_start, trace.stutter = self.loop_start, self.stutter
        return trace

    def enabled(self) -> list[dict[str, Any]]:
        """The steps enabled in the current state, each with what it would change and break."""
        walk = self._walk
        state, before = walk.state, None
        out = []
        for i, (step, outcome) in enumerate(walk.successors()):
            entry: dict[str, Any] = {"index": i, "who": step.who(), "label": step.label(),
                                     "fault": step.fault or None, "injected": step.is_fault}
            if isinstance(outcome, ActionFailure):
                entry.update(changes=[], breaks=[outcome.property_name], fails=outcome.message)
            else:
                before = before if before is not None else self.system.describe(state)
                changes = diff(before, self.system.describe(outcome))
                breaks = [*self._checks.across(state, step, outcome), *self._checks.broken(outcome)]
                entry.update(changes=[f"{c.field}: {c.before!r} -> {c.after!r}" for c in changes],
                             breaks=[name for name, _, _ in breaks], fails=None)
            out.append(entry)
        return out

    def properties(self) -> list[dict[str, Any]]:
        """Every property with what can be said of it on this path: an invariant holds or
        not in the current state, a transition property across the last step; the others
        are about whole behaviours, which the checker (a jump) answers."""
        broken = {p.property for p in self._problems[-1]}
        out = []
        for p in self.system.properties:
            if p.kind == ALWAYS or (p.kind == TRANSITION and len(self._walk.key) > 1):
                status = "violated" if p.name in broken else "holds"
            elif p.kind == TRANSITION:
                status = "no step yet"
            elif p.kind in LIVENESS_KINDS:
                status = "over behaviours"
            else:  # sometimes: some reachable state must satisfy it
                status = "witnessed here" if self._witnesses(p) else "not here"
            out.append({"name": p.name, "kind": p.kind, "doc": " ".join(p.doc.split("\n\n")[0].split()),
                        "status": status})
        return out

    def _witnesses(self, p: Any) -> bool:
        seen: set[str] = set()
        if self._walk.failure is None:
            self._checks.witness(self._walk.state, seen)
        return p.name in seen

    def view(self) -> dict[str, Any]:
        """Everything the page shows, as JSON-ready data."""
        with self._lock:
            walk, system = self._walk, self.system
            trace = self.trace()
            steps = []
            for i, s in enumerate(trace.steps, start=1):
                steps.append({"index": s.index, "who": s.process or "env", "label": s.label,
                              "fault": s.fault or None, "failure": s.failure or None,
                              "changes": [f"{c.field}: {c.before!r} -> {c.after!r}" for c in s.changes],
                              "problems": [_problem(p) for p in self._problems[i]]})
            state_known = walk.failure is None
            previous = self._states[-2] if len(self._states) > 1 else None
            return {
                "spec": self.spec.name,
                "model": repr(self.spec.model),
                "faults": self.spec.describe_faults(),
                "key": self.key,
                "initial_states": len(system.init_states()),
                "path": steps,
                "initial_problems": [_problem(p) for p in self._problems[0]],
                "state": holders(system, walk.state, previous) if state_known else None,
                "failure": (f"{walk.steps[-1].who()} {walk.steps[-1].label()}: {walk.failure.message}"
                            if walk.failure else None),
                "outside": walk.outside,
                "budgets": fault_budgets(system, walk.state) if state_known else [],
                "problems": [_problem(p) for p in self._problems[-1]],
                "enabled": self.enabled(),
                "properties": self.properties(),
                "loop_start": self.loop_start,
                "stutter": self.stutter,
                "note": self.note,
                "counterexamples": (None if self._result is None
                                    else [v.property for v in self._result.violations]),
            }

    def diagram_svg(self) -> str:
        """The sequence diagram of the path so far, drawn by graphviz as the reports' are."""
        with self._lock:
            trace = self.trace()
            problems = self._problems[-1]
            verdict = "; ".join(show_problem(p) for p in problems)
        diagram = path_diagram(trace, self.system.process_names(), self.system.component_names(),
                               title=f"{self.spec.name}: replay {trace.key}", verdict=verdict)
        return render_svg(sequence_dot(diagram), engine="neato", positioned=True)


def _problem(p: Problem) -> dict[str, str]:
    return {"property": p.property, "kind": p.kind, "message": p.message}


def show_problem(p: Problem) -> str:
    """A problem in one line: the message says the property's name already."""
    return p.message if p.property in p.message else f"{p.property}: {p.message}"

