"""Guards lifted out of actions, so disabled steps cost a comparison, not an exception.

Models write a guard as leading ``require(...)`` statements, which reads well and
keeps guard and effect together. But most action instances are disabled in most
states, and finding that out by running the action until ``require`` raises is
the explorer's biggest cost. So the leading ``require`` conditions of an action are
compiled, once, into a separate predicate with the action's own parameters and
globals; the explorer calls it first and runs the action only where it holds.

This is an optimisation, never a change of meaning: the action still runs its own
``require`` calls, and whenever the predicate cannot be lifted safely (a closure,
a ``choose`` or ``fault`` in the condition, source not available, ``require`` not
the checker's) or raises, the action simply runs as written.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable
from typing import Any

from lifecheck.modelling import runtime
from lifecheck.modelling.straight.syntax import NotStraight, parse_function, without_docstring

_NONDETERMINISTIC = {"choose", "fault", "note", "faults_left", "current_process"}


def lift_guard(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """A predicate equivalent to ``fn``'s leading ``require`` conditions, or None."""
    if not isinstance(fn, types.FunctionType) or fn.__code__.co_freevars:
        return None
    if fn.__globals__.get("require") is not runtime.require:
        return None
    try:
        fdef = parse_function(fn)  # (shared: only read here, its lines already the file's)
    except NotStraight:
        return None
    conditions = []
    for stmt in without_docstring(fdef.body):
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "require" and len(call.args) == 1 and not call.keywords):
            conditions.append(call.args[0])
        else:
            break
    if not conditions or any(_calls_nondeterminism(c) for c in conditions):
        return None
    test = conditions[0] if len(conditions) == 1 else ast.BoolOp(op=ast.And(), values=conditions)
    ret = ast.copy_location(ast.Return(value=test), conditions[0])
    guard = ast.copy_location(ast.FunctionDef(name=f"{fdef.name}__guard", args=fdef.args,
                                              body=[ret], decorator_list=[], returns=None),
                              fdef)
    module = ast.Module(body=[guard], type_ignores=[])
    ast.fix_missing_locations(module)
    try:
        code = compile(module, fn.__code__.co_filename, "exec")
    except (SyntaxError, ValueError):
        return None
    func_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    lifted = types.FunctionType(func_code, fn.__globals__, func_code.co_name, fn.__defaults__)
    lifted.__kwdefaults__ = fn.__kwdefaults__
    return lifted


def _calls_nondeterminism(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, (ast.Name, ast.Attribute))
               and (n.func.id if isinstance(n.func, ast.Name) else n.func.attr) in _NONDETERMINISTIC
               for n in ast.walk(node))
