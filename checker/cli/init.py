"""``lifecheck init [DIR]``: a new project that checks, tests and draws out of the box.

The scaffold is a worked lifecycle rather than empty files, because the first
thing a new user needs is a model that runs: a buggy design the checker catches
only when it injects a crash, its fix, a spec file that imports the project's own
``models`` package and a helper beside it (the two import rules users trip over),
and a stateful test, so that ``lifecheck check specs`` and ``pytest`` both pass
before a line is changed.

The files live as templates in ``project/`` beside this module (``*.tmpl``, so
neither ruff nor pytest takes them for code of ours), shipped as package data.

init never overwrites: it checks every file it would write before writing any,
and if one is in the way it writes nothing and exits 2. Each file is written
atomically, and a write that fails half-way takes back the files and folders it
created, so a folder is left either as it was or with the whole scaffold.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from lifecheck.files import write_atomically

TEMPLATES = "project"
"""The folder of templates, beside this module in the ``lifecheck.cli`` package."""

SUFFIX = ".tmpl"
PLACEHOLDER = "{{project}}"
FALLBACK_NAME = "lifecycle-models"
"""The project's name when nothing of the folder's name is usable in a distribution name."""

NEXT = (
    ("lifecheck check specs", "check every spec against its expected verdict"),
    ("pytest", "the specs as test items, and the stateful tests"),
    ("lifecheck report specs --out diagrams", "design documents with diagrams (needs Graphviz)"),
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    init = sub.add_parser("init", help="scaffold a project with a model, specs and tests that pass")
    init.add_argument("folder", nargs="?", default=".", metavar="DIR",
                      help="the project's folder, created if missing (default: the current folder); "
                           "no file in it is ever overwritten")
    init.set_defaults(run=run)


@dataclass(frozen=True)
class Planned:
    """One file of the scaffold: where it goes, relative to the project, and what it says."""

    relative: PurePosixPath
    text: str


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    in_the_path = (folder, *folder.absolute().parents)
    not_a_folder = next((p for p in in_the_path if p.exists() and not p.is_dir()), None)
    if not_a_folder is not None:
        print(f"lifecheck init: {not_a_folder} is not a folder; give the folder to scaffold into "
              "(it is created if missing)", file=sys.stderr)
        return 2
    name = project_name(folder.resolve().name)
    plan = list(scaffold(name))
    if not plan:
        print(f"lifecheck init: the project templates are missing from {templates_folder()}: this "
              "installation of lifecheck is broken; reinstall it", file=sys.stderr)
        return 2
    blocked = in_the_way(folder, plan)
    if blocked:
        print(blocked_message(folder, blocked), file=sys.stderr)
        return 2
    try:
        write_all(folder, plan)
    except WriteFailed as exc:
        print(f"lifecheck init: could not write {exc.relative}: {exc.cause}; nothing was written "
              f"(the {exc.undone} file(s) written before it were removed). Fix the cause and run "
              "lifecheck init again.", file=sys.stderr)
        return 2
    print(f"lifecheck init: wrote the project {name!r} in {folder}:")
    for planned in plan:
        print(f"  {planned.relative}")
    print("next:")
    if folder.resolve() != Path.cwd().resolve():
        print(f"  cd {shlex.quote(str(folder))}")
    width = max(len(command) for command, _ in NEXT)
    for command, why in NEXT:
        print(f"  {command:<{width}}  # {why}")
    return 0


# -------------------------------------------------------------------------------------------
# The plan
# -------------------------------------------------------------------------------------------

def project_name(folder_name: str) -> str:
    """A distribution name (PEP 508, normalized as PEP 503 does) from the folder's name.

    pyproject.toml is rejected by pip and build tools when the name is not one, and
    a folder is often called something that is not ("My Project", "demo_v2.1").
    """
    name = re.sub(r"[^a-z0-9]+", "-", folder_name.lower()).strip("-")
    return name or FALLBACK_NAME


def scaffold(name: str) -> Iterator[Planned]:
    """Every file of the scaffold, with the project's name filled in, in a stable order."""
    root = templates_folder()
    found = list(_templates(root, PurePosixPath())) if root.is_dir() else []
    templates = sorted(found, key=lambda item: (len(item[0].parts), item[0]))
    for relative, template in templates:
        text = template.read_text(encoding="utf-8").replace(PLACEHOLDER, name)
        yield Planned(relative.with_name(relative.name.removesuffix(SUFFIX)), text)


def templates_folder() -> Traversable:
    return resources.files("lifecheck.cli").joinpath(TEMPLATES)


def _templates(folder: Traversable, under: PurePosixPath) -> Iterator[tuple[PurePosixPath, Traversable]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _templates(entry, under / entry.name)
        elif entry.name.endswith(SUFFIX):
            yield under / entry.name, entry


def in_the_way(folder: Path, plan: list[Planned]) -> list[tuple[PurePosixPath, str]]:
    """What stops the scaffold from being written without touching a user's file.

    A file the scaffold would write that exists (whatever it holds), and a file
    where the scaffold needs a folder; each named once, relative to ``folder``.
    """
    found: dict[PurePosixPath, str] = {}
    for planned in plan:
        for parent in reversed(planned.relative.parents[:-1]):  # models/, then models/sub/, ...
            path = folder / parent
            if path.exists() and not path.is_dir():
                found.setdefault(parent, f"is not a folder, and {planned.relative} goes in it")
                break
        else:
            path = folder / planned.relative
            if path.exists() or path.is_symlink():
                found[planned.relative] = "exists"
    return sorted(found.items())


def blocked_message(folder: Path, blocked: list[tuple[PurePosixPath, str]]) -> str:
    lines = [f"lifecheck init: nothing was written, because init never overwrites a file. In {folder}:"]
    lines += [f"  {relative} {why}" for relative, why in blocked]
    lines.append("Move them out of the way, or scaffold into a new folder: lifecheck init NEWDIR")
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------
# Writing, all or nothing
# -------------------------------------------------------------------------------------------

class WriteFailed(Exception):
    """A file of the scaffold could not be written; what was written before it is gone again."""

    def __init__(self, relative: PurePosixPath, cause: OSError, undone: int) -> None:
        super().__init__(f"{relative}: {cause}")
        self.relative = relative
        self.cause = cause
        self.undone = undone


def write_all(folder: Path, plan: list[Planned]) -> None:
    """Write every planned file atomically; on a failure, remove what this call created.

    Only what did not exist before is removed: the files this call wrote (none of
    them existed, or :func:`in_the_way` would have stopped it) and the folders it
    had to create, the project's own folder and its missing parents included.
    """
    new_folders = _missing_folders(folder, plan)
    written: list[Path] = []
    for planned in plan:
        target = folder / planned.relative
        try:
            write_atomically(target, planned.text)
        except OSError as exc:
            for path in written:
                path.unlink(missing_ok=True)
            for path in sorted(new_folders, key=lambda p: len(p.parts), reverse=True):
                # Not empty (something else wrote there meanwhile) or already gone: leave it.
                with contextlib.suppress(OSError):
                    path.rmdir()
            raise WriteFailed(planned.relative, exc, len(written)) from exc
        written.append(target)


def _missing_folders(folder: Path, plan: list[Planned]) -> set[Path]:
    wanted = {folder / p for planned in plan for p in planned.relative.parents}
    wanted |= set(folder.absolute().parents) | {folder.absolute()}
    return {Path(os.path.abspath(p)) for p in wanted if not p.exists()}
