"""Calls in translated code: helpers given views, the runtime's own calls, builtins.

A call keeps its place in the expression and its arguments their order, so what is
evaluated, and when, does not change. What changes is what is called:

* a helper (a method of the model, a component or a process, or a function of the
  model's module) given a view runs as translated code of its own, specialised to the
  views it is given, with each process passed as its index;
* ``choose``, ``fault`` and the runtime's other calls that need the running step act
  on the branch the translated step runs in, through the runtime's own functions;
* a builtin that only iterates an array field gets the elements' values;
* anything else (a value's method, a function given values only) is called as written.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import types
from typing import TYPE_CHECKING, Any

from lifecheck.modelling import process_faults, runtime
from lifecheck.modelling.straight.layout import PROCESS, Holder
from lifecheck.modelling.straight.syntax import (
    BRANCH,
    CONTEXTUAL,
    DIRTY,
    ITERATING,
    PARTS,
    REFUSED,
    VALUE,
    NotStraight,
)

if TYPE_CHECKING:
    from lifecheck.modelling.straight.translate import Translation


def call(t: Translation, node: ast.Call) -> ast.expr:

    func = node.func
    if isinstance(func, ast.Attribute) and t._names_view(func.value):
        receiver = t.holder_of(func.value)
        looked = t.attribute(receiver, func.attr)
        if not (isinstance(looked, tuple) and looked[0] == "method"):
            raise NotStraight(f"{func.attr} called")
        inlined = t.inline(looked[1], receiver, node)
        if inlined is not None:
            return inlined
        return helper_call(t, looked[1], receiver, node)
    if isinstance(func, ast.Name):
        found = t.resolve(func.id)
        if found in _STATUS:
            return status_test(t, found, node)
        if found in REFUSED:
            raise NotStraight(f"{func.id} is not translated")
        if found in CONTEXTUAL:
            return contextual(t, CONTEXTUAL[found], node)
        if found is builtins.len and len(node.args) == 1 and not node.keywords:
            whole = t._whole(node.args[0])
            if whole is not None:
                if whole.kind == "role":
                    return ast.Constant(t.layout.roles[whole.name].count)
                return ast.Constant(len(t._array_slots(whole)))
        folded = unrolled(t, found, node)
        if folded is not None:
            return folded
        if any(found is f for f in ITERATING) and node.args:
            whole = t._whole(node.args[0])
            if whole is not None and whole.kind == "array":
                assert whole.holder is not None
                part = t.layout.part_of(whole.holder)
                elements = ast.Tuple([t.read(part, ast.Constant(s))
                                      for s in t._array_slots(whole)], ast.Load())
                node = ast.Call(func, [elements, *node.args[1:]], node.keywords)
        if isinstance(found, types.FunctionType) and _given_views(t, node):
            if _unpacks(node):
                raise NotStraight("*args or **kwargs in a call of a helper")
            inlined = t.inline(found, None, node)
            if inlined is not None:
                return inlined
            return helper_call(t, found, None, node)
        if isinstance(found, types.FunctionType) and _asks_context(found):
            t.contextual = True  # (it runs as written, in the branch: see steps.py)
    if _given_views(t, node):
        raise NotStraight("a view passed to something that is not a helper")
    return ast.Call(t.value(func), [t.value(a) for a in node.args],
                    [ast.keyword(k.arg, t.value(k.value)) for k in node.keywords])


UNROLLED = 8
"""The most processes of a role that ``any``, ``all`` or ``sum`` over a generator of them
is written out for, one term a process (``state[2][0] + state[3][0]``): a generator costs
a frame resumed per element, several times the term itself, and these are the forms a
property takes to count processes, checked on every state."""

_FOLDS = {builtins.any: ast.Or(), builtins.all: ast.And(), builtins.sum: ast.Add()}
_IMPURE = (ast.Call, ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom,
           ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)


def unrolled(t: Translation, found: Any, node: ast.Call) -> ast.expr | None:
    """``any``, ``all`` or ``sum`` of a generator over the processes of a role, one term a
    process (``or``, ``and`` and ``+`` of the terms: they stop at the same term, and add
    in the same order, as the builtins), or None where it is not that: a filtered
    generator, a term that calls or makes anything, or more than UNROLLED processes."""
    op = next((op for fn, op in _FOLDS.items() if fn is found), None)
    if op is None or len(node.args) != 1 or node.keywords:
        return None
    gen = node.args[0]
    if not isinstance(gen, ast.GeneratorExp) or len(gen.generators) != 1:
        return None
    loop = gen.generators[0]
    if loop.ifs or loop.is_async or not isinstance(loop.target, ast.Name) \
            or any(isinstance(n, _IMPURE) for n in ast.walk(gen.elt)):
        return None
    whole = t._whole(loop.iter)
    if whole is None or whole.kind != "role" or t.layout.roles[whole.name].count > UNROLLED:
        return None
    name = loop.target.id
    before = t.holders.get(name)
    terms = []
    try:
        for i in range(t.layout.roles[whole.name].count):
            t.holders[name] = Holder(PROCESS, whole.name, ast.Constant(i))
            terms.append(t.value(gen.elt))
    finally:
        if before is None:
            del t.holders[name]
        else:
            t.holders[name] = before
    if isinstance(op, ast.Add):  # (sum adds from 0, left to right)
        total: ast.expr = ast.Constant(0)
        for term in terms:
            total = ast.BinOp(total, ast.Add(), term)
        return total
    if not terms:
        return ast.Constant(isinstance(op, ast.And))
    test = terms[0] if len(terms) == 1 else ast.BoolOp(op, terms)
    return ast.IfExp(test, ast.Constant(True), ast.Constant(False))


_STATUS = {process_faults.paused: process_faults.PAUSED,
           process_faults.stopped: process_faults.STOPPED}


def status_test(t: Translation, fn: Any, node: ast.Call) -> ast.expr:
    """``paused(p)``, ``stopped(p)``: a look at the process's status slot."""
    if len(node.args) != 1 or node.keywords or t._role_of(node.args[0]) is None:
        raise NotStraight(f"{fn.__name__}() of other than a process")
    holder = t.holder_of(node.args[0])
    slot = t.layout.place(holder).status
    if slot is None:  # no fault stops or pauses this role: always running
        return ast.Constant(False)
    return ast.Compare(t.read(t.layout.part_of(holder), ast.Constant(slot)), [ast.Eq()],
                       [ast.Constant(_STATUS[fn])])


