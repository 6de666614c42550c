"""Where model code went wrong, told in the user's terms: their file and line, or the
field they meant when they misspelt one.

An exception from model code is a violation with a trace, and a reader needs the line
of *their* code that raised, not lifecheck's frames around it.
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from lifecheck.contract import Step
from lifecheck.errors import ModelError
from lifecheck.typed_values import typed_key

_OWN = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # the package root


def raised_at(exc: BaseException) -> str:
    """Where model code raised: the innermost frame outside lifecheck, as `` (at file:line)``."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        file = tb.tb_frame.f_code.co_filename
        if not os.path.abspath(file).startswith(_OWN):
            found = (file, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return ""
    return _at(*found)


def _at(file: str, line: int) -> str:
    try:
        shown = os.path.relpath(file)
    except ValueError:
        shown = file
    return f" (at {file if shown.startswith('..') else shown}:{line})"


def view_typo(exc: BaseException, where: str) -> ModelError | None:
    """An attribute read on a model, component or process view that names nothing there
    (``p.phsae``): a typo in the model, with the closest names as a suggestion."""
    if not isinstance(exc, AttributeError) or exc.name is None:
        return None
    view = getattr(exc, "obj", None)
    if view is None or "_field_names" not in type(view).__dict__:
        return None
    known = {n for n in dir(type(view)) if not n.startswith("_")}
    known |= {n for n in vars(view) if not n.startswith("_")}
    close = difflib.get_close_matches(exc.name, sorted(known), n=3)
    hint = "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""
    base = type(view).__mro__[1].__name__
    return ModelError(f"{where} read {view._prefix}{exc.name}, which is not a declared field, "
                      f"parameter or method of {base}{hint}")


def told_apart(results: list[tuple[Step, Any]], where: str, fn: Any) -> None:
    """Refuse two branches of one step under one name with different outcomes: a trace
    names a step by its label, and so do the symmetry check and a walk that looks its
    step up again, so each would take one branch for the other. ``==`` calls some
    labels the same that are not (``1`` and ``True``); those are told apart by type.
    ``fn``, the step's code, is named where the user wrote it."""
    outcomes: dict[Any, Any] = {}
    for step, out in results:
        key = step_key(step)
        mine = typed_key(out) if isinstance(out, tuple) else out
        other = outcomes.setdefault(key, mine)
        if other != mine:
            code = getattr(fn, "__code__", None)
            own = code is None or os.path.abspath(code.co_filename).startswith(_OWN)
            raise ModelError(
                f"{step.who()} {step.label()} names two branches of the step that end in "
                f"different states: a choice's label= gives the same text for two options, "
                f"so a trace could not say which happened; make the label tell the options "
                f"apart{'' if own else _at(code.co_filename, code.co_firstlineno)}", action=where)


def step_key(step: Step) -> Any:
    """A step as a dictionary key: told apart by type (``1`` and ``True``), and by its text
    where a choice's label cannot be hashed (a list)."""
    try:
        hash(step)
    except TypeError:
        return repr(step)
    return typed_key(step)
