"""The components' reference pages list exactly each component's public operations.

docs/components.md and docs/filesystem.md have one operations table per component,
after a ``<!-- operations: Name -->`` marker. A method added, renamed or removed
without its row fails here; on docs/components.md, whose rows give full signatures,
a parameter added or renamed, or a default changed, fails too.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from lifecheck import Component
from lifecheck.components import Channel, Executor, FileSystem, KeyValueStore, RemoteStore

DOCS = Path(__file__).resolve().parents[2] / "docs"

PAGES: dict[type, str] = {
    FileSystem: "filesystem.md", RemoteStore: "components.md", KeyValueStore: "components.md",
    Executor: "components.md", Channel: "components.md"}

CALL = re.compile(r"`(\w+)\(([^)`]*)\)`")


def documented(cls: type) -> dict[str, list[str]]:
    """Each call named in the first column of ``cls``'s table, with the argument lists given."""
    lines = (DOCS / PAGES[cls]).read_text().splitlines()
    start = lines.index(f"<!-- operations: {cls.__name__} -->") + 3  # marker, header, rule
    calls: dict[str, list[str]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        for name, args in CALL.findall(line.split("|")[1]):
            calls.setdefault(name, []).append(args)
    return calls


def operations(cls: type) -> dict[str, object]:
    """The public methods a model calls: the component's own, not the fault hooks every
    component has (documented once, under the faults)."""
    hooks = set(vars(Component))
    return {name: fn for name, fn in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_") and name not in hooks}


def plain_signature(fn: object) -> str:
    """``key, data, *, complete=False``: the parameters after self, as the tables write them."""
    parts, star = [], False
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


@pytest.mark.parametrize("cls", list(PAGES), ids=lambda c: c.__name__)
def test_the_operations_table_names_every_public_method_and_nothing_else(cls: type) -> None:
    doc, code = set(documented(cls)), set(operations(cls))
    assert doc == code, (f"docs/{PAGES[cls]}, {cls.__name__}: document {sorted(code - doc)}, "
                         f"drop {sorted(doc - code)}")


@pytest.mark.parametrize("cls", [c for c, page in PAGES.items() if page == "components.md"],
                         ids=lambda c: c.__name__)
def test_docs_components_md_gives_each_signature_as_the_code_has_it(cls: type) -> None:
    for name, fn in operations(cls).items():
        assert documented(cls)[name] == [plain_signature(fn)], f"{cls.__name__}.{name}"


def test_every_component_is_documented() -> None:
    import lifecheck.components as components

    exported = {obj for obj in vars(components).values()
                if isinstance(obj, type) and issubclass(obj, Component)}
    assert exported == set(PAGES)