def _unpacks(node: ast.Call) -> bool:
    return any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None
                                                                      for k in node.keywords)


def _given_views(t: Translation, node: ast.Call) -> bool:
    return any(t._names_view(a) or t._whole(a) is not None
               for a in [*node.args, *(k.value for k in node.keywords)])


def _asks_context(fn: types.FunctionType) -> bool:
    """Whether a function may call the runtime's context (by name: a guess that only
    decides how the step is run, never what it gives)."""
    names = set(fn.__code__.co_names)
    return bool(names & {"choose", "choose_from", "fault", "faults_left", "note",
                         "current_process", "sampling", "draw"})


def helper_call(t: Translation, fn: types.FunctionType, receiver: Holder | None,
                node: ast.Call) -> ast.expr:
    """A call of ``fn``'s translated code, specialised to the views it is given."""

    given: list[Any] = ([receiver] if receiver is not None else []) + list(node.args)
    if _unpacks(node):
        return _unpacked_call(t, fn, receiver, node)
    marks = [object() for _ in given]
    kw_marks = {k.arg: object() for k in node.keywords}
    try:
        bound = inspect.signature(fn).bind(*marks, **kw_marks)
    except TypeError as exc:
        raise NotStraight(f"helper {fn.__name__} called with other arguments ({exc})") from None
    by_mark: dict[int, Any] = {id(m): g for m, g in zip(marks, given, strict=True)}
    by_mark.update({id(kw_marks[k.arg]): k.value for k in node.keywords if k.arg})
    kinds: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            packed = bound.arguments.get(name, ())
            for mark in packed.values() if isinstance(packed, dict) else packed:
                arg = by_mark[id(mark)]
                if isinstance(arg, Holder) or t._names_view(arg) or t._whole(arg) is not None:
                    raise NotStraight(f"a view passed in *{name}")
            kinds[name] = VALUE
            continue
        if name not in bound.arguments:
            kinds[name] = VALUE  # its default
            continue
        arg = by_mark[id(bound.arguments[name])]
        if isinstance(arg, Holder):
            kinds[name] = arg
        elif t._names_view(arg):
            kinds[name] = t.holder_of(arg)
        elif t._whole(arg) is not None:
            raise NotStraight("a role or an array passed to a helper")
        else:
            kinds[name] = VALUE
    index = t.units.helper(fn, kinds)
    t.callees.add(index)

    def passed(arg: Any) -> ast.expr:
        holder = arg if isinstance(arg, Holder) else (
            t.holder_of(arg) if t._names_view(arg) else None)
        if holder is None:
            return t.value(arg)
        if holder.kind == PROCESS:
            assert holder.index is not None
            return holder.index
        return ast.Constant(None)

    code = ast.Subscript(t.constant(t.units.code), ast.Constant(index), ast.Load())
    head = _head(t)
    return ast.Call(code, head + [passed(g) for g in given],
                    [ast.keyword(k.arg, passed(k.value)) for k in node.keywords])


