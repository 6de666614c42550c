"""The translated code of one compiled model: its actions and the helpers they call.

A helper is translated once per combination of views it is called with (the model, a
component, a process of some role) and kept by index, so that translated code calls
it as ``units[i](...)``, recursion included.
"""

from __future__ import annotations

import inspect
import types
from typing import Any

from lifecheck.modelling.straight.layout import PROCESS, Holder, Layout
from lifecheck.modelling.straight.syntax import VALUE, NotStraight
from lifecheck.modelling.straight.translate import Translation


class Units:
    def __init__(self, layout: Layout, intern: Any, finish: Any) -> None:
        self.layout = layout
        self.intern = intern  # the context's value sharing, as its write uses it
        self.finish = finish  # freezes an action's successor as the interpreter does
        self.code: list[Any] = []  # translated helpers, by index
        self.keys: dict[tuple, int | str] = {}  # (function, views) -> index, or why not
        self.contextual: list[bool] = []
        self.callees: list[set[int]] = []

    def helper(self, fn: types.FunctionType, kinds: dict[str, Any]) -> int:
        """The index of ``fn``'s code for the views ``kinds`` gives its parameters."""
        key = (fn, tuple((name, kind.key() if isinstance(kind, Holder) else "value")
                         for name, kind in kinds.items()))
        known = self.keys.get(key)
        if isinstance(known, int):
            return known
        if isinstance(known, str):
            raise NotStraight(known)
        index = len(self.code)
        self.keys[key] = index
        self.code.append(None)
        self.contextual.append(False)
        self.callees.append(set())
        bound: dict[str, Any] = {}
        for name, kind in kinds.items():
            if isinstance(kind, Holder) and kind.kind == PROCESS:
                bound[name] = Holder(PROCESS, kind.name, _name(name))
            else:
                bound[name] = kind if isinstance(kind, Holder) else VALUE
        try:
            translation = Translation(self, fn, bound, action=False)
            self.code[index] = build(translation)
        except NotStraight as exc:
            self.keys[key] = why = f"helper {fn.__name__}: {exc}"
            raise NotStraight(why) from None
        self.contextual[index] = translation.contextual
        self.callees[index] = translation.callees
        return index

    def action(self, fn: types.FunctionType, args: tuple, kwargs: dict,
               own: tuple[str, int] | None, gate: tuple[int, int] | None = None,
               ) -> tuple[Any, bool]:
        """One action instance's code ``f(state, branch)``, and whether it needs a branch
        (it, or a helper it calls, chooses, fails a call or reads the fault budget)."""
        try:
            binding = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as exc:
            raise NotStraight(str(exc)) from None
        binding.apply_defaults()
        bound: dict[str, Any] = {}
        for name, value in binding.arguments.items():
            if value is args[0]:
                bound[name] = Holder("model")
            elif len(args) > 1 and value is args[1]:
                assert own is not None
                bound[name] = Holder(PROCESS, own[0], _constant(own[1]))
            else:
                bound[name] = value
        translation = Translation(self, fn, bound, action=True, gate=gate)
        code = build(translation)
        return code, self._reaches_context(translation)

    def predicate(self, fn: types.FunctionType) -> Any:
        """A property's code ``f(state)``, giving what the property returns."""
        translation = Translation(self, fn, {_first(fn): Holder("model")}, action=False,
                                  predicate=True)
        code = build(translation)
        if self._reaches_context(translation):
            raise NotStraight("a helper of the property chooses or fails a call")
        return code

    def _reaches_context(self, translation: Translation) -> bool:
        if translation.contextual:
            return True
        seen: set[int] = set()
        todo = list(translation.callees)
        while todo:
            i = todo.pop()
            if i in seen:
                continue
            seen.add(i)
            if self.contextual[i]:
                return True
            todo.extend(self.callees[i])
        return False


def build(translation: Translation) -> Any:
    module = translation.function()
    fn = translation.fn
    try:
        code = compile(module, fn.__code__.co_filename, "exec")
    except (SyntaxError, ValueError, TypeError) as exc:
        raise NotStraight(f"the translation does not compile ({exc})") from None
    namespace: dict[str, Any] = {}
    exec(code, fn.__globals__, namespace)  # (code built above, from the model's own)
    return namespace["_lc_make"](*translation.constants.values())


def _first(fn: types.FunctionType) -> str:
    params = list(inspect.signature(fn).parameters)
    if len(params) != 1:
        raise NotStraight("a property takes the model alone")
    return params[0]


def _name(name: str) -> Any:
    import ast

    return ast.Name(name, ast.Load())


def _constant(value: int) -> Any:
    import ast

    return ast.Constant(value)
