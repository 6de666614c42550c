"""Errors that mean the input is wrong, as opposed to the design being wrong.

A design that is wrong gives a verdict (violated, with a trace). An input that is
wrong (a malformed model or spec, an action that is not deterministic, a value
that can leak between states) gives a :class:`ModelError` whose message names the
spec, the action and the step, so the designer can fix it without a debugger.
"""

from __future__ import annotations


class ModelError(Exception):
    """The model or spec cannot be checked as written."""

    def __init__(self, message: str, *, spec: str | None = None, action: str | None = None,
                 step: int | None = None, replay_key: list[int] | None = None,
                 failed_at: tuple[int, ...] | None = None) -> None:
        self.message = message
        self.spec = spec
        self.action = action
        self.step = step
        #: The path to the state where the problem showed up (init index, step indices),
        #: when an explorer knows it: the report replays it to show how the state was reached.
        self.replay_key = replay_key
        #: Where a team's worker met the problem, (worker, state index), until the
        #: coordinator turns it into a replay key.
        self.failed_at = failed_at
        #: Where the reference explorer would have met it, as a team's worker places it, so
        #: that the coordinator raises the reference's error (lifecheck.explore.team).
        self.order: int | None = None
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.spec:
            where.append(f"spec {self.spec}")
        if self.action:
            where.append(f"action {self.action}")
        if self.step is not None:
            where.append(f"step {self.step}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def within(self, *, spec: str | None = None, action: str | None = None,
               step: int | None = None) -> ModelError:
        """The same error, of the same type, with more context filled in (what is known stays)."""
        located = type(self)(self.message, spec=self.spec or spec,
                             action=self.action or action,
                             step=self.step if self.step is not None else step,
                             replay_key=self.replay_key, failed_at=self.failed_at)
        located.order = self.order
        return located

    def at(self, key: list[int]) -> ModelError:
        """The same error located at the end of a replay key (the path to where it showed up)."""
        located = self.within(step=len(key) - 1)
        located.replay_key = list(key)
        return located


class SpecError(ModelError):
    """A spec file or spec object is malformed."""


class EngineRefused(ModelError):
    """An engine (or a number of workers) that cannot check this spec, and the way out.

    A refusal is a modelling error (exit 2: nothing was checked), and a type of its
    own so that ``--engine auto`` and the benchmark can tell it from a broken model.
    """
