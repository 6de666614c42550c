"""Fields: each piece of state says once whether it survives a crash.

Deciding durability per field, at the declaration, is what lets the checker
inject crashes by itself: a crash resets every volatile field to its initial value
and keeps every durable one, so a model never writes crash handling by hand and
can never forget to save something it meant to keep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Never, Protocol, SupportsIndex, TypeVar, cast, overload

from lifecheck.errors import ModelError
from lifecheck.modelling.symmetry import order_key
from lifecheck.values import MutableValueError, check_immutable

DURABLE = "durable"
VOLATILE = "volatile"

T = TypeVar("T")

Count = int | str | Callable[[Any], int]
"""How many elements an array field has: a number, a parameter's name or a function of the model."""


class Field:
    """A declared piece of state with an initial value and a durability.

    With ``count``, an array of that many elements, each its own piece of state
    (``forks = durable(False, count="n")``; ``self.forks[i] = True``). A step that
    reads one element then depends on that element only, which is what lets the
    vector explorer reuse a learned step across states that differ elsewhere in
    the array; a tuple-valued field is one value, read and written whole.
    """

    def __init__(self, kind: str, initial: Any, doc: str = "", count: Count | None = None) -> None:
        self.kind = kind
        self.initial = initial
        self.doc = doc
        self.name = "?"
        self.count = count
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
        """The initial value; a callable initial is given the model (for parameter-sized values).

        For a field declared with :func:`~lifecheck.one_of`, the first option: the first initial state's
        value (see :meth:`initial_options` for all of them).
        """
        if isinstance(self.initial, OneOf):
            return self.initial_options(model, "its holder")[0]
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

    def initial_options(self, model: Any, owner: str) -> tuple | None:
        """Every initial value of a field declared with :func:`~lifecheck.one_of`, in order; None for a
        field with one initial value. ``owner`` names the holder in errors ("model Clock").

        An empty domain is refused here, when the model is compiled: it would leave the
        model with no initial state, and a check of nothing must not read as a pass.
        """
        if not isinstance(self.initial, OneOf):
            return None
        domain = self.initial.options
        try:
            listed = domain(model) if callable(domain) else domain
            options = ordered_options(listed)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"the initial domain of field {self.name!r} of {owner} raised "
                             f"{type(exc).__name__}: {exc}") from None
        if not options:
            raise ModelError(f"field {self.name!r} of {owner} has an empty domain for its "
                             f"initial value ({self.initial!r} gives no option), so the model "
                             "would have no initial state")
        for value in options:
            try:
                check_immutable(value, f"an initial value of field {self.name!r} of {owner}")
            except MutableValueError as exc:
                raise ModelError(str(exc)) from None
        return options

    def __repr__(self) -> str:
        return f"{self.kind}({self.initial!r})"


class OneOf:
    """The initial value of a field that starts as any member of a domain (see :func:`~lifecheck.one_of`)."""

    def __init__(self, options: Any) -> None:
        self.options = options

    def __repr__(self) -> str:
        shown = "<function of the model>" if callable(self.options) else repr(self.options)
        return f"one_of({shown})"


def one_of(options: Iterable[T] | Callable[[Any], Iterable[T]]) -> T:
    """An initial value that ranges over ``options``: TLA+'s ``x \\in S`` in ``Init``.

    ``hr = durable(one_of(range(1, 13)))`` gives the model twelve initial states, one
    per hour, explored and counted as TLC counts ``Init == hr \\in 1..12`` (with no
    setup step, which would add a state and a level). ``options`` is a tuple, list,
    range or set (sets in sorted order, as :func:`~lifecheck.choose_from` takes them),
    or a function of the model for a parameter-sized domain
    (``one_of(lambda m: range(m.n))``). Each such field chooses on its own: the
    initial states are the product of the domains (of every process's copy, and every
    element of an array field), in state order, the first field the slowest to vary.
    A crash (or a power loss) resets a volatile field declared this way to any of its
    options again: a restart branches, since a process that starts anew may start in
    any of the states it could have started in.

    Typed as an option (a marker at run time), so ``durable(one_of(range(3)))`` is an int
    field to a type checker.
    """
    return cast(T, OneOf(options))


def ordered_options(options: Iterable[Any]) -> tuple:
    """The members of a domain as a tuple, sets in sorted order (a replay key means the same
    initial state in every process, whatever the string hash salt)."""
    if isinstance(options, (set, frozenset, Mapping)):
        return tuple(sorted(options, key=order_key))
    if isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
        raise ModelError(f"one_of takes a collection of options (a tuple, list, range or set), "
                         f"got {options!r}")
    return tuple(options)


