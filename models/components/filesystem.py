"""A crash-consistent local file system, shared by every lifecycle that keeps files on disk.

Designs that survive a killed process can still lose data when the machine loses
power, because what a process sees (the page cache) is not what the disk holds.
This component keeps the two apart, in the spirit of Pillai et al., "All File
Systems Are Not Created Equal" (OSDI'14), for an ext4-like file system:

* **Namespace operations** (mkdir, create, rename, unlink, rmdir) take effect at
  once in what processes see, and are appended to an ordered journal. A power loss
  keeps a *prefix* of the journal: any number of the pending operations, oldest
  first, survive (the checker explores every prefix length). Within the journal
  nothing is reordered, which is what a journaling file system promises and what
  makes "rename is atomic" meaningful after a crash.
* **File data** written but not fsynced is always lost at a power loss: the file
  comes back with the data of its last fsync, or empty if it was never fsynced,
  even when its name (or a rename of its directory) survived. Keeping the data is
  also a possible outcome on a real disk, but it needs no modelling: a process
  crash, which leaves the page cache intact, already explores it. Losing it is the
  adversarial outcome a design must survive.
* ``fsync(file)`` makes that file's data durable, not its name: POSIX asks for an
  fsync of the parent directory for that, and ext4's habit of committing the whole
  journal on any fsync is not something a design should rely on.
  ``fsync(dir)`` makes durable every pending namespace operation up to and
  including the last one that touches an entry of that directory (journal prefix
  semantics: committing one operation commits everything logged before it).
* A process crash changes nothing here except releasing the dead process's locks:
  the kernel, and with it the page cache, outlives the process.

The state is canonical, so that equal file systems are equal states and the state
space does not grow with the order in which equal results were produced:

* A file is identified by an inode named after the path it was created at (its
  "birth path", e.g. ``/tmp/plugin.tmp-broker1/f1``), so creating files in a
  different order gives the same names, and a renamed file keeps its name, which
  also makes traces readable. Only when a path is reused while the inode first
  born there is still alive does the new inode get a suffix, the smallest free
  one (``/tmp/plugin/f1#2``).
* Inodes nobody can reach any more (not in the namespace, not on disk, not in the
  journal) are dropped, and empty contents are not stored (a missing entry means
  empty), so an fsync of an empty file or a write of "" leaves no trace.
* The disk is stored only where it differs from the page cache (``None`` means
  "the same"), and only while a power loss can still happen. Once none can (the
  spec has no power loss, or its budget is spent), the disk can never be observed
  again, and keeping its journal would make every interleaving of two processes'
  file operations a different state for nothing.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from checker import (
    Component,
    FrozenMap,
    ModelError,
    PowerLoss,
    choose_from,
    current_process,
    durable,
    faults_left,
    require,
    volatile,
)

DIR = "dir"
"""What the namespace maps a directory to; a regular file maps to its inode (a path)."""

EMPTY = ""
"""The contents of a file that was created but never written, or whose data was lost."""

Op = tuple[str, ...]
"""A journaled namespace operation, e.g. ``("rename", "/tmp/a", "/tmp/b")``."""


_POWER_LOSS = PowerLoss().key


def _power_loss_ahead() -> bool:
    """Whether the running step may still be followed by a power loss.

    When none can come, nothing can ever observe what is unsynced, so the durable
    copy and the journal are dropped and equal file systems give equal states.
    """
    return faults_left(_POWER_LOSS) > 0


def _error(kind: type[OSError], code: int, path: str) -> OSError:
    return kind(code, os.strerror(code), path)


def parent(path: str) -> str:
    """The directory holding ``path`` ("/" for a top-level entry)."""
    head = path.rpartition("/")[0]
    return head or "/"


def join(directory: str, name: str) -> str:
    return directory.rstrip("/") + "/" + name


def _check_path(path: Any) -> str:
    # A malformed path is a mistake in the model, not in the design: say so loudly
    # rather than let it look like a missing file.
    if (not isinstance(path, str) or not path.startswith("/")
            or (path != "/" and (path.endswith("/") or "//" in path))
            or any(part in (".", "..") for part in path.split("/"))):
        raise ModelError(f"file system paths must be absolute and normalised "
                         f"(like '/tmp/plugin'), got {path!r}")
    return path


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory + "/")


def _ino_of_create(op: Op) -> str:
    return op[2] if len(op) > 2 else op[1]


def apply_op(tree: dict[str, str], op: Op) -> None:
    """Apply one journaled operation to a namespace (a plain dict, changed in place).

    The same function drives the namespace processes see and the replay of a
    journal prefix onto the durable namespace, so the two can never disagree on
    what an operation means.
    """
    kind, path = op[0], op[1]
    if kind == "mkdir":
        tree[path] = DIR
    elif kind == "create":
        tree[path] = _ino_of_create(op)
    elif kind in ("unlink", "rmdir"):
        del tree[path]
    elif kind == "rename":
        dst = op[2]
        moving = {k: v for k, v in tree.items() if _under(k, path)}
        tree.pop(dst, None)  # a replaced file, or an empty directory
        for k in moving:
            del tree[k]
        for k, v in moving.items():
            tree[dst + k[len(path):]] = v
    else:  # pragma: no cover - ops are only built by this module
        raise ModelError(f"unknown journal operation {op!r}")


@lru_cache(maxsize=1 << 14)
def replayed(tree: FrozenMap, ops: tuple[Op, ...]) -> FrozenMap:
    """``tree`` with ``ops`` applied, oldest first.

    Memoised because a power loss replays every prefix of the journal in every
    state it can strike, and the same namespaces recur across many states that
    differ only in the processes' memory.
    """
    out = dict(tree)
    for op in ops:
        apply_op(out, op)
    return FrozenMap(out)


def _touched_dirs(op: Op) -> tuple[str, ...]:
    if op[0] == "rename":
        return (parent(op[1]), parent(op[2]))
    return (parent(op[1]),)


class FileSystem(Component):
    """One machine's local disk: namespace, contents, journal and advisory locks.

    What processes see is ``tree`` and ``data`` (the page cache). What the disk
    holds is ``durable_tree`` and ``synced`` as of the last commit, plus the
    ``journal`` of namespace operations logged since, any prefix of which a power
    loss may keep. These are all durable in the checker's sense (it does not reset
    them at a power loss) because deciding what survives is this component's job,
    in :meth:`on_power_loss`. Locks are volatile: the kernel's, gone with the power.
    """

    tree = durable(lambda fs: fs._initial_tree(),
                   "the namespace processes see: path -> 'dir' or the file's inode")
    data = durable(FrozenMap(), "page cache contents by inode (absent: empty)")
    durable_tree = durable(None, "namespace on disk at the last commit (None: same as tree)")
    synced = durable(None, "contents on disk by inode, absent: empty (None: same as data)")
    journal = durable((), "namespace operations logged but not yet committed, oldest first")
    locks = volatile(FrozenMap(), "advisory locks: path -> holding process")

    def __init__(self, dirs: Iterable[str] = ("/tmp",)) -> None:
        """``dirs`` exist from the start, on disk (and so after any power loss)."""
        tree: dict[str, str] = {}
        for d in dirs:
            path = _check_path(d)
            while path != "/":
                tree[path] = DIR
                path = parent(path)
        self._initial = FrozenMap(tree)

    def _initial_tree(self) -> FrozenMap:
        return self._initial

    # -- reading ------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        return path == "/" or _check_path(path) in self.tree

    def is_dir(self, path: str) -> bool:
        return path == "/" or self.tree.get(_check_path(path)) == DIR

    def is_file(self, path: str) -> bool:
        entry = self.tree.get(_check_path(path))
        return entry is not None and entry != DIR

    def listdir(self, path: str) -> tuple[str, ...]:
        """Names in a directory, sorted (a real listing's order is unspecified)."""
        self._need_dir(path)
        prefix = "/" if path == "/" else path + "/"
        return tuple(sorted(k[len(prefix):] for k in self.tree
                            if k.startswith(prefix) and "/" not in k[len(prefix):]))

    def read(self, path: str) -> Any:
        return self.data.get(self._need_file(path), EMPTY)

    def read_or(self, path: str, default: Any = None) -> Any:
        """What :meth:`read` returns, or ``default`` where it would raise.

        For properties and for designs that test before they read: a property must
        answer on every state, a missing file included.
        """
        entry = self.tree.get(_check_path(path))
        if entry is None or entry == DIR:
            return default
        return self.data.get(entry, EMPTY)

    def holds_files(self, directory: str, expected: Mapping[str, Any]) -> bool:
        """Whether ``directory`` has every file of ``expected`` with exactly those contents.

        Other entries may be there too (a marker, a lock file). Never raises.
        """
        return all(self.read_or(join(directory, name)) == content
                   for name, content in expected.items())

    def holder(self, path: str) -> str | None:
        """The process holding the lock on ``path``, if any."""
        return self.locks.get(path)

    def on_disk(self) -> tuple[FrozenMap, FrozenMap]:
        """The namespace and contents the disk holds now (before any pending operation)."""
        disk, synced = self.durable_tree, self.synced
        return (self.tree if disk is None else disk, self.data if synced is None else synced)

    # -- namespace operations (journaled) -----------------------------------------------
    def mkdir(self, path: str) -> None:
        self._need_new(path)
        self._log(("mkdir", path))

    def create(self, path: str) -> None:
        """A new, empty regular file (``open(O_CREAT | O_EXCL)``)."""
        self._need_new(path)
        ino = self._fresh_inode(path)
        self._log(("create", path) if ino == path else ("create", path, ino))

    def unlink(self, path: str) -> None:
        self._need_file(path)
        self._log(("unlink", path))

    def rmdir(self, path: str) -> None:
        self._need_dir(path)
        if path == "/":
            raise _error(PermissionError, errno.EBUSY, path)
        if self.listdir(path):
            raise _error(OSError, errno.ENOTEMPTY, path)
        self._log(("rmdir", path))

    def rmtree(self, path: str) -> None:
        """Delete a directory and everything in it, as ``rm -r`` does: entry by entry.

        It is one step for the model (a killed process never stops half way) but
        one journal operation per entry, children first, so a power loss can leave
        a directory half deleted, as on a real disk.
        """
        self._need_dir(path)
        if path == "/":
            raise _error(PermissionError, errno.EBUSY, path)
        tree = self.tree
        for entry in sorted((k for k in tree if _under(k, path)), reverse=True):
            self._log(("rmdir", entry) if tree[entry] == DIR else ("unlink", entry))

    def rename(self, src: str, dst: str) -> bool:
        """Atomically move ``src`` to ``dst``; False when ``dst`` is a non-empty directory.

        That one refusal (ENOTEMPTY) is returned rather than raised because a
        design uses it as its signal that another process got there first. Every
        other refusal is a mistake in the design and raises as rename(2) would: a
        missing source or destination directory, a directory onto a file or the
        reverse, a directory into itself.
        """
        if src == "/":
            raise _error(PermissionError, errno.EBUSY, src)
        src_entry = self.tree.get(_check_path(src))
        if src_entry is None:
            raise _error(FileNotFoundError, errno.ENOENT, src)
        self._need_dir(parent(_check_path(dst)))
        if src == dst:
            return True
        if _under(dst, src):
            raise _error(OSError, errno.EINVAL, dst)
        dst_entry = self.tree.get(dst)
        if dst_entry is not None:
            if src_entry == DIR and dst_entry != DIR:
                raise _error(NotADirectoryError, errno.ENOTDIR, dst)
            if src_entry != DIR and dst_entry == DIR:
                raise _error(IsADirectoryError, errno.EISDIR, dst)
            if dst_entry == DIR and self.listdir(dst):
                return False
        self._log(("rename", src, dst))
        return True

    # -- data ---------------------------------------------------------------------------
    def write(self, path: str, content: Any) -> None:
        """Replace the contents of an existing file (in the page cache only)."""
        ino = self._need_file(path)
        if self.synced is None and _power_loss_ahead():
            self.synced = self.data  # the disk keeps the old contents
        data = self.data
        self.data = data.set(ino, content) if content != EMPTY else data.remove(ino)
        self._same_data_as_disk()

    def fsync(self, path: str) -> None:
        """Make a file's data, or a directory's entries, durable (see the module notes)."""
        entry = self.tree.get(_check_path(path))
        if entry is None and path != "/":
            raise _error(FileNotFoundError, errno.ENOENT, path)
        if path == "/" or entry == DIR:
            last = max((i for i, op in enumerate(self.journal) if path in _touched_dirs(op)),
                       default=-1)
            if last >= 0:
                self._commit(last + 1)
            return
        synced = self.synced
        if synced is not None:
            content = self.data.get(entry, EMPTY)
            self.synced = synced.set(entry, content) if content != EMPTY else synced.remove(entry)
            self._same_data_as_disk()

    # -- locks (flock-like, volatile kernel state) --------------------------------------
    def lock(self, path: str) -> None:
        """Take the lock on ``path``, waiting while another process holds it.

        Waiting is modelled as the step not being enabled yet: the calling action
        happens once the lock is free. Taking a lock one already holds is a no-op.
        The lock file itself is not part of the namespace: nothing reads it.
        """
        me = self._me("lock")
        holder = self.locks.get(path)
        require(holder is None or holder == me)
        if holder is None:
            self.locks = self.locks.set(path, me)

    def try_lock(self, path: str) -> bool:
        """Take the lock if it is free (or already ours); never waits."""
        me = self._me("try_lock")
        holder = self.locks.get(path)
        if holder is None:
            self.locks = self.locks.set(path, me)
        return holder is None or holder == me

    def unlock(self, path: str) -> None:
        me = self._me("unlock")
        holder = self.locks.get(path)
        if holder != me:
            raise ModelError(f"{me} unlocks {path}, whose lock is held by "
                             f"{holder or 'nobody'}")
        self.locks = self.locks.remove(path)

    # -- faults -------------------------------------------------------------------------
    def on_crash(self, process: str) -> None:
        """The kernel closes a dead process's files, and with them its locks."""
        locks = self.locks
        if process in locks.values():
            self.locks = locks.filter(lambda _, holder: holder != process)

    def on_power_loss(self) -> None:
        """Keep a prefix of the journal and only synced data; the page cache is gone."""
        disk, synced = self.on_disk()
        journal = self.journal
        if journal:
            n = len(journal)
            kept = choose_from(range(n + 1), label=lambda k: f"{k} of {n} metadata ops survive")
            disk = replayed(disk, journal[:kept])
        live = set(disk.values())
        if any(ino not in live for ino in synced):
            synced = synced.filter(lambda ino, _: ino in live)
        self.tree, self.data = disk, synced
        self.durable_tree, self.synced, self.journal = None, None, ()

    # -- internals ----------------------------------------------------------------------
    def _me(self, what: str) -> str:
        me = current_process()
        if me is None:
            raise ModelError(f"{what}() needs a process to hold the lock; "
                             "call it from a process's action")
        return me

    def _need_dir(self, path: str) -> None:
        if path == "/":
            return
        entry = self.tree.get(_check_path(path))
        if entry is None:
            raise _error(FileNotFoundError, errno.ENOENT, path)
        if entry != DIR:
            raise _error(NotADirectoryError, errno.ENOTDIR, path)

    def _need_file(self, path: str) -> str:
        entry = self.tree.get(_check_path(path))
        if entry is None:
            raise _error(FileNotFoundError, errno.ENOENT, path)
        if entry == DIR:
            raise _error(IsADirectoryError, errno.EISDIR, path)
        return entry

    def _need_new(self, path: str) -> None:
        if self.exists(path):
            raise _error(FileExistsError, errno.EEXIST, path)
        self._need_dir(parent(path))

    def _log(self, op: Op) -> None:
        """Apply ``op`` to what processes see; journal it if a power loss may still come."""
        tracked = _power_loss_ahead()
        if tracked:
            if self.durable_tree is None:
                self.durable_tree = self.tree  # the disk stays where it was
            if self.synced is None:
                self.synced = self.data
            self.journal = (*self.journal, op)
        tree = replayed(self.tree, (op,))
        self.tree = tree
        if op[0] in ("unlink", "rename"):  # the only operations that can orphan a file
            data = self.data
            live = set(tree.values())
            if any(ino not in live for ino in data):
                self.data = data.filter(lambda ino, _: ino in live)
        if tracked:
            self._same_data_as_disk()

    def _same_data_as_disk(self) -> None:
        if self.synced == self.data:
            self.synced = None

    def _commit(self, count: int) -> None:
        """Make the first ``count`` journal operations durable and forget unreachable inodes."""
        journal = self.journal
        rest = journal[count:]
        if rest:
            disk = replayed(self.on_disk()[0], journal[:count])
            self.durable_tree = disk
        else:
            disk = self.tree
            self.durable_tree = None
        self.journal = rest
        synced = self.synced
        if synced:
            live = set(disk.values())
            live.update(_ino_of_create(op) for op in rest if op[0] == "create")
            if any(ino not in live for ino in synced):
                self.synced = synced.filter(lambda ino, _: ino in live)
                self._same_data_as_disk()

    def _fresh_inode(self, path: str) -> str:
        disk = self.durable_tree
        live = set(self.tree.values())
        if disk is not None:
            live.update(disk.values())
        live.update(_ino_of_create(op) for op in self.journal if op[0] == "create")
        ino, n = path, 2
        while ino in live:
            ino, n = f"{path}#{n}", n + 1
        return ino
