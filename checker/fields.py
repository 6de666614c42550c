"""Fields: each piece of state says once whether it survives a crash.

Deciding durability per field, at the declaration, is what lets the checker
inject crashes by itself: a crash resets every volatile field to its initial value
and keeps every durable one, so a model never writes crash handling by hand and
can never forget to save something it meant to keep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ModelError
from .values import MutableValueError, check_immutable

DURABLE = "durable"
VOLATILE = "volatile"


class Field:
    """A declared piece of state with an initial value and a durability.

    With ``count``, an array of that many elements, each its own piece of state
    (``forks = durable(False, count="n")``; ``self.forks[i] = True``). A step that
    reads one element then depends on that element only, which is what lets the
    vector explorer reuse a learned step across states that differ elsewhere in
    the array; a tuple-valued field is one value, read and written whole.
    """

    def __init__(self, kind: str, initial: Any, doc: str = "", count: Any = None) -> None:
        self.kind = kind
        self.initial = initial
        self.doc = doc
        self.name = "?"
        self.count = count  # None, an int, a parameter name, or a callable of the model
        self.array: tuple[str, int] | None = None  # (array name, index) for an element

    def slots(self, model: Any) -> list[Field]:
        """The pieces of state this declaration stands for: itself, or one per element."""
        if self.count is None:
            return [self]
        count = self.count
        try:
            n = (getattr(model, count) if isinstance(count, str)
                 else count(model) if callable(count) else count)
        except Exception as exc:
            raise ModelError(f"the count of field {self.name!r} raised {type(exc).__name__}: "
                             f"{exc}") from None
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ModelError(f"field {self.name!r} has count={count!r}, which gives {n!r}; an "
                             "array field needs a whole number of elements")
        elements = []
        for i in range(n):
            element = Field(self.kind, self.initial, self.doc)
            element.name = f"{self.name}[{i}]"
            element.array = (self.name, i)
            elements.append(element)
        return elements

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def initial_value(self, model: Any) -> Any:
        """The initial value; a callable initial is given the model (for parameter-sized values)."""
        try:
            value = self.initial(model) if callable(self.initial) else self.initial
        except Exception as exc:
            raise ModelError(f"the initial value of field {self.name!r} raised "
                             f"{type(exc).__name__}: {exc}") from None
        try:
            check_immutable(value, f"the initial value of field {self.name!r}")
        except MutableValueError as exc:
            raise ModelError(str(exc)) from None
        return value

    def __repr__(self) -> str:
        return f"{self.kind}({self.initial!r})"


def durable(initial: Any, doc: str = "", count: Any = None) -> Any:
    """State that survives a crash of its owner (on disk, in a replicated log).

    ``count`` makes it an array of that many elements, each starting at ``initial``.
    """
    return Field(DURABLE, initial, doc, count)


def volatile(initial: Any, doc: str = "", count: Any = None) -> Any:
    """State lost in a crash of its owner (memory): reset to ``initial`` when it crashes.

    ``count`` makes it an array of that many elements, each starting at ``initial``.
    """
    return Field(VOLATILE, initial, doc, count)


class Parameter:
    """A constant of the model, set when the model is built (``UnpackInPlace(files=3)``)."""

    def __init__(self, default: Any, doc: str = "", check: Callable[[Any], bool] | None = None):
        self.default = default
        self.doc = doc
        self.check = check
        self.name = "?"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"parameter({self.default!r})"


def parameter(default: Any, doc: str = "", check: Callable[[Any], bool] | None = None) -> Any:
    """A model constant with a default, overridable by the spec."""
    return Parameter(default, doc, check)


def collect_fields(cls: type, what: str) -> list[Field]:
    """The fields of a process or component class, in declaration order (bases first).

    Any other public, non-callable class attribute is an error: with crashes on, an
    unclassified piece of state would silently survive or vanish, and either guess
    can hide a bug.
    """
    fields: dict[str, Field] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Field):
                fields[name] = value
            elif isinstance(value, Parameter):
                raise ModelError(f"{what} {cls.__name__} declares parameter {name!r}; parameters "
                                 "belong to the Model, processes read them through the model")
    for name, value in vars(cls).items():
        if name.startswith("_") or name in fields:
            continue
        if name == "control" and isinstance(value, (str, tuple)):
            # Which field(s) are the process's control state, for diagrams (not state).
            named = (value,) if isinstance(value, str) else value
            unknown = [n for n in named if n not in fields]
            if unknown:
                raise ModelError(f"{what} {cls.__name__} names control field(s) {unknown} that "
                                 f"it does not declare (fields: {', '.join(fields) or 'none'})")
            continue
        if callable(value) or isinstance(value, (property, staticmethod, classmethod)):
            continue
        raise ModelError(
            f"{what} {cls.__name__} has attribute {name!r} = {value!r} that is neither "
            f"durable(...) nor volatile(...); classify it so a crash knows whether to keep it"
        )
    return list(fields.values())
