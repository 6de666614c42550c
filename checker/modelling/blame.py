"""Where model code went wrong, told in the user's terms: their file and line, or the
field they meant when they misspelt one.

An exception from model code is a violation with a trace, and a reader needs the line
of *their* code that raised, not lifecheck's frames around it.
"""

from __future__ import annotations

import difflib
import os

from lifecheck.errors import ModelError

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
    file, line = found
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
