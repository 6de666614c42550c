"""The modelling layer: processes, roles, components, actions and the Model itself.

A model is a Python class that reads like the design it describes: roles of
processes with durable and volatile fields, shared components (a file system, a
remote store) with their own fields and fault behaviour, and actions named after
what a process does. :mod:`lifecheck.modelling.compile` turns an instance into the core
contract; nothing here knows how exploration works.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from lifecheck.errors import ModelError
from lifecheck.modelling.fields import Count, Field, Parameter, collect_fields
from lifecheck.modelling.properties import FinalDecl, PropertyDecl
from lifecheck.result import ABSENT
from lifecheck.values import MutableValueError, check_immutable

RESERVED = frozenset({"name", "index", "role"})

P = TypeVar("P", bound="Process")


class Process:
    """Base of process classes. Fields are declared with ``durable``/``volatile``.

    On a view, ``name`` is the process's name in traces (``broker1``), ``index`` its
    0-based position in its role and ``role`` the role's attribute name.
    """

    name: str
    index: int
    role: str


class Component:
    """A reusable piece of shared environment (file system, remote store, channel).

    It declares fields like a process, offers methods that read and write them, and
    says what a fault does to it: ``on_crash(process)`` runs when a process crashes
    (release its locks, drop its in-flight requests) and ``on_power_loss()`` when
    the machine loses power (drop what was never synced). Both may call ``choose``.
    """

    name: str

    def on_crash(self, process: str) -> None:
        """What a crash of ``process`` does to this component (default: nothing)."""

    def on_power_loss(self) -> None:
        """What a power loss does to this component (default: volatile fields reset)."""

    # -- how a trace shows it (lifecheck.modelling.readable) ---------------------------
    def trace_view(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """This component's state as a person reads it in a trace, by name (default: its
        fields as they are).

        ``fields`` are its field values by name. A component whose fields are
        bookkeeping (an inode table, a journal of unsynced operations) shows what a
        designer thinks in instead: files and their contents. Programs still get
        every field (``check --json``).
        """
        return dict(fields)

    def trace_reads(self, fields: Mapping[str, Any],
                    reads: Mapping[str, tuple | None]) -> list[tuple[str, Any]]:
        """What a property read of this component, as names of :meth:`trace_view` and
        their values. ``reads`` maps each field read to the keys read from it (a map read
        entry by entry) or None (read whole). Default: the fields, or the entries, read."""
        return entries_read(fields, reads)

    def explain(self, before: Mapping[str, Any], after: Mapping[str, Any],
                fault: str) -> tuple[list[str], set[str]]:
        """What a step (a fault step when ``fault`` names its kind) did to this component,
        in its own terms, where the changes :meth:`trace_view` shows do not say it ("renamed
        /d/a.tmp -> /d/a", "made durable: append /d/a"), and the names of :meth:`trace_view`
        whose changes that already tells (``files['/d/a.tmp']``), which text then leaves
        out. ``before`` and ``after`` are its fields by name. Default: nothing."""
        return [], set()

    def bind(self, model: Model) -> Component:
        """This component as configured for ``model``'s parameters (default: itself).

        A component declared once on a model class may take part of its configuration
        from the model's parameters (``FileSystem(persistence=lambda m: m.fs_model)``),
        so that one model class covers every variant a spec compares.
        """
        return self


def entries_read(fields: Mapping[str, Any],
                 reads: Mapping[str, tuple | None]) -> list[tuple[str, Any]]:
    """``name=value`` for a field read whole, ``name[key]=value`` for each entry of a map
    read by key (:data:`~lifecheck.result.ABSENT` where there is none)."""
    out: list[tuple[str, Any]] = []
    for name, keys in reads.items():
        value = fields[name]
        if keys is None or not isinstance(value, Mapping):
            out.append((name, value))
        else:
            out.extend((f"{name}[{k!r}]", value.get(k, ABSENT)) for k in keys)
    return out


class role(Generic[P]):  # noqa: N801 - used like a declaration keyword
    """``brokers = role(Broker, count=2)``; ``count`` may name a parameter or be a function of the model.

    Read on a model (in an action or a property) the attribute is the role's processes,
    a tuple of process views in index order: that is what a type checker is told, so
    ``for b in self.fleet: b.phase`` is checked against ``Broker``'s fields.
    """

    def __init__(self, process: type[P], count: Count = 1) -> None:
        if not (isinstance(process, type) and issubclass(process, Process)):
            raise ModelError(f"role() takes a Process subclass, got {process!r}")
        self.process = process
        self.count = count
        self.attr = "?"

    if TYPE_CHECKING:
        # Only for type checkers: at run time a role is a plain class attribute, and the
        # model views the checker builds store the tuple of processes under its name.
        @overload
        def __get__(self, obj: None, owner: type[Any] | None = None) -> role[P]: ...
        @overload
        def __get__(self, obj: object, owner: type[Any] | None = None) -> tuple[P, ...]: ...
        def __get__(self, obj: object, owner: type[Any] | None = None) -> role[P] | tuple[P, ...]: ...

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    def resolve_count(self, model: Model) -> int:
        count = self.count
        if isinstance(count, str):
            if count not in model.params:
                raise ModelError(f"role {self.attr!r} takes its count from parameter {count!r}, "
                                 f"which {type(model).__name__} does not declare "
                                 f"(parameters: {', '.join(model.params) or 'none'})")
            count = model.params[count]
        elif callable(count):
            try:
                count = count(model)
            except Exception as exc:
                raise ModelError(f"the count of role {self.attr!r} raised {type(exc).__name__}: "
                                 f"{exc}") from None
        if not isinstance(count, int) or count < 0:
            raise ModelError(f"role {self.attr!r} of {type(model).__name__} has count {count!r}; "
                             "it must be a whole number >= 0")
        return count


@dataclass
class ActionDecl:
    """An action as declared: its function, its role (None for the environment), its domains."""

    fn: Callable[..., Any]
    role: type[Process] | str | None
    domains: dict[str, Any]
    name: str = "?"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """An overriding action may run its base's effect: ``Base.boot(self, b)``,
        ``super().boot(b)``."""
        return self.fn(*args, **kwargs)

    @overload
    def __get__(self, instance: None, owner: type) -> ActionDecl: ...
    @overload
    def __get__(self, instance: object, owner: type) -> Callable[..., Any]: ...

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        return self.fn.__get__(instance, owner)

    def domain_values(self, model: Model) -> list[tuple[tuple[str, Any], ...]]:
        """Every combination of parameter values, in declaration order."""
        names, values = [], []
        for pname, domain in self.domains.items():
            if callable(domain) and not isinstance(domain, (range, tuple, list, frozenset)):
                try:
                    domain = domain(model)
                except Exception as exc:
                    raise ModelError(f"action {self.name}: the domain of parameter {pname!r} "
                                     f"raised {type(exc).__name__}: {exc}") from None
            if not isinstance(domain, Iterable) or isinstance(domain, (str, bytes)):
                raise ModelError(f"action {self.name}: domain of parameter {pname!r} must be a "
                                 f"finite collection of values, got {domain!r}")
            names.append(pname)
            values.append(tuple(domain))
        return [tuple(zip(names, combo, strict=False)) for combo in itertools.product(*values)]


@overload
def action(role_or_fn: type[Process] | str | None = None, /,
           **domains: Any) -> Callable[[Callable[..., Any]], ActionDecl]: ...
@overload
def action(role_or_fn: Callable[..., Any], /) -> ActionDecl: ...


def action(role_or_fn: Any = None, /, **domains: Any) -> Any:
    """Declare an action: ``@action(Broker)``, ``@action(Broker, file=lambda m: range(m.files))``,
    or ``@action`` for an environment step that belongs to no process.

    The function receives the model view, then the process view (for a role), then
    one keyword argument per domain. ``require(...)`` at the top is its guard.

    Typed as giving an :class:`~lifecheck.modelling.model.ActionDecl` (overloads: a
    Process class is callable, so the role form is matched first), so that
    ``mypy --strict`` does not call every action of a model an untyped function.
    """
    if inspect.isfunction(role_or_fn) and not domains:
        return ActionDecl(role_or_fn, None, {})

    def wrap(fn: Callable[..., Any]) -> ActionDecl:
        return ActionDecl(fn, role_or_fn, dict(domains))

    return wrap


class Model:
    """Base of every lifecycle model. Instantiate with parameters: ``UnpackInPlace(files=3)``."""

    def __init__(self, **params: Any) -> None:
        declared = self.parameters()
        unknown = sorted(set(params) - set(declared))
        if unknown:
            known = ", ".join(sorted(declared)) or "none"
            raise ModelError(f"{type(self).__name__} has no parameter {', '.join(unknown)} "
                             f"(its parameters: {known})")
        values = {}
        for pname, decl in declared.items():
            value = params.get(pname, decl.default)
            try:
                check_immutable(value, f"parameter {pname!r} of {type(self).__name__}")
            except MutableValueError as exc:
                raise ModelError(str(exc)) from None
            if decl.check is not None and not decl.check(value):
                raise ModelError(f"{type(self).__name__}: parameter {pname}={value!r} is out of range")
            values[pname] = value
        self._params = values
        for pname, value in values.items():
            object.__setattr__(self, pname, value)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({inner})"

    # Declarations, collected along the MRO so that variants can subclass a base design.
    @classmethod
    def _declared(cls, kind: type) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, kind):
                    found[attr] = value
                elif attr in found and not isinstance(value, kind):
                    del found[attr]  # overridden by something else in a subclass
        return found

    @classmethod
    def parameters(cls) -> dict[str, Parameter]:
        return cls._declared(Parameter)

    @classmethod
    def roles(cls) -> dict[str, role[Any]]:
        return cls._declared(role)

    @classmethod
    def components(cls) -> dict[str, Component]:
        return cls._declared(Component)

    def bound_components(self) -> dict[str, Component]:
        """The components as configured for this model's parameters (see Component.bind)."""
        bound = self.__dict__.get("_bound_components")
        if bound is None:
            bound = {attr: comp.bind(self) for attr, comp in self.components().items()}
            object.__setattr__(self, "_bound_components", bound)
        return bound

    @classmethod
    def fields(cls) -> list[Field]:
        return list(cls._declared(Field).values())

    @classmethod
    def action_decls(cls) -> dict[str, ActionDecl]:
        decls = cls._declared(ActionDecl)
        for attr, decl in decls.items():
            decl.name = attr
        return decls

    @classmethod
    def property_decls(cls) -> dict[str, PropertyDecl]:
        return cls._declared(PropertyDecl)

    @classmethod
    def final_decls(cls) -> dict[str, FinalDecl]:
        return cls._declared(FinalDecl)


def component_fields(component: Component) -> list[Field]:
    """The component's fields; its configuration (instance attributes) must be immutable,
    since every state's view of the component shares it."""
    for key, value in vars(component).items():
        try:
            check_immutable(value, f"configuration {key!r} of component {type(component).__name__}")
        except MutableValueError as exc:
            raise ModelError(str(exc)) from None
    return collect_fields(type(component), "component")


def process_fields(process: type[Process]) -> list[Field]:
    fields = collect_fields(process, "process")
    clash = sorted(RESERVED & {f.name for f in fields})
    if clash:
        raise ModelError(f"process {process.__name__} declares field(s) {', '.join(clash)}, "
                         "which are reserved (name, index, role)")
    return fields
