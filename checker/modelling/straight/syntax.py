"""Small pieces of Python syntax the translation reads and builds."""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import types
from typing import Any

from lifecheck.modelling import runtime
from lifecheck.values import FAST_IMMUTABLE

PREFIX = "_lc_"
CONSTANT_TYPES = (int, float, str, bytes, bool, type(None))


class NotStraight(Exception):
    """The code uses something the translation does not cover: it runs as written."""


def parse_function(fn: Any) -> ast.FunctionDef:
    """``fn``'s definition, its line numbers those of its file: parsed once per function,
    and shared, so never to be changed (:func:`replaced` makes a changed copy)."""
    if not isinstance(fn, types.FunctionType) or fn.__code__.co_freevars:
        raise NotStraight("not a plain function (a closure or a callable object)")
    parsed = _PARSED.get(fn.__code__)
    if parsed is None:
        parsed = _PARSED[fn.__code__] = _parse(fn)
    if isinstance(parsed, str):
        raise NotStraight(parsed)
    return parsed


_PARSED: dict[types.CodeType, ast.FunctionDef | str] = {}


def _parse(fn: types.FunctionType) -> ast.FunctionDef | str:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError) as exc:
        return f"source not available ({exc})"
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef):
        return "not a def"
    fdef = tree.body[0]
    if fdef.name != fn.__name__:
        return "the source found is another function's"
    ast.increment_lineno(fdef, fn.__code__.co_firstlineno - 1)
    return fdef


def without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def plain_constant(node: ast.expr | None) -> bool:
    """A literal the context's write would store as it is (no sharing, no check)."""
    return isinstance(node, ast.Constant) and type(node.value) in FAST_IMMUTABLE \
        and node.value == node.value


def bound_names(target: ast.expr) -> list[str]:
    """The names an assignment target binds (not the bases of its attributes)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for t in target.elts for n in bound_names(t)]
    return []


def all_constant(values: Any) -> bool:
    return all(isinstance(v, CONSTANT_TYPES) or (isinstance(v, (tuple, frozenset))
                                                  and all_constant(v)) for v in values)


def args(names: list[str], defaults: list[ast.expr] | None = None,
         kwonly: list[str] | None = None, kw_defaults: list[ast.expr | None] | None = None,
         ) -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[ast.arg(n) for n in names], vararg=None,
                         kwonlyargs=[ast.arg(n) for n in kwonly or []],
                         kw_defaults=kw_defaults or [], kwarg=None, defaults=defaults or [])


def copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


class Rename(ast.NodeTransformer):
    """Put expressions in place of names (a name assigned to stays a name)."""

    def __init__(self, mapping: dict[str, ast.expr]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.expr:
        found = self.mapping.get(node.id)
        if found is None:
            return node
        made = copy(found)
        if isinstance(node.ctx, ast.Store):
            if not isinstance(made, ast.Name):
                raise NotStraight("an assignment to a name put in place")
            made.ctx = ast.Store()
        return ast.copy_location(made, node)


def replaced(node: ast.expr, mapping: dict[str, ast.expr]) -> ast.expr:
    """A copy of ``node`` with the expressions given in place of names (``node`` itself
    is left as it was: parsed trees are shared)."""
    if isinstance(node, ast.Name) and node.id in mapping:
        if not isinstance(node.ctx, ast.Load):
            raise NotStraight("an assignment to a name put in place")
        return ast.copy_location(copy(mapping[node.id]), node)
    fields = {}
    for name, value in ast.iter_fields(node):
        if isinstance(value, ast.AST):
            value = replaced(value, mapping)  # type: ignore[arg-type]
        elif isinstance(value, list):
            value = [replaced(v, mapping) if isinstance(v, ast.AST) else v for v in value]
        fields[name] = value
    made = type(node)(**fields)
    return ast.copy_location(made, node)


def template(code: str, **mapping: ast.expr) -> list[ast.stmt]:
    """Statements parsed from ``code``, with the expressions given put in place of names."""
    renamer = Rename(mapping)
    return [renamer.visit(s) for s in ast.parse(code).body]


def located(module: ast.Module, where: ast.AST) -> ast.Module:
    """Every node without a position given its parent's, the outermost ``where``'s (errors
    then point at the model)."""
    for node in module.body:
        ast.copy_location(node, where)
    return ast.fix_missing_locations(module)


PARTS, DIRTY, BRANCH = "_lc_parts", "_lc_dirty", "_lc_b"
# Builtins that only iterate their first argument: given an array field, its elements.
ITERATING = (builtins.sum, builtins.any, builtins.all, builtins.min, builtins.max,
              builtins.tuple, builtins.list, builtins.sorted, builtins.set, builtins.frozenset)
# The runtime's calls that read or change the running step's context, each with the
# function that does the same in a context passed to it.
CONTEXTUAL = {runtime.choose: "choose", runtime.choose_from: "choose_from",
              runtime.fault: "fault", runtime.faults_left: "faults_left", runtime.note: "note",
              runtime.current_process: "current_process", runtime.sampling: "sampling"}
REFUSED = {runtime.draw}
VIEW_INTERNALS = {"_ctx", "_part", "_prefix", "_sealed", "_params", "_status_slot",
                   "_field_names"}


def only_names(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, (ast.Tuple, ast.List)) and all(only_names(t) for t in target.elts)


def may_write(stmt: ast.stmt) -> bool:
    """Whether a statement may set a field: it assigns to something other than a name, or
    calls anything (a helper, a component, the runtime); or whether it makes a generator
    or a lambda that may read fields later, after a write (but for a generator that a
    builtin consumes on the spot: ``any(q.pc for q in self.nodes)``)."""
    consumed = {id(arg) for node in ast.walk(stmt)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in PURE for arg in node.args}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Lambda) or (isinstance(node, ast.GeneratorExp)
                                            and id(node) not in consumed):
            return True
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in PURE:
                continue
            return True
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        if any(not isinstance(t, ast.Name) for t in targets):
            return True
    return False


# Names of builtins and the runtime's require: calling them writes nothing. (A name bound
# to something else is a call like any other, and the copy happens before it.)
PURE = {"require", "len", "any", "all", "sum", "min", "max", "abs", "range", "tuple", "frozenset",
         "sorted", "isinstance", "int", "str", "bool", "set", "list", "dict"}


class _Missing:
    pass


MISSING = _Missing()


class _Disabled:
    def __repr__(self) -> str:
        return "DISABLED"


DISABLED = _Disabled()
"""What a translated action returns where a ``require`` fails."""

VALUE = object()
"""A helper's parameter that is given a value (not a view) at run time."""
