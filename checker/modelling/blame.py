"""Where model code went wrong, told in the user's terms: their file and line, or the
field they meant when they misspelt one.

An exception from model code is a violation with a trace, and a reader needs the line
of *their* code that raised, not lifecheck's frames around it.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Sequence
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


def called_at() -> tuple[str, int] | None:
    """Where model code called into lifecheck: the innermost frame of the running stack
    outside lifecheck (file, line); cheap, for it is taken on a hot path."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_OWN):
        frame = frame.f_back
    return None if frame is None else (frame.f_code.co_filename, frame.f_lineno)


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


def told_apart(results: list[tuple[Step, Any]], where: str, fn: Any,
               label_sites: Sequence[tuple[str, int] | None] = ()) -> None:
    """Refuse two branches of one step under one name with different outcomes: a trace
    names a step by its label, and so do the symmetry check and a walk that looks its
    step up again, so each would take one branch for the other. ``==`` calls some
    labels the same that are not (``1`` and ``True``); those are told apart by type.
    Named where the user wrote it: the choices given a ``label=`` (``label_sites``, where
    a branch made them), else ``fn``, the step's code."""
    outcomes: dict[Any, Any] = {}
    for step, out in results:
        key = step_key(step)
        mine = typed_key(out) if isinstance(out, tuple) else out
        other = outcomes.setdefault(key, mine)
        if other != mine:
            sites = [_at(*site) for site in dict.fromkeys(label_sites) if site]
            if sites:
                at = sites[0] if len(sites) == 1 else " (" + ", ".join(
                    site.strip()[1:-1] for site in sites) + ")"
            else:
                code = getattr(fn, "__code__", None)
                own = code is None or os.path.abspath(code.co_filename).startswith(_OWN)
                at = "" if own else _at(code.co_filename, code.co_firstlineno)
            raise ModelError(
                f"{step.who()} {step.label()} names two branches of the step that end in "
                f"different states: a choice's label= gives the same text for two options, "
                f"so a trace could not say which happened; make the label tell the options "
                f"apart{at}", action=where)


def step_key(step: Step) -> Any:
    """A step as a dictionary key: told apart by type (``1`` and ``True``), and by its text
    where a choice's label cannot be hashed (a list)."""
    try:
        hash(step)
    except TypeError:
        return repr(step)
    return typed_key(step)
