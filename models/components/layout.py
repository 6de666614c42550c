"""What a file system holds before the first step: its directories and files, on disk.

A design under study usually starts from files that already exist (a config, a
repository, a database), and the story is what the design does to them. Making them
exist from the start, rather than in a set-up step, keeps that step, its flag and
the power loss before it out of every trace and every state count.

What exists at the start is durable: the namespace and contents a power loss falls
back to, exactly as if a set-up step had created, written and fsynced every file and
directory. There is no way to say that an initial file is not synced yet: in which
order unsynced operations were issued decides what a power loss may keep, and a
mapping of paths to contents has no order. A design that needs such a file starts
with a step that writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lifecheck import FrozenMap, ModelError
from lifecheck.values import MutableValueError, check_immutable

from .persistence import DIR, EMPTY, parent


def check_path(path: Any) -> str:
    """``path``, if it is absolute and normalised; a :class:`~lifecheck.ModelError` if not.

    A malformed path is a mistake in the model, not in the design: it is said loudly
    rather than left to look like a missing file.
    """
    if (not isinstance(path, str) or not path.startswith("/")
            or (path != "/" and (path.endswith("/") or "//" in path))
            or any(part in (".", "..") for part in path.split("/"))):
        raise ModelError(f"file system paths must be absolute and normalised "
                         f"(like '/tmp/plugin'), got {path!r}")
    return path


def initial_layout(dirs: Iterable[str],
                   files: Mapping[str, Any]) -> tuple[FrozenMap, FrozenMap]:
    """The namespace and contents (by inode) of a file system that starts with ``dirs``
    and ``files``, every ancestor directory included.

    An initial file's inode is its path, as
    :meth:`~lifecheck.components.filesystem.FileSystem.create` would name it, so that a
    model given its files this way reaches the very states it would reach by creating
    them in a set-up step.
    """
    if not isinstance(files, Mapping):
        raise ModelError(f"FileSystem(files=...) maps each file's path to its contents "
                         f"(like {{'/etc/app.conf': 'v1'}}), got {files!r}")
    tree = {check_path(d): DIR for d in dirs}
    data: dict[str, Any] = {}
    for path, contents in files.items():
        if check_path(path) == "/":
            raise ModelError("FileSystem(files=...): '/' is the root directory, not a file")
        if path in tree:
            raise ModelError(f"FileSystem(files=...): {path!r} is a directory in dirs=, "
                             "so it cannot be a file")
        try:
            check_immutable(contents, f"FileSystem(files=...): the file {path!r}")
        except MutableValueError as exc:
            raise ModelError(str(exc)) from None
        tree[path] = path
        if contents != EMPTY:
            data[path] = contents
    for path in sorted(tree):
        above = parent(path)
        while above != "/":
            if tree.get(above, DIR) != DIR:
                raise ModelError(f"FileSystem(files=...): {path!r} is inside {above!r}, "
                                 "a file; only a directory can hold other paths")
            tree[above] = DIR
            above = parent(above)
    return FrozenMap(tree), FrozenMap(data)
