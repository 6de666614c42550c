"""Spec files are imported the way pytest imports test files (its ``prepend`` mode).

A spec file is a module of the user's project, so it must be able to import what
sits beside it and the project's own packages, without ``PYTHONPATH`` and without
clashing with anything lifecheck installs (lifecheck installs only ``lifecheck``).

The rules, in the order they are applied to a spec file ``F``:

1. **basedir**: the first folder upwards from ``F``'s folder that has no
   ``__init__.py``. ``F`` is imported under its dotted name relative to basedir:
   ``specs/lease.py`` is ``lease`` when ``specs/`` is a plain folder, and
   ``specs.lease`` when ``specs/__init__.py`` exists.
2. **rootdir**: the nearest folder upwards from ``F`` (``F``'s own folder
   included) that holds ``pyproject.toml``, ``setup.cfg`` or ``setup.py``; with
   none, the current folder if ``F`` lies under it; otherwise basedir.
3. basedir and rootdir go to the front of ``sys.path``, basedir first, so the
   spec file imports its siblings (``from lease_model import Lease``) and the
   project's packages (``from models.lease import Lease``).
4. The spec file is executed afresh every time it is loaded, under its dotted
   name in ``sys.modules``; pickled classes from it resolve in worker processes
   that load the same file by the same rules (``--workers``, ``--ray``).
5. Modules imported earlier from another project's basedir or rootdir, under a
   name this project also defines, are forgotten before the import, so two
   projects checked in one process never see each other's ``models``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from lifecheck.errors import SpecError

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py")

# Folders this loader put on sys.path: only modules imported from them may be
# forgotten when another project is loaded (never the standard library or an
# installed package).
_OUR_ROOTS: list[Path] = []
_SPEC_MODULE = "__lifecheck_spec_file__"


def basedir(file: Path) -> Path:
    """The first folder upwards from ``file`` that is not a package."""
    folder = file.parent
    while (folder / "__init__.py").exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def rootdir(file: Path, cwd: Path | None = None) -> Path:
    """The project root of ``file``: see rule 2 of the module docstring."""
    for folder in (file.parent, *file.parent.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    here = (cwd or Path.cwd()).resolve()
    if here == file.parent or here in file.parents:
        return here
    return basedir(file)


def module_name(file: Path, base: Path) -> str:
    parts = file.with_suffix("").relative_to(base).parts
    return ".".join(parts)


def import_spec_file(file: Path) -> ModuleType:
    """Execute ``file`` as a module of its project (the rules above) and return it.

    Raises ``SpecError`` for a module name already taken by something that is not a
    spec file, and lets the file's own exceptions through for the caller to word.
    """
    file = file.resolve()
    base, root = basedir(file), rootdir(file)
    name = module_name(file, base)
    _put_first_on_path([base, root])
    _forget_other_projects([base, root])
    existing = sys.modules.get(name)
    if existing is not None and not getattr(existing, _SPEC_MODULE, False):
        where = getattr(existing, "__file__", None) or "built in"
        if where == "built in" or Path(where).resolve() != file:
            raise SpecError(f"{file}: would be imported as the module {name!r}, which is already "
                            f"imported from {where}; rename the spec file, or put its folder in a "
                            "package (an __init__.py) so that its name is qualified")
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name) if parent_name else None
    if parent is not None and str(file.parent) not in [str(Path(p).resolve())
                                                        for p in getattr(parent, "__path__", [])]:
        raise SpecError(f"{file}: its package {parent_name!r} is already imported from "
                        f"{list(getattr(parent, '__path__', []))}; rename one of the two packages")
    loader = importlib.util.spec_from_file_location(name, file)
    if loader is None or loader.loader is None:
        raise SpecError(f"{file}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(loader)
    setattr(module, _SPEC_MODULE, True)
    sys.modules[name] = module
    if parent is not None:
        setattr(parent, child, module)
    try:
        loader.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def import_hint(file: Path, exc: ImportError) -> str:
    """What was on the path and how to make the import work, for a failed import."""
    file = file.resolve()
    base, root = basedir(file), rootdir(file)
    missing = getattr(exc, "name", None) or "the module"
    shown = [p for p in sys.path[:4] if p]
    return (f"; the spec file's folder {base} and the project root {root} were on sys.path "
            f"(first entries: {', '.join(shown)}). Put {missing!r} beside the spec file or in "
            f"the project root, or install it (pip install -e .); the project root is the nearest "
            f"folder with {', '.join(ROOT_MARKERS)}")


def _put_first_on_path(folders: list[Path]) -> None:
    for folder in reversed(folders):
        text = str(folder)
        while text in sys.path:
            sys.path.remove(text)
        sys.path.insert(0, text)
        if folder not in _OUR_ROOTS:
            _OUR_ROOTS.append(folder)
    importlib.invalidate_caches()


def _forget_other_projects(folders: list[Path]) -> None:
    """Drop modules imported from another project's folders under names these folders define."""
    others = [r for r in _OUR_ROOTS if r not in folders]
    if not others:
        return
    for top in {n.partition(".")[0] for n in list(sys.modules)}:
        module = sys.modules.get(top)
        origin = _origin(module)
        if origin is None or not any(origin == r for r in others):
            continue
        if any((f / top).is_dir() or (f / f"{top}.py").exists() for f in folders):
            for n in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
                del sys.modules[n]


def _origin(module: ModuleType | None) -> Path | None:
    """The sys.path folder a top-level module was imported from."""
    where = getattr(module, "__file__", None)
    if not where:
        return None
    path = Path(where).resolve()
    parent = path.parent.parent if path.name == "__init__.py" else path.parent
    return parent if os.path.isdir(parent) else None
