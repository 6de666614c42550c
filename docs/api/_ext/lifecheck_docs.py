"""What the API reference takes from lifecheck's own code rather than from prose.

* :func:`cli_parser`: the ``lifecheck`` command's parser, exactly as
  :func:`lifecheck.cli.main` builds it, for sphinx-argparse's ``.. argparse::``.
  ``main`` builds its parser inline and then parses, so the parser is caught at
  the ``parse_args`` call instead of being rebuilt here: a subcommand or flag
  added to the CLI appears in the reference without anyone touching the docs.
* ``.. lifecheck-ini-options::``: the ini options the pytest plugin registers,
  read from its ``pytest_addoption`` hook, for the same reason.
* ``.. lifecheck-fields::``, inside an ``autoclass`` of a component or process: its
  fields (``locks = volatile(FrozenMap(), "...")``) documented by their declaration,
  whether each survives a crash and the ``doc`` it was declared with, which is what
  a model's author reads them for. (autodoc sees only an object that is not a
  descriptor and has no docstring of its own, and lists it bare.)
* A ``NamedTuple``'s generated docstrings ("Create new instance of Step(...)",
  "Alias for field number 0") are dropped: they repeat the signature.
* Signatures whose defaults print as something that is not Python (a dataclass's
  ``<factory>``, a class's ``<class '...'>``) are given defaults that are, since
  Sphinx otherwise cannot parse the signature and splits its annotations apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from typing import Any
from unittest import mock

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


class _Caught(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__("parser caught")
        self.parser = parser


def cli_parser() -> argparse.ArgumentParser:
    """The parser ``lifecheck.cli.main`` builds, caught where it starts parsing."""
    from lifecheck.cli import main

    def catch(parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        raise _Caught(parser)

    with mock.patch.object(argparse.ArgumentParser, "parse_args", catch):
        try:
            main([])
        except _Caught as caught:
            return caught.parser
    raise RuntimeError("lifecheck.cli.main returned without parsing its arguments")


class _IniRecorder:
    """Stands in for pytest's parser: records what the plugin declares."""

    def __init__(self) -> None:
        self.options: list[dict[str, Any]] = []

    def addini(self, name: str, help: str, type: str | None = None, **kwargs: Any) -> None:
        self.options.append({"name": name, "help": help, "type": type or "string", **kwargs})

    def addoption(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the lifecheck plugin declares a command-line option; document it "
                           "in docs/api/_ext/lifecheck_docs.py")

    def getgroup(self, *args: Any, **kwargs: Any) -> _IniRecorder:
        return self


class IniOptions(SphinxDirective):
    """``.. lifecheck-ini-options::``: one entry per ini option of the pytest plugin."""

    def run(self) -> list[nodes.Node]:
        from lifecheck import pytest_plugin

        recorder = _IniRecorder()
        pytest_plugin.pytest_addoption(recorder)  # type: ignore[arg-type]
        if not recorder.options:
            raise self.error("the lifecheck pytest plugin declares no ini option")
        lines: list[str] = []
        for option in recorder.options:
            lines += [f".. describe:: {option['name']}", ""]
            details = f"Type ``{option['type']}``"
            if "default" in option:
                details += f", default ``{option['default']!r}``"
            lines += [f"   {details}.", "", f"   {option['help']}", ""]
        content = nodes.section()
        content.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="lifecheck.pytest_plugin"),
                                 content)
        return content.children


_NAMEDTUPLE_NEW = re.compile(r"Create new instance of \w+\(.*\)$")
_NAMEDTUPLE_FIELD = re.compile(r"Alias for field number \d+$")


def drop_namedtuple_boilerplate(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                                lines: list[str]) -> None:
    """Remove the docstrings ``collections.namedtuple`` writes for every class and field."""
    kept = [line for line in lines if not (_NAMEDTUPLE_NEW.match(line) or _NAMEDTUPLE_FIELD.match(line))]
    while kept and not kept[-1].strip():
        kept.pop()
    lines[:] = kept


# What a crash or a power loss does to a field, by (declared on a component, durable).
# A component belongs to no process: only a power loss resets its volatile fields.
_SURVIVES = {
    (False, True): "Durable: survives a crash of its process and a power loss.",
    (False, False): "Volatile: reset to its initial value when its process crashes "
                    "or the machine loses power.",
    (True, True): "Durable: a power loss leaves it to the component's ``on_power_loss``.",
    (True, False): "Volatile: reset to its initial value when the machine loses power.",
}


class Fields(SphinxDirective):
    """``.. lifecheck-fields::``: the declared fields of the class being documented."""

    def run(self) -> list[nodes.Node]:
        import importlib

        from lifecheck import Component
        from lifecheck.modelling.fields import DURABLE, Field

        module, qualname = self.env.ref_context.get("py:module"), self.env.ref_context.get("py:class")
        if not module or not qualname:
            raise self.error("lifecheck-fields belongs inside the content of an autoclass")
        cls: Any = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        fields: dict[str, Field] = {}
        for klass in reversed(cls.__mro__):  # bases first, as the checker collects them
            fields.update((k, v) for k, v in vars(klass).items() if isinstance(v, Field))
        if not fields:
            raise self.error(f"{module}.{qualname} declares no field")
        component = issubclass(cls, Component)
        lines: list[str] = []
        for name, field in fields.items():
            initial = "..." if callable(field.initial) else repr(field.initial)
            count = "" if field.count is None else f", count={field.count!r}"
            survives = _SURVIVES[component, field.kind == DURABLE]
            lines += [f".. py:attribute:: {name}", f"   :value: {field.kind}({initial}{count})", ""]
            if field.doc:  # plain text, not reST: escape what reST would read as markup
                doc = re.sub(r"([\\*`|_])", r"\\\1", field.doc[:1].upper() + field.doc[1:])
                lines += [f"   {doc}{'' if doc.endswith('.') else '.'}", ""]
            lines += [f"   {survives}", ""]
        content = nodes.section()
        content.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=f"{module}.{qualname}"), content)
        return content.children


def skip_fields(app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any) -> bool | None:
    """Leave declared fields to ``.. lifecheck-fields::``, which knows what they declare."""
    from lifecheck.modelling.fields import Field

    return True if isinstance(obj, Field) else None


def _factory_text(factory: Any) -> str:
    if factory in (list, dict, set, tuple, frozenset):
        return repr(factory())
    return f"{getattr(factory, '__qualname__', '...')}()"


def python_defaults(app: Sphinx, what: str, name: str, obj: Any, options: Any, signature: str | None,
                    return_annotation: str | None) -> tuple[str | None, str | None] | None:
    """Replace defaults whose repr is not Python, so that Sphinx can parse the signature."""
    if not signature:
        return None
    if isinstance(obj, type) and dataclasses.is_dataclass(obj) and "<factory>" in signature:
        factories = iter([_factory_text(f.default_factory) for f in dataclasses.fields(obj)
                          if f.init and f.default_factory is not dataclasses.MISSING])
        signature = re.sub("<factory>", lambda _: next(factories), signature)
    signature = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", r"\1", signature)
    return signature, return_annotation


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("lifecheck-ini-options", IniOptions)
    app.add_directive("lifecheck-fields", Fields)
    app.connect("autodoc-process-docstring", drop_namedtuple_boilerplate)
    app.connect("autodoc-skip-member", skip_fields)
    app.connect("autodoc-process-signature", python_defaults)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
