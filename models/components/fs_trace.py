"""A file system as a counterexample shows it: files and their contents, and what a step
did to them in file terms.

The state keeps what checking needs: the namespace maps each path to an inode named
after the path it was born at, contents are stored by inode, an empty file has no
entry, and the disk is a copy plus a journal of pending operations. Read as is, a
renamed file looks like a link to its old name, an empty file looks missing and
every step drags the journal along. A trace shows instead one map of paths to
contents (``<dir>`` for a directory, ``''`` for an empty file), says where a step
renamed a file or made operations durable, and names what a property read by path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lifecheck import FrozenMap
from lifecheck.result import ABSENT

from .persistence import DIR, EMPTY, Op, describe


class _Directory:
    """How a trace shows a directory among files: ``<dir>``, which no contents look like."""

    def __repr__(self) -> str:
        return "<dir>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Directory)

    def __hash__(self) -> int:
        return hash(_Directory)

    def __reduce__(self) -> tuple:
        return (_Directory, ())


DIRECTORY = _Directory()


def files(tree: FrozenMap, data: FrozenMap) -> FrozenMap:
    """Each path processes see, with its contents (``''`` when empty) or ``<dir>``."""
    return FrozenMap._trusted({path: DIRECTORY if ino == DIR else data.get(ino, EMPTY)
                               for path, ino in tree.items()}, ordered=True)


def reads(fields: Mapping[str, Any], read: Mapping[str, tuple | None],
          others: Any) -> list[tuple[str, Any]]:
    """A property's reads of the namespace and the contents, by path in ``files``.

    A read of a file's contents by inode is named by the path (or paths) the file has;
    reads of anything else are named as ``others`` (the default) names them.
    """
    tree, data = fields["tree"], fields["data"]
    view = files(tree, data)
    out: dict[str, Any] = {}
    for name, keys in read.items():
        if name not in ("tree", "data"):
            out.update(others(fields, {name: keys}))
        elif keys is None:
            out["files"] = view
        elif name == "tree":
            out.update((f"files[{path!r}]", view.get(path, ABSENT)) for path in keys)
        else:
            for ino in keys:
                paths = [p for p, i in tree.items() if i == ino]
                out.update((f"files[{p!r}]", view[p]) for p in paths)
                if not paths:  # contents no name reaches any more
                    out[f"data[{ino!r}]"] = data.get(ino, ABSENT)
    if "files" in out:
        out = {k: v for k, v in out.items() if not k.startswith("files[")}
    return list(out.items())


def explain(before: Mapping[str, Any], after: Mapping[str, Any], power_loss: bool,
            failed_fsync: bool) -> tuple[list[str], set[str]]:
    """Renames a step made, and the pending operations it made durable (or, for a failed
    fsync, lost); and the entries of ``files`` a rename tells (the old names gone, the new
    ones holding what the old held). A power loss's step label already says what it kept
    and lost."""
    if power_loss:
        return [], set()
    renames = _renames(before["tree"], after["tree"])
    notes = [f"renamed {src} -> {dst}" + (" (over the old one)" if replaced else "")
             for src, dst, replaced in renames]
    covered = _moved(renames, files(before["tree"], before["data"]),
                     files(after["tree"], after["data"]))
    gone = _removed(before["pending"], after["pending"])
    if gone:
        paths = {ino: path for tree in (before["tree"], after["tree"])
                 for path, ino in tree.items() if ino != DIR}
        if failed_fsync:
            data = after["data"]
            lost = [op for op in gone if op[0] == "write"
                    and before["data"].get(op[1], EMPTY) != data.get(op[1], EMPTY)]
            if lost:
                notes.append("lost, never to reach the disk: " + _ops(lost, paths))
        else:
            notes.append("made durable: " + _ops(gone, paths))
    return notes, covered


def _moved(renames: list[tuple[str, str, bool]], old: FrozenMap, new: FrozenMap) -> set[str]:
    """The names in ``files`` whose change is the rename itself."""
    covered = set()
    for src, dst, _ in renames:
        for path, content in old.items():
            if (path == src or path.startswith(src + "/")) and path not in new:
                covered.add(f"files[{path!r}]")
                moved_to = dst + path[len(src):]
                if moved_to not in old and new.get(moved_to, ABSENT) == content:
                    covered.add(f"files[{moved_to!r}]")
    return covered


def _ops(ops: list[Op], paths: Mapping[str, str]) -> str:
    """Operations in file terms: a write names the file's path now, not its inode."""
    return ", ".join(f"{op[3]} {paths.get(op[1], op[1])}" if op[0] == "write" else describe(op)
                     for op in ops)


def _removed(before: tuple[Op, ...], after: tuple[Op, ...]) -> list[Op]:
    """The operations of ``before`` that ``after`` no longer holds (it keeps the rest in
    order, and may have appended new ones)."""
    gone, i = [], 0
    for op in before:
        if i < len(after) and after[i] == op:
            i += 1
        else:
            gone.append(op)
    return gone


def _renames(before: FrozenMap, after: FrozenMap) -> list[tuple[str, str, bool]]:
    """(from, to, replacing an existing file) for every file that changed name, those
    that moved with their directory told as one rename of the directory."""
    old_paths = _paths_by_inode(before)
    new_paths = _paths_by_inode(after)
    moves: dict[tuple[str, str], bool] = {}
    for ino, olds in old_paths.items():
        news = new_paths.get(ino, set())
        left, came = olds - news, news - olds
        if len(left) == 1 and len(came) == 1:
            src, dst = _split(next(iter(left)), next(iter(came)), before, after)
            replaced = dst in before and before[dst] != ino and before[dst] != DIR
            moves[(src, dst)] = moves.get((src, dst), False) or replaced
    return [(src, dst, replaced) for (src, dst), replaced in sorted(moves.items())]


def _paths_by_inode(tree: FrozenMap) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path, ino in tree.items():
        if ino != DIR:
            out.setdefault(ino, set()).add(path)
    return out


def _split(src: str, dst: str, before: FrozenMap, after: FrozenMap) -> tuple[str, str]:
    """The directories that were renamed, when a file moved with its directory
    (``/t/new.tmp/f1`` -> ``/t/new/f1`` is ``/t/new.tmp`` -> ``/t/new``)."""
    a, b = src.split("/"), dst.split("/")
    while len(a) > 2 and len(b) > 2 and a[-1] == b[-1]:
        old, new = "/".join(a[:-1]), "/".join(b[:-1])
        if not (old in before and old not in after and new in after and new not in before):
            break
        a, b = a[:-1], b[:-1]
    return "/".join(a), "/".join(b)