def _unpacked_call(t: Translation, fn: types.FunctionType, receiver: Holder | None,
                   node: ast.Call) -> ast.expr:
    """``self._log(*ops)``: values only but for the receiver, which takes the first
    parameter; every other parameter is a value."""

    if _given_views(t, node):
        raise NotStraight("a view passed to a helper with *args")
    params = list(inspect.signature(fn).parameters.values())
    if receiver is not None and (not params or params[0].kind not in (
            params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD)):
        raise NotStraight(f"helper {fn.__name__}'s receiver")
    kinds: dict[str, Any] = {p.name: VALUE for p in params}
    head: list[ast.expr] = _head(t)
    if receiver is not None:
        kinds[params[0].name] = receiver
        if receiver.kind == PROCESS:
            assert receiver.index is not None
            head.append(receiver.index)
        else:
            head.append(ast.Constant(None))
    index = t.units.helper(fn, kinds)
    t.callees.add(index)
    code = ast.Subscript(t.constant(t.units.code), ast.Constant(index), ast.Load())
    return ast.Call(code, head + [t.value(a) for a in node.args],
                    [ast.keyword(k.arg, t.value(k.value)) for k in node.keywords])


def _head(t: Translation) -> list[ast.expr]:
    """What a helper's code is given first: the parts, the parts written, the branch (for
    a property: the state itself, and nothing to write or choose in)."""
    if t.predicate:
        return [ast.Name("state", ast.Load()), ast.Constant(None), ast.Constant(None)]
    return [ast.Name(n, ast.Load()) for n in (PARTS, DIRTY, BRANCH)]


def contextual(t: Translation, name: str, node: ast.Call) -> ast.expr:
    """``choose(...)``, ``fault(...)`` and the like, in the branch the step runs in."""
    if t.predicate:
        raise NotStraight(f"{name}() in a property")

    t.contextual = True
    branch = ast.Name(BRANCH, ast.Load())
    values = [t.value(a) for a in node.args]
    keywords = {k.arg: t.value(k.value) for k in node.keywords}
    if name == "choose":
        if set(keywords) - {"label"}:
            raise NotStraight("choose() with other keywords")
        options = ast.Tuple(values, ast.Load())
        label = keywords.get("label", ast.Constant(None))
        return ast.Call(t.constant(runtime.choose_in), [branch, options, label], [])
    signatures = {"choose_from": (runtime.choose_from_in, ["options", "label"]),
                  "fault": (runtime.fault_in, ["kind", "label"]),
                  "faults_left": (runtime.faults_left_in, ["kind"]),
                  "note": (_note_in, ["text"]),
                  "current_process": (_process_in, []),
                  "sampling": (_sampling_in, [])}
    fn, params = signatures[name]
    if len(values) > len(params) or set(keywords) - set(params[len(values):]):
        raise NotStraight(f"{name}() called with other arguments")
    passed = values + [keywords.get(p, ast.Constant(None)) for p in params[len(values):]]
    if name in ("fault", "faults_left", "note") and len(passed) < 1:
        raise NotStraight(f"{name}() without its argument")
    if name in ("choose_from",) and "options" in params[len(values):] and "options" not in keywords:
        raise NotStraight("choose_from() without options")
    return ast.Call(t.constant(fn), [branch, *passed], [])


def _note_in(ctx: runtime.Context, text: Any) -> None:
    ctx.labels.append(text)


def _process_in(ctx: runtime.Context) -> str | None:
    return ctx.process


def _sampling_in(ctx: runtime.Context) -> bool:
    return ctx.sampler is not None