class ArrayView(Protocol[T]):
    """An array field as model code sees it (``self.forks``), for type checkers.

    At run time it is a :class:`lifecheck.modelling.views.FieldArray`; this
    protocol says what that object offers, so that ``self.forks[i] = "x"`` on a
    ``durable(False, count=...)`` field is flagged like any other wrong write.
    """

    def __len__(self) -> int: ...

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    @overload
    def __setitem__(self, index: SupportsIndex, value: T) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[T]) -> None: ...

    def __iter__(self) -> Iterator[T]: ...

    def __contains__(self, value: object) -> bool: ...

    def __eq__(self, other: object) -> bool:
        """Equal to a tuple or list of the same elements (``self.acks == (False,) * n``)."""
        ...


class ArrayField(Protocol[T]):
    """What ``durable(x, count=...)`` declares, for type checkers: reading the attribute in
    model code gives its elements, assigning it sets all of them at once.

    A plain attribute type could not say both (the read gives an :class:`ArrayView`, the
    write takes any iterable of elements), a descriptor type can. At run time the class
    attribute is a :class:`Field` like any other.
    """

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> ArrayField[T]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any] | None = None) -> ArrayView[T]: ...

    def __set__(self, obj: object, value: Iterable[T]) -> None: ...


# durable() and volatile() return a Field at run time, and the field's value type to a type
# checker (as dataclasses.field does): on the views that model code runs on, the attribute
# *is* the value (``w.phase`` is a str), so ``w.phase = 3`` and ``w.phse`` are caught before
# anything is explored. An annotation wins over the initial value, as on any attribute
# (``owner: str | None = volatile(None)``). The overloads, matched in order:
#  - ``None``: a field that is None at first holds something else later, and the initial
#    value cannot say what: ``Any | None``, so that assigning it is not an error and using
#    it still needs the None ruled out (annotate it to have its values checked);
#  - ``()`` and ``frozenset()``: mypy would infer ``tuple[()]`` (refusing every later
#    ``(*log, x)``) or ask for an annotation; an empty collection holds any elements;
#  - a callable initial is called with the model (it is never the value: functions are
#    not immutable state), so the field's type is what it returns;
#  - any other initial is the value;
#  - with ``count`` (a keyword, or third positionally), an ArrayField of such elements.


@overload
def durable(initial: None, doc: str = "", count: None = None) -> Any | None: ...
@overload
def durable(initial: tuple[()], doc: str = "", count: None = None) -> tuple[Any, ...]: ...
@overload
def durable(initial: frozenset[Never], doc: str = "", count: None = None) -> frozenset[Any]: ...
@overload
def durable(initial: Callable[[Any], T], doc: str = "", count: None = None) -> T: ...
@overload
def durable(initial: T, doc: str = "", count: None = None) -> T: ...
@overload
def durable(initial: None, doc: str = "", *, count: Count) -> ArrayField[Any | None]: ...
@overload
def durable(initial: Callable[[Any], T], doc: str = "", *, count: Count) -> ArrayField[T]: ...
@overload
def durable(initial: T, doc: str = "", *, count: Count) -> ArrayField[T]: ...
@overload
def durable(initial: None, doc: str, count: Count) -> ArrayField[Any | None]: ...
@overload
def durable(initial: Callable[[Any], T], doc: str, count: Count) -> ArrayField[T]: ...
@overload
def durable(initial: T, doc: str, count: Count) -> ArrayField[T]: ...


def durable(initial: Any, doc: str = "", count: Count | None = None) -> Any:
    """State that survives a crash of its owner (on disk, in a replicated log).

    ``count`` makes it an array of that many elements, each starting at ``initial``.
    """
    return Field(DURABLE, initial, doc, count)


@overload
def volatile(initial: None, doc: str = "", count: None = None) -> Any | None: ...
@overload
def volatile(initial: tuple[()], doc: str = "", count: None = None) -> tuple[Any, ...]: ...
@overload
def volatile(initial: frozenset[Never], doc: str = "", count: None = None) -> frozenset[Any]: ...
@overload
def volatile(initial: Callable[[Any], T], doc: str = "", count: None = None) -> T: ...
@overload
def volatile(initial: T, doc: str = "", count: None = None) -> T: ...
@overload
def volatile(initial: None, doc: str = "", *, count: Count) -> ArrayField[Any | None]: ...
@overload
def volatile(initial: Callable[[Any], T], doc: str = "", *, count: Count) -> ArrayField[T]: ...
@overload
def volatile(initial: T, doc: str = "", *, count: Count) -> ArrayField[T]: ...
@overload
def volatile(initial: None, doc: str, count: Count) -> ArrayField[Any | None]: ...
@overload
def volatile(initial: Callable[[Any], T], doc: str, count: Count) -> ArrayField[T]: ...
@overload
def volatile(initial: T, doc: str, count: Count) -> ArrayField[T]: ...


def volatile(initial: Any, doc: str = "", count: Count | None = None) -> Any:
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


def parameter(default: T, doc: str = "", check: Callable[[T], bool] | None = None) -> T:
    """A model constant with a default, overridable by the spec.

    Typed as its value (a Parameter at run time), like the fields: ``Model.__init__``
    stores the value on the instance under the same name, so ``self.files`` is an int.
    """
    return cast(T, Parameter(default, doc, check))


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
