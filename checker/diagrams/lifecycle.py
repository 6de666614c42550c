"""A lifecycle as a report sees it: its specs grouped by design, and the text its code carries.

Specs are grouped into lifecycles by the spec file they come from, named after the
part of the first spec's name before the first ``/`` (``extraction``,
``segment-commit``; ``index-upload`` shares ``specs/segment_commit.py`` with
``segment-commit`` and joins its document). Within a lifecycle, a design is a
model class, in the order its specs first appear. The words of the document come
from the code: the spec file's docstring (what must hold), the model module's,
each design's and each property's.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lifecheck.diagrams.explored import ExploredGraph
from lifecheck.modelling.model import Model
from lifecheck.modelling.spec import Spec
from lifecheck.result import Result


@dataclass
class CheckedSpec:
    """A spec with its result and, when one could be drawn, its explored graph."""

    spec: Spec
    result: Result
    graph: ExploredGraph | None = None
    no_graph: str = ""  # why there is no graph (symmetry, an incomplete run, an error)


@dataclass
class Design:
    model: type[Model]
    specs: list[CheckedSpec] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.model.__name__

    @property
    def slug(self) -> str:
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", self.name).lower()

    @property
    def graphs(self) -> list[ExploredGraph]:
        return [c.graph for c in self.specs if c.graph is not None]


@dataclass
class Lifecycle:
    key: str  # "extraction": the document's file name
    title: str
    source: str  # the spec file
    specs: list[CheckedSpec] = field(default_factory=list)
    designs: list[Design] = field(default_factory=list)

    @property
    def model_modules(self) -> list[str]:
        """The modules the designs come from, in order (usually one)."""
        seen: list[str] = []
        for d in self.designs:
            if d.model.__module__ not in seen:
                seen.append(d.model.__module__)
        return seen


def group_lifecycles(checked: list[CheckedSpec]) -> list[Lifecycle]:
    """Lifecycles in the order their first spec appears; designs and specs in spec order."""
    by_file: dict[str, str] = {}
    lifecycles: dict[str, Lifecycle] = {}
    for c in checked:
        source = c.spec.source or "<no file>"
        key = by_file.setdefault(source, slug(c.spec.name.split("/", 1)[0]))
        life = lifecycles.get(key)
        if life is None:
            life = lifecycles[key] = Lifecycle(key, _title(source, key), source)
        life.specs.append(c)
        design = next((d for d in life.designs if d.model is type(c.spec.model)), None)
        if design is None:
            design = Design(type(c.spec.model))
            life.designs.append(design)
        design.specs.append(c)
    return list(lifecycles.values())


def slug(text: str) -> str:
    """A file-name-safe form of a spec or property name: ``a/b+c`` -> ``a.b-c``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text).lower().replace("/", ".")
    return re.sub(r"[^a-z0-9.]+", "-", text).strip("-.") or "x"


def _title(source: str, key: str) -> str:
    """The spec file's own name for the lifecycle: its docstring up to the first ``(`` or ``:``."""
    doc = spec_file_doc(source)
    first = doc.split("\n", 1)[0] if doc else ""
    name = re.split(r"[(:]", first, maxsplit=1)[0].strip().rstrip(".")
    return name or key.replace("-", " ").capitalize()


def spec_file_doc(source: str) -> str:
    """The docstring of a spec file, read without running it again."""
    try:
        tree = ast.parse(Path(source).read_text())
    except (OSError, SyntaxError, ValueError):
        return ""
    return ast.get_docstring(tree) or ""


def module_doc(module: str) -> str:
    mod = sys.modules.get(module)
    return inspect.cleandoc(mod.__doc__) if mod is not None and mod.__doc__ else ""


def class_doc(cls: type) -> str:
    """A class's own docstring (not inherited: a design without one says nothing new)."""
    doc = cls.__dict__.get("__doc__")
    return inspect.cleandoc(doc) if doc else ""


_ROLE = re.compile(r":(?:class|meth|func|attr|mod|data|exc|obj):`~?([^`]+)`")


def markdown_from_docstring(text: str) -> str:
    """reStructuredText habits of the docstrings, as Markdown: ``x`` and :class:`~a.B` -> `x`, `B`."""
    def role(m: re.Match[str]) -> str:
        target = m.group(1)
        if "<" in target and target.endswith(">"):
            target = target.split("<", 1)[0].strip()
        return f"`{target.rsplit('.', 1)[-1]}`"

    text = _ROLE.sub(role, text)
    return re.sub(r"``([^`]+)``", r"`\1`", text)
