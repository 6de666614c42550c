"""The package's rooms are floors: a module imports from its own floor or below, never above.

The floors, from the ground up (the review of the package's shape proposed them):
the shared vocabulary at the root, the modelling layer, the explorers, the walks,
the renderers and diagrams, the testing bridges, the command line. The root
``__init__`` and ``__main__`` are the face of the package and may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "checker"

FLOORS: dict[str, int] = {
    "contract": 0, "errors": 0, "values": 0, "typed_values": 0, "result": 0, "replay": 0,
    "files": 0, "encoding": 0, "result_data": 0, "message_labels": 0,
    "modelling": 1,
    "explore": 2,
    "walks": 3,
    "render": 4, "diagrams": 4,
    "stateful": 5, "conformance": 5, "pytest_plugin": 5, "ui": 5,
    "cli": 6,
}
FACE = {"__init__", "__main__"}
LONGEST_MODULE = 500


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_build" not in p.parts)


def room(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def imported_rooms(path: Path) -> list[tuple[int, str]]:
    """(line, room) of every lifecheck module this file imports, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = path.relative_to(PACKAGE).parent.parts
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                parts = [*base, *(node.module.split(".") if node.module else [])]
                if not parts:  # from . import x, at the root: x is the room
                    found.extend((node.lineno, a.name) for a in node.names)
                    continue
                found.append((node.lineno, parts[0]))
            elif node.module and node.module.split(".")[0] == "lifecheck":
                parts = node.module.split(".")[1:]
                if parts:
                    found.append((node.lineno, parts[0]))
                else:  # from lifecheck import x
                    found.extend((node.lineno, a.name) for a in node.names if a.name in FLOORS)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "lifecheck" and len(parts) > 1:
                    found.append((node.lineno, parts[1]))
    return found


def test_every_room_has_a_floor():
    rooms = {room(p) for p in modules()} - FACE
    assert rooms == set(FLOORS), "give a new room (or module at the root) its floor in FLOORS"


@pytest.mark.parametrize("path", [p for p in modules() if room(p) not in FACE],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_runs_up(path):
    mine = FLOORS[room(path)]
    upward = [f"line {line}: imports lifecheck.{other} (floor {FLOORS[other]})"
              for line, other in imported_rooms(path)
              if other in FLOORS and FLOORS[other] > mine and other != room(path)]
    assert not upward, f"{path.relative_to(PACKAGE)} is on floor {mine}: " + "; ".join(upward)


def test_no_module_is_longer_than_500_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in modules()
            if (n := len(p.read_text().splitlines())) > LONGEST_MODULE}
    assert not long, f"split these along their seams: {long}"
