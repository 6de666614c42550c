"""Expressions in translated code: every read of a view replaced by a subscript of the state.

A mixin of :class:`~lifecheck.modelling.straight.translate.Translation`, which knows the
views the code names (``holders``), its locals and the layout.
"""

from __future__ import annotations

import ast
import types
from typing import TYPE_CHECKING, Any

from lifecheck.modelling import runtime
from lifecheck.modelling.straight.calls import call
from lifecheck.modelling.straight.layout import PROCESS, Holder, Layout, Whole
from lifecheck.modelling.straight.syntax import (
    CONTEXTUAL,
    PARTS,
    REFUSED,
    NotStraight,
    bound_names,
    parse_function,
    replaced,
    without_docstring,
)

if TYPE_CHECKING:
    from lifecheck.modelling.straight.units import Units


class Expressions:
    holders: dict[str, Holder]
    locals: set[str]
    layout: Layout
    units: Units
    copied: bool
    globals: dict[str, Any]

    if TYPE_CHECKING:
        def constant(self, value: Any) -> ast.expr: ...
        def fresh(self) -> str: ...
        def resolve(self, name: str) -> Any: ...
        def _whole(self, node: ast.expr) -> Whole | None: ...
        def _names_view(self, node: ast.expr) -> bool: ...
        def _role_of(self, node: ast.expr) -> str | None: ...
        def holder_of(self, node: ast.expr) -> Holder: ...
        def attribute(self, holder: Holder, attr: str) -> Any: ...

    # -- expressions -------------------------------------------------------------------
    def read(self, part: ast.expr, slot: ast.expr) -> ast.expr:
        base = PARTS if self.copied else "state"
        return ast.Subscript(ast.Subscript(ast.Name(base, ast.Load()), part, ast.Load()), slot,
                             ast.Load())

    def process_index(self, node: ast.expr) -> ast.expr:
        """The index of the process ``node`` names, as an int expression."""
        if isinstance(node, ast.Name) and node.id in self.holders:
            holder = self.holders[node.id]
            if holder.kind != PROCESS:
                raise NotStraight("the model or a component used as a process")
            assert holder.index is not None
            return holder.index
        if isinstance(node, ast.Subscript):
            whole = self._whole(node.value)
            if whole is not None and whole.kind == "role" and not isinstance(node.slice, ast.Slice):
                count = self.layout.roles[whole.name].count
                # range(n)[i]: the same IndexError and negative indices as the tuple of views.
                return ast.Subscript(self.constant(range(count)), self.value(node.slice),
                                     ast.Load())
        raise NotStraight("not a process")

    def _array_slots(self, whole: Whole) -> tuple[int, ...]:
        assert whole.holder is not None
        return self.layout.place(whole.holder).arrays[whole.name]

    def value(self, node: ast.expr) -> ast.expr:
        """``node`` as a plain value, every view access replaced."""
        return ast.copy_location(self._value(node), node)

    def _value(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Constant):
            return node
        if isinstance(node, ast.Name):
            if node.id in self.holders:
                raise NotStraight(f"view {node.id} used as a value")
            found = self.resolve(node.id)
            if found in CONTEXTUAL or found in REFUSED or found is runtime.require:
                raise NotStraight(f"{node.id} used other than called")
            return ast.Name(node.id, ast.Load())
        if isinstance(node, ast.Attribute):
            if self._names_view(node.value):
                holder = self.holder_of(node.value)
                return self._field_value(holder, self.attribute(holder, node.attr), node.attr)
            return ast.Attribute(self.value(node.value), node.attr, ast.Load())
        if isinstance(node, ast.Subscript):
            whole = self._whole(node.value)
            if whole is not None:
                if isinstance(node.slice, ast.Slice) or whole.kind == "role":
                    raise NotStraight("a slice of an array, or a process used as a value")
                assert whole.holder is not None
                slot = ast.Subscript(self.constant(self._array_slots(whole)),
                                     self.value(node.slice), ast.Load())
                return self.read(self.layout.part_of(whole.holder), slot)
            return ast.Subscript(self.value(node.value), self.value(node.slice), ast.Load())
        if isinstance(node, ast.Slice):
            return ast.Slice(*(self.value(x) if x is not None else None
                               for x in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Call):
            return call(self, node)
        if isinstance(node, (ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
            return self._comprehension(node)
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(node.op, [self.value(v) for v in node.values])
        if isinstance(node, ast.BinOp):
            return ast.BinOp(self.value(node.left), node.op, self.value(node.right))
        if isinstance(node, ast.UnaryOp):
            return ast.UnaryOp(node.op, self.value(node.operand))
        if isinstance(node, ast.Compare):
            return ast.Compare(self.value(node.left), node.ops,
                               [self.value(c) for c in node.comparators])
        if isinstance(node, ast.IfExp):
            return ast.IfExp(self.value(node.test), self.value(node.body), self.value(node.orelse))
        if isinstance(node, (ast.Tuple, ast.List)):
            return type(node)([self.value(e) for e in node.elts], ast.Load())
        if isinstance(node, ast.Set):
            return ast.Set([self.value(e) for e in node.elts])
        if isinstance(node, ast.Starred):
            return ast.Starred(self.value(node.value), ast.Load())
        if isinstance(node, ast.Lambda):
            return self._lambda(node)
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise NotStraight("** in a dict display")
            return ast.Dict([self.value(k) for k in node.keys if k is not None],
                            [self.value(v) for v in node.values])
        if isinstance(node, ast.JoinedStr):
            return ast.JoinedStr([self.value(v) for v in node.values])
        if isinstance(node, ast.FormattedValue):
            return ast.FormattedValue(self.value(node.value), node.conversion,
                                      self.value(node.format_spec) if node.format_spec else None)
        raise NotStraight(f"expression {type(node).__name__}")

    def _field_value(self, holder: Holder, looked: Any, attr: str) -> ast.expr:
        if isinstance(looked, tuple):
            kind, what = looked
            if kind == "slot":
                return self.read(self.layout.part_of(holder), ast.Constant(what))
            if kind == "constant":
                return self.constant(what)
            if kind == "index":
                assert holder.index is not None
                return holder.index
            if kind == "name":
                names = self.layout.roles[holder.name or ""].names
                assert holder.index is not None
                return ast.Subscript(self.constant(names), holder.index, ast.Load())
        raise NotStraight(f"{attr} used as a value")

    def _lambda(self, node: ast.Lambda) -> ast.expr:
        """A lambda of values (its parameters shadow no view): its body reads fields when
        it is called, as a view would. (An action has copied its parts by then: a
        statement that makes a lambda counts as one that may write, see may_write.)"""
        spec = node.args
        names = [a.arg for a in [*spec.posonlyargs, *spec.args, *spec.kwonlyargs]]
        names += [a.arg for a in (spec.vararg, spec.kwarg) if a is not None]
        if set(names) & set(self.holders):
            raise NotStraight("a lambda's parameter shadows a view")
        if spec.defaults or any(d is not None for d in spec.kw_defaults):
            raise NotStraight("a lambda with defaults")
        added = set(names) - self.locals
        self.locals.update(added)
        try:
            return ast.Lambda(spec, self.value(node.body))
        finally:
            self.locals.difference_update(added)

    def _comprehension(self, node: ast.expr) -> ast.expr:
        generators = []
        bound: list[tuple[str, Holder | None]] = []
        try:
            for gen in node.generators:  # type: ignore[attr-defined]
                if gen.is_async:
                    raise NotStraight("async comprehension")
                whole = self._whole(gen.iter)
                if whole is not None:
                    if not isinstance(gen.target, ast.Name):
                        raise NotStraight("a role or an array iterated into a pattern")
                    name = gen.target.id
                    if whole.kind == "role":
                        iterable = self.constant(range(self.layout.roles[whole.name].count))
                        bound.append((name, self.holders.get(name)))
                        self.holders[name] = Holder(PROCESS, whole.name, ast.Name(name, ast.Load()))
                    else:
                        assert whole.holder is not None
                        slot = self.fresh()
                        iterable = ast.GeneratorExp(
                            self.read(self.layout.part_of(whole.holder), ast.Name(slot, ast.Load())),
                            [ast.comprehension(ast.Name(slot, ast.Store()),
                                               self.constant(self._array_slots(whole)), [], 0)])
                        self.locals.add(name)
                    target: ast.expr = ast.Name(name, ast.Store())
                else:
                    iterable = self.value(gen.iter)
                    target = self.store_target(gen.target)
                    self.locals.update(bound_names(gen.target))
                generators.append(ast.comprehension(target, iterable,
                                                    [self.value(c) for c in gen.ifs], 0))
            if isinstance(node, ast.DictComp):
                return ast.DictComp(self.value(node.key), self.value(node.value), generators)
            return type(node)(self.value(node.elt), generators)  # type: ignore[attr-defined]
        finally:
            for name, before in reversed(bound):
                if before is None:
                    del self.holders[name]
                else:
                    self.holders[name] = before

    def inline(self, fn: types.FunctionType, receiver: Holder | None,
               node: ast.Call) -> ast.expr | None:
        """A helper whose body returns one expression, put in place, or None.

        Its parameters stand for the arguments given: views, names and constants only,
        which read the same wherever they are evaluated.
        """
        if fn.__globals__ is not self.globals or fn.__code__.co_freevars:
            return None
        try:
            fdef = parse_function(fn)
        except NotStraight:
            return None
        body = without_docstring(fdef.body)
        spec = fdef.args
        if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None \
                or node.keywords or spec.vararg or spec.kwarg or spec.kwonlyargs \
                or spec.posonlyargs or spec.defaults:
            return None
        params = [a.arg for a in spec.args]
        given = ([receiver] if receiver is not None else []) + list(node.args)
        if len(params) != len(given):
            return None
        expr = body[0].value
        used = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        if (used - set(params)) & (self.locals | set(self.holders)):
            return None
        renamed: dict[str, ast.expr] = {}
        views: dict[str, Holder] = {}
        for param, arg in zip(params, given, strict=True):
            if isinstance(arg, Holder):
                views[param] = arg
            elif self._names_view(arg):
                views[param] = self.holder_of(arg)
            elif isinstance(arg, ast.Constant) or (isinstance(arg, ast.Name) and arg.id not in used):
                renamed[param] = arg
            else:
                return None
        saved = {name: self.holders.get(name) for name in views}
        self.holders.update(views)
        try:
            return self.value(replaced(expr, renamed))
        finally:
            for name, before in saved.items():
                if before is None:
                    del self.holders[name]
                else:
                    self.holders[name] = before
