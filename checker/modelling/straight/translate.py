"""Model code rewritten into functions of the state tuple: no views, no write log.

Model code reads and writes fields through views (:mod:`lifecheck.modelling.views`),
and each access costs a property call, a context lookup and, for a write, a method
that copies the part. For code in the subset lifecycles are written in (fields and
array elements of the model, its components and processes; parameters and settings;
``require``, ``choose``, ``fault`` and the other calls of the runtime; locals, ``if``,
``for``, ``while``, ``try``; comprehensions; builtins; helper functions and methods)
the same meaning can be had with subscripts of the state: ``p.pc`` becomes
``parts[4][0]``. This module produces that code: one function per action instance,
and one per helper and per combination of views it is called with.

Anything outside the subset raises :class:`NotStraight`, and the action runs as written.
Nothing here decides an outcome on its own: the code returns the successor, or
``DISABLED``, or raises, and on any exception but a failed ``require`` the action runs
as written (:mod:`lifecheck.modelling.straight.steps`), so the failures and errors a
user sees are always the interpreter's.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import types
from typing import TYPE_CHECKING, Any

from lifecheck.modelling import process_faults, runtime
from lifecheck.modelling.straight.expressions import Expressions
from lifecheck.modelling.straight.layout import COMPONENT, MODEL_KIND, PROCESS, Holder, Layout, Whole
from lifecheck.modelling.straight.syntax import (
    BRANCH,
    CONSTANT_TYPES,
    DIRTY,
    DISABLED,
    MISSING,
    PARTS,
    PREFIX,
    VALUE,
    VIEW_INTERNALS,
    NotStraight,
    all_constant,
    args,
    bound_names,
    located,
    may_write,
    only_names,
    parse_function,
    plain_constant,
    template,
    without_docstring,
)
from lifecheck.values import FAST_IMMUTABLE

if TYPE_CHECKING:
    from lifecheck.modelling.straight.units import Units


class Translation(Expressions):
    """One function (an action instance, or a helper) rewritten (see the module's notes).

    ``bound`` maps the function's parameters to a :class:`Holder` (a view), ``VALUE``
    (a value passed at run time) or, for an action instance, the constant it is bound to.
    An action's code is ``f(state, branch)``; a helper's is
    ``f(parts, dirty, branch, *its own parameters)``, a view passed as its process's index
    (or None for the model and components).
    """

    def __init__(self, units: Units, fn: types.FunctionType, bound: dict[str, Any],
                 action: bool, gate: tuple[int, int] | None = None,
                 predicate: bool = False) -> None:
        # A predicate (a property) reads the state and returns its value: ``f(state)``.
        self.predicate = predicate
        self.gate = gate  # an action of a process that may stop or pause: (part, status slot)
        self.units = units
        self.layout: Layout = units.layout
        self.fn = fn
        self.action = action
        self.globals = fn.__globals__
        self.constants: dict[str, Any] = {}
        self.fdef = parse_function(fn)
        self.holders: dict[str, Holder] = {}
        self.locals: set[str] = set()
        self.values: dict[str, Any] = {}  # an action's parameters, bound to constants
        self.temp = 0
        # Whether the parts are copied (an action reads the state itself until then).
        self.copied = not (action or predicate)
        self.contextual = False  # calls the runtime's context (choose, fault, ...)
        self.callees: set[int] = set()
        for name, value in bound.items():
            if isinstance(value, Holder):
                self.holders[name] = value
            else:
                self.locals.add(name)
                if value is not VALUE:
                    self.values[name] = value
        self._infer_locals(self.fdef.body)

    # -- names ------------------------------------------------------------------------
    def constant(self, value: Any) -> ast.expr:
        """A name for a value fixed when the code is built (closed over by the factory)."""
        for name, held in self.constants.items():
            if held is value:
                return ast.Name(name, ast.Load())
        name = f"{PREFIX}k{len(self.constants)}"
        self.constants[name] = value
        return ast.Name(name, ast.Load())

    def fresh(self) -> str:
        self.temp += 1
        return f"{PREFIX}t{self.temp}"

    def resolve(self, name: str) -> Any:
        """What a free name means in the function's module (a global or a builtin)."""
        if name in self.locals or name in self.holders:
            return None
        return self.globals.get(name, getattr(builtins, name, None))

    def _is(self, func: ast.expr, target: Any) -> bool:
        return isinstance(func, ast.Name) and self.resolve(func.id) is target

    def _infer_locals(self, body: list[ast.stmt]) -> None:
        """Which locals hold a process (each assignment gives one): decided for the whole
        function, as Python's own scoping is."""
        kinds: dict[str, str | None] = {}
        for node in body:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Starred) and isinstance(sub.ctx, ast.Store):
                    raise NotStraight("starred assignment")
                if isinstance(sub, ast.Name) and sub.id.startswith(PREFIX):
                    raise NotStraight(f"a name starting with {PREFIX}")
                if isinstance(sub, (ast.Global, ast.Nonlocal, ast.FunctionDef,
                                    ast.AsyncFunctionDef, ast.ClassDef, ast.With, ast.Delete,
                                    ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await,
                                    ast.Match, ast.AsyncFor, ast.AsyncWith, ast.TryStar)):
                    raise NotStraight(f"{type(sub).__name__} is not translated")
                pairs: list[tuple[ast.expr, str | None]] = []
                if isinstance(sub, ast.Assign):
                    role = self._role_of(sub.value)
                    pairs = [(t, role) for t in sub.targets]
                elif isinstance(sub, ast.For):
                    pairs = [(sub.target, self._role_of_iter(sub.iter))]
                elif isinstance(sub, (ast.AugAssign, ast.AnnAssign)):
                    pairs = [(sub.target, None)]
                elif isinstance(sub, ast.ExceptHandler) and sub.name:
                    self.locals.add(sub.name)
                for target, role in pairs:
                    for name in bound_names(target):
                        if name in self.holders:
                            raise NotStraight(f"{name} is a view and is changed")
                        self.locals.add(name)
                    if isinstance(target, ast.Name):
                        if target.id in kinds and kinds[target.id] != role:
                            raise NotStraight(f"{target.id} holds a process and a value")
                        kinds[target.id] = role
                    elif role is not None:
                        raise NotStraight("a process unpacked")
        for name, role in kinds.items():
            if role is not None:
                self.holders[name] = Holder(PROCESS, role, ast.Name(name, ast.Load()))
                self.locals.discard(name)

    def _role_of(self, node: ast.expr) -> str | None:
        """The role of the process ``node`` gives (``self.nodes[i]``, a process), or None."""
        if isinstance(node, ast.Name) and node.id in self.holders:
            holder = self.holders[node.id]
            return holder.name if holder.kind == PROCESS else None
        if isinstance(node, ast.Subscript):
            whole = self._whole(node.value)
            if whole is not None and whole.kind == "role":
                return whole.name
        return None

    def _role_of_iter(self, node: ast.expr) -> str | None:
        whole = self._whole(node)
        return whole.name if whole is not None and whole.kind == "role" else None

    def _whole(self, node: ast.expr) -> Whole | None:
        if isinstance(node, ast.Attribute) and self._names_view(node.value):
            looked = self.attribute(self.holder_of(node.value), node.attr)
            return looked if isinstance(looked, Whole) else None
        return None

    def _names_view(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.holders
        if isinstance(node, ast.Attribute):  # a component: self.fs
            return self._names_view(node.value) and isinstance(
                self.attribute(self.holder_of(node.value), node.attr), Holder)
        return self._role_of(node) is not None

    # -- the layout ---------------------------------------------------------------------
    def holder_of(self, node: ast.expr) -> Holder:
        """The part ``node`` names: a view's name, a component, or a role's process."""
        if isinstance(node, ast.Name) and node.id in self.holders:
            return self.holders[node.id]
        if isinstance(node, ast.Attribute) and self._names_view(node.value):
            looked = self.attribute(self.holder_of(node.value), node.attr)
            if isinstance(looked, Holder):
                return looked
        if isinstance(node, ast.Subscript):
            role = self._role_of(node)
            if role is not None:
                return Holder(PROCESS, role, self.process_index(node))
        raise NotStraight("a field of something other than a view")

    def attribute(self, holder: Holder, attr: str) -> Any:
        """What ``<holder>.attr`` is: ("slot", n), a :class:`Whole`, a component's
        :class:`Holder`, ("constant", value), ("index"|"name", None) or ("method", fn)."""
        layout = self.layout
        place = layout.place(holder)
        if holder.kind == MODEL_KIND:
            if attr in layout.params:
                return ("constant", layout.params[attr])
            if attr in layout.roles:
                return Whole("role", None, attr)
            if attr in layout.components:
                return Holder(COMPONENT, attr)
        elif holder.kind == COMPONENT:
            if attr in place.attributes and attr not in place.slots:
                return ("constant", place.attributes[attr])
        else:
            if attr == "index":
                if place.symmetric:
                    raise NotStraight("the index of a symmetric role's process")
                return ("index", None)
            if attr == "name":
                return ("name", None)
            if attr == "role":
                return ("constant", holder.name)
        if attr in place.slots:
            return ("slot", place.slots[attr])
        if attr in place.arrays:
            return Whole("array", holder, attr)
        if attr in VIEW_INTERNALS or attr.startswith("__"):
            raise NotStraight(f"attribute {attr}")
        try:
            found = inspect.getattr_static(place.cls, attr)
        except AttributeError:
            raise NotStraight(f"unknown attribute {attr}") from None
        if isinstance(found, types.FunctionType):
            return ("method", found)
        if isinstance(found, CONSTANT_TYPES) or (
                isinstance(found, (tuple, frozenset)) and all_constant(found)):
            return ("constant", found)
        raise NotStraight(f"attribute {attr} of {place.cls.__name__}")

    # -- the function -----------------------------------------------------------------
    def function(self) -> ast.Module:
        body: list[ast.stmt] = []
        if self.gate is not None:  # (process_faults.gated: a step only while it runs)
            part, slot = self.gate
            test = ast.Compare(self.read(ast.Constant(part), ast.Constant(slot)), [ast.NotEq()],
                               [ast.Constant(process_faults.RUNNING)])
            body.append(ast.If(test, [ast.Return(self.constant(DISABLED))], []))
        for name, value in self.values.items():
            body.append(ast.Assign([ast.Name(name, ast.Store())], self.constant(value)))
        # An action reads fields from the state itself until its first statement that may
        # write: a step its leading requires disable copies nothing.
        for stmt in without_docstring(self.fdef.body):
            if not self.copied and not self.predicate and may_write(stmt):
                body.extend(template(f"{PARTS} = list(state)\n{DIRTY} = []"))
                self.copied = True
            body.extend(self.statement(stmt))
        body.append(self.end())
        if self.action:
            signature = args(["state", BRANCH])
        elif self.predicate:
            signature = args(["state"])
        else:
            spec = self.fdef.args
            if spec.posonlyargs:
                raise NotStraight("positional-only parameters")
            defaults = [self.constant(v) for v in self.fn.__defaults__ or ()]
            kw_defaults = [self.constant((self.fn.__kwdefaults__ or {})[a.arg])
                           if (self.fn.__kwdefaults__ or {}).get(a.arg, MISSING) is not MISSING
                           else None for a in spec.kwonlyargs]
            signature = args([PARTS, DIRTY, BRANCH, *(a.arg for a in spec.args)], defaults,
                             [a.arg for a in spec.kwonlyargs], kw_defaults)
            signature.vararg, signature.kwarg = spec.vararg, spec.kwarg
        inner = ast.FunctionDef(name=f"{PREFIX}{self.fdef.name}", args=signature, body=body,
                                decorator_list=[], returns=None, type_params=[])
        factory = ast.FunctionDef(
            name=f"{PREFIX}make", args=args(list(self.constants)),
            body=[inner, ast.Return(ast.Name(inner.name, ast.Load()))],
            decorator_list=[], returns=None, type_params=[])
        return located(ast.Module(body=[factory], type_ignores=[]), self.fdef)

    def end(self, value: ast.expr | None = None) -> ast.stmt:
        """Leave the function: an action gives its successor, a helper or a predicate its
        value."""
        if not self.action:
            return ast.Return(value)
        if not self.copied:
            return ast.Return(ast.Name("state", ast.Load()))
        call = ast.Call(self.constant(self.units.finish),
                        [ast.Name(n, ast.Load()) for n in ("state", PARTS, DIRTY, BRANCH)], [])
        return ast.Return(call)

    # -- statements -------------------------------------------------------------------
    def statements(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            out.extend(self.statement(stmt))
        return out or [ast.Pass()]

    def statement(self, node: ast.stmt) -> list[ast.stmt]:
        out = self._statement(node)
        for made in out:
            ast.copy_location(made, node)
        return out

    def _statement(self, node: ast.stmt) -> list[ast.stmt]:
        if isinstance(node, ast.Expr):
            call = node.value
            if isinstance(call, ast.Call) and self._is(call.func, runtime.require):
                if len(call.args) != 1 or call.keywords or self.predicate:
                    raise NotStraight("require with other than one argument, or in a property")
                test = ast.UnaryOp(ast.Not(), self.value(call.args[0]))
                if self.action:
                    return [ast.If(test, [ast.Return(self.constant(DISABLED))], [])]
                return [ast.If(test, [ast.Raise(ast.Call(self.constant(runtime.Disabled), [], []),
                                                None)], [])]
            if isinstance(call, ast.Constant):
                return []
            return [ast.Expr(self.value(call))]
        if isinstance(node, (ast.Pass, ast.Break, ast.Continue)):
            return [node]
        if isinstance(node, ast.Return):
            if self.action:
                pre = [] if node.value is None else [ast.Expr(self.value(node.value))]
                return [*pre, self.end()]
            return [self.end(self.value(node.value) if node.value is not None else None)]
        if isinstance(node, ast.If):
            return [ast.If(self.value(node.test), self.statements(node.body),
                           self.statements(node.orelse) if node.orelse else [])]
        if isinstance(node, ast.While):
            return [ast.While(self.value(node.test), self.statements(node.body),
                              self.statements(node.orelse) if node.orelse else [])]
        if isinstance(node, ast.Try):
            handlers = [ast.ExceptHandler(self.value(h.type) if h.type else None, h.name,
                                          self.statements(h.body)) for h in node.handlers]
            return [ast.Try(self.statements(node.body), handlers,
                            self.statements(node.orelse) if node.orelse else [],
                            self.statements(node.finalbody) if node.finalbody else [])]
        if isinstance(node, ast.Raise):
            return [ast.Raise(self.value(node.exc) if node.exc else None,
                              self.value(node.cause) if node.cause else None)]
        if isinstance(node, ast.Assert):
            return [ast.Assert(self.value(node.test), self.value(node.msg) if node.msg else None)]
        if isinstance(node, ast.For):
            return self._for(node)
        if isinstance(node, ast.Assign):
            return self._assign(node)
        if isinstance(node, ast.AnnAssign):
            if node.value is None:
                return []
            return self._assign(ast.Assign([node.target], node.value))
        if isinstance(node, ast.AugAssign):
            return self._augassign(node)
        raise NotStraight(f"statement {type(node).__name__}")

    def _for(self, node: ast.For) -> list[ast.stmt]:
        whole = self._whole(node.iter)
        if whole is not None and whole.kind == "role":
            if not isinstance(node.target, ast.Name):
                raise NotStraight("a role iterated into a pattern")
            count = self.layout.roles[whole.name].count
            return [ast.For(ast.Name(node.target.id, ast.Store()), self.constant(range(count)),
                            self.statements(node.body),
                            self.statements(node.orelse) if node.orelse else [])]
        return [ast.For(self.store_target(node.target), self.value(node.iter),
                        self.statements(node.body),
                        self.statements(node.orelse) if node.orelse else [])]

    def store_target(self, target: ast.expr) -> ast.expr:
        """A target that binds locals only (a name, or a tuple of them)."""
        if isinstance(target, ast.Name):
            if target.id in self.holders:
                raise NotStraight(f"{target.id} is a view")
            return ast.Name(target.id, ast.Store())
        if isinstance(target, (ast.Tuple, ast.List)):
            return ast.Tuple([self.store_target(t) for t in target.elts], ast.Store())
        raise NotStraight("a target that is not a name")

    def _assign(self, node: ast.Assign) -> list[ast.stmt]:
        if len(node.targets) != 1:
            temp = self.fresh()  # a = b = value: the value once, then each target in turn
            out = [ast.Assign([ast.Name(temp, ast.Store())], self.value(node.value))]
            for target in node.targets:
                out.extend(self._assign_value(target, node.value, ast.Name(temp, ast.Load())))
            return out
        return self._assign_value(node.targets[0], node.value, None)

    def _assign_value(self, target: ast.expr, source: ast.expr,
                      done: ast.expr | None) -> list[ast.stmt]:
        if isinstance(target, ast.Name) and target.id in self.holders:
            if done is not None or self._role_of(source) is None:
                raise NotStraight("a process local given a value")
            return [ast.Assign([ast.Name(target.id, ast.Store())], self.process_index(source))]
        value = done if done is not None else self.value(source)
        if isinstance(target, ast.Name) or (isinstance(target, (ast.Tuple, ast.List))
                                            and all(only_names(t) for t in target.elts)):
            return [ast.Assign([self.store_target(target)], value)]
        if isinstance(target, (ast.Tuple, ast.List)):
            # a, self.x = ...: unpacked into temporaries, then each target set in turn.
            temps = [self.fresh() for _ in target.elts]
            out: list[ast.stmt] = [ast.Assign([ast.Tuple([ast.Name(n, ast.Store()) for n in temps],
                                                         ast.Store())], value)]
            for element, temp in zip(target.elts, temps, strict=True):
                out.extend(self._assign_value(element, element, ast.Name(temp, ast.Load())))
            return out
        if not self._sets_field(target):  # an item or attribute of a local value: as written
            made = ast.Subscript(self.value(target.value), self.value(target.slice), ast.Store()) \
                if isinstance(target, ast.Subscript) else \
                ast.Attribute(self.value(target.value), target.attr, ast.Store())  # type: ignore[attr-defined]
            return [ast.Assign([made], value)]
        return self.write(target, value, source if done is None else None)

    def _sets_field(self, target: ast.expr) -> bool:
        if isinstance(target, ast.Attribute):
            return self._names_view(target.value)
        if isinstance(target, ast.Subscript):
            return self._whole(target.value) is not None or self._names_view(target.value)
        raise NotStraight(f"cannot set {type(target).__name__}")

    def _augassign(self, node: ast.AugAssign) -> list[ast.stmt]:
        target = node.target
        if isinstance(target, ast.Name):
            if target.id in self.holders:
                raise NotStraight("a view changed in place")
            return [ast.AugAssign(ast.Name(target.id, ast.Store()), node.op, self.value(node.value))]
        if not self._sets_field(target):
            raise NotStraight("an item or attribute of a local value changed in place")
        # Read, combine in place (as a view's attribute would), write back.
        where, pre = self.field_place(target)
        temp = self.fresh()
        return [*pre, ast.Assign([ast.Name(temp, ast.Store())], self.read(*where)),
                ast.AugAssign(ast.Name(temp, ast.Store()), node.op, self.value(node.value)),
                *self.write_place(where, ast.Name(temp, ast.Load()))]

    def write(self, target: ast.expr, value: ast.expr, source: ast.expr) -> list[ast.stmt]:
        """``<field> = value``: the value first, then where it goes, as Python does."""
        temp = self.fresh()
        out: list[ast.stmt] = [ast.Assign([ast.Name(temp, ast.Store())], value)]
        where, pre = self.field_place(target)
        return out + pre + self.write_place(where, ast.Name(temp, ast.Load()), source)

    def field_place(self, target: ast.expr) -> tuple[tuple[ast.expr, ast.expr], list[ast.stmt]]:
        """(part, slot) of a field written, and statements that fix them."""
        if self.predicate:
            raise NotStraight("a property sets a field")
        if isinstance(target, ast.Attribute) and self._names_view(target.value):
            holder = self.holder_of(target.value)
            looked = self.attribute(holder, target.attr)
            if not (isinstance(looked, tuple) and looked[0] == "slot"):
                raise NotStraight(f"{target.attr} is not a field that can be set")
            part, pre = self._fixed(self.layout.part_of(holder))
            return (part, ast.Constant(looked[1])), pre
        if isinstance(target, ast.Subscript):
            whole = self._whole(target.value)
            if whole is None or whole.kind != "array" or isinstance(target.slice, ast.Slice):
                raise NotStraight("a subscript set that is not an array element")
            assert whole.holder is not None
            part, pre = self._fixed(self.layout.part_of(whole.holder))
            temp = self.fresh()
            pick = ast.Subscript(self.constant(self._array_slots(whole)), self.value(target.slice),
                                 ast.Load())
            return (part, ast.Name(temp, ast.Load())), [*pre, ast.Assign([ast.Name(temp, ast.Store())],
                                                                         pick)]
        raise NotStraight(f"cannot set {type(target).__name__}")

    def _fixed(self, part: ast.expr) -> tuple[ast.expr, list[ast.stmt]]:
        """A part index evaluated once: a constant, or a temporary that holds it."""
        if isinstance(part, ast.Constant):
            return part, []
        temp = self.fresh()
        return ast.Name(temp, ast.Load()), [ast.Assign([ast.Name(temp, ast.Store())], part)]

    def write_place(self, where: tuple[ast.expr, ast.expr], value: ast.expr,
                    source: ast.expr | None = None) -> list[ast.stmt]:
        """Set a field as the context's ``write`` would: values of other than the plain
        immutable types shared (and refused if mutable), the part copied once."""
        part, slot = where
        check = "" if plain_constant(source) else \
            "if type(V) not in F or (type(V) is float and V != V): V = I(V, '')\n"
        return template(f"{check}_lc_p = {PARTS}[P]\n"
                        f"if type(_lc_p) is tuple:\n"
                        f"    _lc_p = {PARTS}[P] = list(_lc_p)\n"
                        f"    {DIRTY}.append(P)\n"
                        f"_lc_p[S] = V\n",
                        V=value, F=self.constant(FAST_IMMUTABLE),
                        I=self.constant(self.units.intern), P=part, S=slot)
