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
                 step: int | None = None) -> None:
        self.message = message
        self.spec = spec
        self.action = action
        self.step = step
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
        """The same error with more context filled in (what is known stays)."""
        return ModelError(self.message, spec=self.spec or spec, action=self.action or action,
                          step=self.step if self.step is not None else step)


class SpecError(ModelError):
    """A spec file or spec object is malformed."""
