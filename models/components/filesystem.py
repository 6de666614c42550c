"""A crash-consistent local file system, shared by every lifecycle that keeps files on disk.

Designs that survive a killed process can still lose data when the machine loses
power, because what a process sees (the page cache) is not what the disk holds.
This component keeps the two apart. What a power loss may leave on disk is decided
by a *persistence model* chosen per instance (``FileSystem(persistence=...)``): a
table of atomicity and ordering rules after ALICE (Pillai et al., OSDI 2014) and
Ferrite (Bornholt et al., ASPLOS 2016), see :mod:`lifecheck.components.persistence`.

=============== ==========================================================================
model           what may reach the disk without a durability point
=============== ==========================================================================
ext4-ordered    (the default) directory operations in order among themselves; file data
                in any order with them (delayed allocation: a rename, even over an
                existing file, can reach the disk before the data it names); with
                ``block_size``, writes may tear at block boundaries
ext4-journal    every operation in program order (data=journal), except that a
                multi-block append may persist in part (whole blocks)
btrfs           any operation alone, in any order, except that a file's data reaches
                the disk before a rename of it over another file
posix           only fsynced data and fsynced directory entries are promised: anything
                else in any order, a rename half done (both names), torn writes
sequential      a prefix of the operations in program order (the optimistic model)
=============== ==========================================================================

Every model also keeps writes to one file in order and directory operations on
related names (the same name, or a directory and a name inside it) in order.

* **Operations** take effect at once in what processes see (``tree``, ``data``) and,
  while a power loss may still come, are logged in ``pending``, oldest first: the
  namespace operations (mkdir, create, rename, unlink, rmdir) and the writes, each
  write as the file's whole new contents and whether it extends what was there (an
  append) or replaces it (an overwrite).
* **A power loss** explores every disk state the model allows: every set of pending
  operations that holds, with each operation, everything the model orders before it,
  applied oldest first to the disk as of the last durability point. Equal outcomes are
  one step; the step's label says which operations were kept and which lost. With
  ``block_size`` set, models that allow it also tear writes at block boundaries.
* ``fsync(file)`` makes that file's pending writes durable, with everything the model
  orders before them (on ext4-ordered an append's fsync commits the directory
  operations before it, as ext4's journal does; an overwrite's fsync does not, which
  is less than ext4 usually does and more than it promises). ``fsync(dir)`` makes the
  pending operations on that directory's entries durable, with what they require.
* **A process crash** changes nothing here except releasing the dead process's locks:
  the kernel, and with it the page cache, outlives the process.
* A process's ``durable`` fields model storage that is always synced: a power loss
  never loses them. Keep on this file system whatever a power loss may lose.
* **Write errors**, each only where the constructor names a fault kind for it (and
  a spec budgets it with ``Fail(kind=..., max=N)``). With ``no_space=``, ``mkdir``,
  ``create``, ``write`` and ``append`` may raise ``OSError`` ENOSPC, having done
  nothing (no short writes: a failed write leaves the page cache and the disk as
  they were). With ``fsync_error=``, ``fsync`` of a file may raise ``OSError`` EIO,
  and what it leaves is what makes retrying fsync wrong ("fsyncgate", Rebello et
  al., USENIX ATC 2020): the file's unsynced writes are marked clean without
  reaching the disk, so they are never written, and a retried fsync succeeds with
  nothing to do. The page cache falls back to what the disk holds for the file (as
  btrfs does); ext4 and XFS keep showing the lost contents to readers until the
  cache evicts them, which is not modelled, so a design that checks durability by
  reading back is not checked against them. While an fsync error may still come,
  the disk is tracked as it is for a power loss, since the fallback reads it.

The state is canonical, so that equal file systems are equal states and the state
space does not grow with the order in which equal results were produced:

* A file is identified by an inode named after the path it was created at (its
  "birth path", e.g. ``/tmp/plugin.tmp-broker1/f1``), so creating files in a
  different order gives the same names, and a renamed file keeps its name, which
  also makes traces readable. Only when a path is reused while the inode first
  born there is still alive does the new inode get a suffix, the smallest free
  one (``/tmp/plugin/f1#2``).
* Inodes nobody can reach any more (not in the namespace, not on disk, not in a
  pending operation) are dropped, and empty contents are not stored (a missing entry
  means empty), so an fsync of an empty file or a write of "" leaves no trace.
* The disk is stored only where it differs from the page cache (``None`` means
  "the same"), and only while a power loss can still happen. Once none can (the
  spec has no power loss, or its budget is spent), the disk can never be observed
  again, and keeping the pending operations would make every interleaving of two
  processes' file operations a different state for nothing.
"""

from __future__ import annotations

import copy
import errno
import os
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from lifecheck import (
    Component,
    FrozenMap,
    ModelError,
    PowerLoss,
    choose_from,
    current_process,
    draw,
    durable,
    fault,
    faults_left,
    require,
    sampling,
    volatile,
)
from lifecheck.typed_values import same_typed

from . import fs_trace
from .layout import check_path as _check_path
from .layout import initial_layout
from .persistence import (
    DEFAULT,
    DIR,
    EMPTY,
    MAX_OUTCOMES,
    NAMESPACE,
    Op,
    Outcome,
    Persistence,
    apply_namespace,
    closure,
    directories,
    fates_label,
    live,
    outcomes,
    parent,
    persistence,
    predecessors,
    random_outcome,
    set_content,
)
from .persistence import under as _under

__all__ = ["DIR", "EMPTY", "FileSystem", "join", "parent"]

_POWER_LOSS = PowerLoss().key


def _power_loss_ahead() -> bool:
    """Whether the running step may still be followed by a power loss.

    When none can come, nothing can ever observe what is unsynced, so the durable
    copy and the pending operations are dropped and equal file systems give equal states.
    """
    return faults_left(_POWER_LOSS) > 0


def _errno_label(component: str, call: str, path: str, code: int, kind: str) -> str:
    """How a trace says that a call failed with an error from the disk."""
    return f"{component}.{call} {path}: {os.strerror(code)} ({kind})"


def _error(kind: type[OSError], code: int, path: str) -> OSError:
    return kind(code, os.strerror(code), path)


def join(directory: str, name: str) -> str:
    return directory.rstrip("/") + "/" + name


def _ino_of_create(op: Op) -> str:
    return op[2] if len(op) > 2 else op[1]


@lru_cache(maxsize=1 << 14)
def replayed(tree: FrozenMap, ops: tuple[Op, ...]) -> FrozenMap:
    """``tree`` with the namespace operations of ``ops`` applied, oldest first.

    Memoised because the same namespaces recur across many states that differ only
    in the processes' memory.
    """
    out = dict(tree)
    for op in ops:
        if op[0] in NAMESPACE:
            apply_namespace(out, op)
    return FrozenMap(out)


@lru_cache(maxsize=1 << 12)
def _outcomes(model: Persistence, tree: FrozenMap, data: FrozenMap, pending: tuple[Op, ...],
              block: int | None, limit: int) -> tuple[Outcome, ...]:
    return outcomes(model, tree, data, pending, block, limit)


@lru_cache(maxsize=1 << 12)
def _predecessors(model: Persistence, pending: tuple[Op, ...]) -> tuple[frozenset[int], ...]:
    return predecessors(model, pending)


def _is_append(old: Any, new: Any) -> bool:
    """Whether writing ``new`` over ``old`` only adds at the end (ALICE's append)."""
    if old == EMPTY:
        return True
    return (isinstance(new, (str, bytes, tuple)) and type(new) is type(old)
            and len(new) > len(old) and new[:len(old)] == old)


class FileSystem(Component):
    """One machine's local disk: namespace, contents, pending operations and advisory locks.

    What processes see is ``tree`` and ``data`` (the page cache). What the disk
    holds is ``durable_tree`` and ``synced`` as of the last durability point, plus
    the ``pending`` operations since, which a power loss may keep as the persistence
    model allows. These are all durable in the checker's sense (it does not reset
    them at a power loss) because deciding what survives is this component's job, in
    :meth:`on_power_loss`. Locks are volatile: the kernel's, gone with the power.
    """

    tree = durable(lambda fs: fs._initial_tree(),
                   "the namespace processes see: path -> 'dir' or the file's inode")
    data = durable(lambda fs: fs._initial_data,
                   "page cache contents by inode (absent: empty)")
    durable_tree = durable(None, "namespace on disk at the last durability point "
                                 "(None: same as tree)")
    synced = durable(None, "contents on disk by inode, absent: empty (None: same as data)")
    pending = durable((), "operations since the last durability point, oldest first")
    locks = volatile(FrozenMap(), "advisory locks: path -> holding process")

    def __init__(self, dirs: Iterable[str] = ("/tmp",),
                 persistence: str | Callable[[Any], str] = DEFAULT,
                 block_size: int | None = None, max_outcomes: int = MAX_OUTCOMES,
                 files: Mapping[str, Any] | None = None, no_space: str | None = None,
                 fsync_error: str | None = None) -> None:
        """``dirs`` exist from the start, on disk (and so after any power loss).

        So do ``files`` (path -> contents; ``""`` for an empty file) and their parent
        directories, as if a set-up step had created, written and fsynced them: a model
        whose story starts from existing files needs no such step, nor a flag saying it
        ran (see :mod:`lifecheck.components.layout`).

        ``persistence`` names the crash behaviour (see the module notes), or is a
        function of the model giving the name (``lambda m: m.file_system``), so that
        a spec can compare one design across file systems through a parameter.
        ``block_size``, in the units of the contents (characters, bytes or tuple
        members), lets writes tear at block boundaries where the model allows it.
        ``max_outcomes`` bounds the disk states one power loss may leave: beyond it
        the check stops with an error rather than run for ever.

        ``no_space`` and ``fsync_error`` name the fault kinds of a full disk (ENOSPC on
        mkdir, create, write and append) and of a failed fsync (EIO; see the module
        notes); None, the default, for a disk that never fails a call.
        """
        if no_space is not None and no_space == fsync_error:
            raise ModelError(f"FileSystem(no_space={no_space!r}, fsync_error={fsync_error!r}): "
                             "each error needs a fault kind of its own, so that a spec budgets "
                             "them apart")
        self.no_space = no_space
        self.fsync_error = fsync_error
        self._initial, self._initial_data = initial_layout(dirs, files or {})
        if callable(persistence) and not isinstance(persistence, Persistence):
            self._persistence_of = persistence  # decided per model, in bind()
            self.persistence = _persistence(DEFAULT)
        else:
            self.persistence = _persistence(persistence)
        if block_size is not None and (not isinstance(block_size, int) or block_size < 1):
            raise ModelError(f"block_size must be a positive int or None, got {block_size!r}")
        self.block_size = block_size
        self.max_outcomes = max_outcomes

    def bind(self, model: Any) -> FileSystem:
        """A copy with the persistence model ``persistence=`` chooses for ``model``.

        A copy, not this file system changed, because one declaration on a model
        class serves every instance, and two specs may compare file systems.
        """
        choose = self.__dict__.get("_persistence_of")
        if choose is None:
            return self
        bound = copy.copy(self)
        del bound._persistence_of
        try:
            name = choose(model)
        except Exception as exc:
            raise ModelError(f"FileSystem(persistence=...) could not choose a persistence "
                             f"model for {model!r}: {type(exc).__name__}: {exc}") from None
        bound.persistence = _persistence(name)
        return bound

    def _initial_tree(self) -> FrozenMap:
        return self._initial

    # -- reading ------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        """Whether ``path`` is a file or directory in what processes see (the page cache).

        What the disk holds may differ until a durability point; properties that ask
        what survives a power loss read :meth:`on_disk` instead.
        """
        return path == "/" or _check_path(path) in self.tree

    def is_dir(self, path: str) -> bool:
        """Whether ``path`` is a directory (as processes see it); False when missing."""
        return path == "/" or self.tree.get(_check_path(path)) == DIR

    def is_file(self, path: str) -> bool:
        """Whether ``path`` is a regular file (as processes see it); False when missing."""
        entry = self.tree.get(_check_path(path))
        return entry is not None and entry != DIR

    def listdir(self, path: str) -> tuple[str, ...]:
        """Names in a directory, sorted (a real listing's order is unspecified)."""
        self._need_dir(path)
        prefix = "/" if path == "/" else path + "/"
        return tuple(sorted(k[len(prefix):] for k in self.tree
                            if k.startswith(prefix) and "/" not in k[len(prefix):]))

    def read(self, path: str) -> Any:
        """The contents of a file as processes see them (an empty file holds
        :data:`~lifecheck.components.persistence.EMPTY`).

        Raises ``FileNotFoundError`` or ``IsADirectoryError`` as ``open(2)`` would:
        a design that reads a file it did not check for is a design with that bug.
        """
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
        """The namespace and contents the disk holds for sure (before any pending operation)."""
        disk, synced = self.durable_tree, self.synced
        return (self.tree if disk is None else disk, self.data if synced is None else synced)

    # -- namespace operations -----------------------------------------------------------
    def mkdir(self, path: str) -> None:
        """A new, empty directory; raises ``FileExistsError`` where the name is taken.

        A design that relies on that refusal (mkdir as a lock) sees it as on a real
        disk; a power loss may still lose the directory until an :meth:`fsync` makes
        it durable.
        """
        self._need_new(path)
        self._check_space("mkdir", path)
        self._log(("mkdir", path))

    def create(self, path: str) -> None:
        """A new, empty regular file (``open(O_CREAT | O_EXCL)``)."""
        self._need_new(path)
        self._check_space("create", path)
        ino = self._fresh_inode(path)
        self._log(("create", path) if ino == path else ("create", path, ino))

    def unlink(self, path: str) -> None:
        """Remove a file; raises ``FileNotFoundError`` or ``IsADirectoryError`` as unlink(2) would."""
        self._need_file(path)
        self._log(("unlink", path))

    def rmdir(self, path: str) -> None:
        """Remove an empty directory; raises ``OSError`` (ENOTEMPTY) when it is not empty."""
        self._need_dir(path)
        if path == "/":
            raise _error(PermissionError, errno.EBUSY, path)
        if self.listdir(path):
            raise _error(OSError, errno.ENOTEMPTY, path)
        self._log(("rmdir", path))

    def rmtree(self, path: str) -> None:
        """Delete a directory and everything in it, as ``rm -r`` does: entry by entry.

        It is one step for the model (a killed process never stops half way) but
        one operation per entry, children first, so a power loss can leave a
        directory half deleted, as on a real disk.
        """
        self._need_dir(path)
        if path == "/":
            raise _error(PermissionError, errno.EBUSY, path)
        tree = self.tree
        for entry in sorted((k for k in tree if _under(k, path)), reverse=True):
            self._log(("rmdir", entry) if tree[entry] == DIR else ("unlink", entry))

    def rename(self, src: str, dst: str) -> bool:
        """Move ``src`` to ``dst``; False when ``dst`` is a non-empty directory.

        That one refusal (ENOTEMPTY) is returned rather than raised because a
        design uses it as its signal that another process got there first. Every
        other refusal is a mistake in the design and raises as rename(2) would: a
        missing source or destination directory, a directory onto a file or the
        reverse, a directory into itself. Processes see it happen atomically; what
        a power loss may leave depends on the persistence model.
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
        if src_entry != DIR and not self.persistence.atomic_rename:
            # The rename's parts may reach the disk separately (both names, or neither).
            parts: tuple[Op, ...] = (("unlink", dst),) if dst_entry is not None else ()
            self._log(*parts, ("link", src, dst, src_entry, dst_entry is not None),
                      ("unlink", src))
        else:
            self._log(("rename", src, dst, src_entry, dst_entry is not None))
        return True

    # -- data ---------------------------------------------------------------------------
    def write(self, path: str, content: Any) -> None:
        """Replace the contents of an existing file (in the page cache only)."""
        self._write(path, content, "write")

    def _write(self, path: str, content: Any, call: str) -> None:
        ino = self._need_file(path)
        old = self.data.get(ino, EMPTY)
        if same_typed(content, old):  # (0,) and (False,) are equal, but not the same
            return
        self._check_space(call, path)
        if self._tracking():
            self._track()
            kind = "append" if _is_append(old, content) else "overwrite"
            self.pending = (*self.pending, ("write", ino, content, kind))
        self.data = set_content(self.data, ino, content)
        self._same_as_disk()

    def append(self, path: str, more: Any) -> None:
        """Add ``more`` at the end of a file's contents (a string, bytes or a tuple)."""
        old = self.read(path)
        if old == EMPTY:
            content = more
        elif isinstance(old, (str, bytes, tuple)) and type(more) is type(old):
            content = old + more
        else:
            raise ModelError(f"append({path!r}, {more!r}): the file holds {old!r}; "
                             "append adds a string, bytes or tuple to one of the same type")
        self._write(path, content, "append")

    def fsync(self, path: str) -> None:
        """Make a file's data, or a directory's entries, durable (see the module notes)."""
        entry = self.tree.get(_check_path(path))
        if entry is None and path != "/":
            raise _error(FileNotFoundError, errno.ENOENT, path)
        pending = self.pending
        if path == "/" or entry == DIR:
            targets = [i for i, op in enumerate(pending)
                       if op[0] in NAMESPACE and path in directories(op)]
        else:
            targets = [i for i, op in enumerate(pending) if op[0] == "write" and op[1] == entry]
            if self._fsync_failed(path, entry, targets):
                raise _error(OSError, errno.EIO, path)
            if self.persistence.safe_file_flush:
                # The entries that created the file and its directories, as most file
                # systems persist them (ALICE's "safe file flush").
                targets += [i for i, op in enumerate(pending)
                            if (op[0] == "create" and _ino_of_create(op) == entry)
                            or (op[0] == "mkdir" and path.startswith(op[1] + "/"))]
        if targets:
            self._commit(closure(_predecessors(self.persistence, pending), targets))

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
        """Release the lock on ``path``, which the running process must hold.

        Releasing a lock one does not hold is a mistake in the model (a real
        ``flock`` would silently do nothing, and hide it), so it raises
        :class:`~lifecheck.ModelError`.
        """
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
        """The disk keeps what the persistence model allows; the page cache is gone."""
        disk, synced = self.on_disk()
        pending = self.pending
        if pending:
            if sampling():  # a random walk: one outcome, drawn without listing them all
                options: tuple[Outcome, ...] = (random_outcome(
                    self.persistence, disk, synced, pending, self.block_size, draw),)
            else:
                options = _outcomes(self.persistence, disk, synced, pending, self.block_size,
                                    self.max_outcomes)
            chosen = choose_from(options, label=lambda o: fates_label(pending, o.fates, o.tears))
            disk, synced = chosen.tree, chosen.data
        self.tree, self.data = disk, live(synced, disk)
        self.durable_tree, self.synced, self.pending = None, None, ()

    # -- in a trace (see fs_trace) -------------------------------------------------------
    def trace_view(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Files by path with their contents, and the locks; the disk's copy and the
        journal show only where a step changes them (:meth:`explain`)."""
        return {"files": fs_trace.files(fields["tree"], fields["data"]), "locks": fields["locks"]}

    def trace_reads(self, fields: Mapping[str, Any],
                    reads: Mapping[str, tuple | None]) -> list[tuple[str, Any]]:
        """What a property read, by path in ``files``: a file's contents read by inode is
        named by the file's path."""
        return fs_trace.reads(fields, reads, super().trace_reads)

    def explain(self, before: Mapping[str, Any], after: Mapping[str, Any],
                fault: str) -> tuple[list[str], set[str]]:
        """Renames, and what an fsync made durable (or a failed one lost), in file terms;
        a power loss's label already lists the operations it kept and lost."""
        return fs_trace.explain(before, after, power_loss=fault == _POWER_LOSS,
                                failed_fsync=bool(fault) and fault == self.fsync_error)

    # -- internals ----------------------------------------------------------------------
    def _tracking(self) -> bool:
        """Whether the disk is kept apart from the page cache: while a power loss may
        still come, or a failed fsync, which falls back to what the disk holds."""
        return _power_loss_ahead() or (self.fsync_error is not None
                                       and faults_left(self.fsync_error) > 0)

    def _check_space(self, call: str, path: str) -> None:
        kind = self.no_space
        if kind is not None and fault(kind, label=_errno_label(self.name, call, path,
                                                                errno.ENOSPC, kind)):
            raise _error(OSError, errno.ENOSPC, path)

    def _fsync_failed(self, path: str, ino: str, writes: list[int]) -> bool:
        """Whether this fsync fails with EIO; if so, the file's unsynced writes are
        marked clean without reaching the disk, and the page cache falls back to it."""
        kind = self.fsync_error
        if kind is None or not fault(kind, label=_errno_label(self.name, "fsync", path,
                                                               errno.EIO, kind)):
            return False
        if writes:
            dropped = set(writes)
            self.pending = tuple(op for i, op in enumerate(self.pending) if i not in dropped)
            _, synced = self.on_disk()
            self.data = set_content(self.data, ino, synced.get(ino, EMPTY))
            self._same_as_disk()
        if not self._tracking():  # the last fault that could read the disk is spent
            self.durable_tree, self.synced, self.pending = None, None, ()
        return True

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

    def _track(self) -> None:
        """Pin the disk where it is before the first pending operation."""
        if self.durable_tree is None:
            self.durable_tree = self.tree
        if self.synced is None:
            self.synced = self.data

    def _log(self, *ops: Op) -> None:
        """Apply ``ops`` to what processes see; keep them pending if a power loss may come."""
        tracked = self._tracking()
        if tracked:
            self._track()
            self.pending = (*self.pending, *ops)
        tree = replayed(self.tree, ops)
        self.tree = tree
        if any(op[0] in ("unlink", "rename", "link") for op in ops):
            self.data = live(self.data, tree)  # the only operations that can orphan a file
        if tracked:
            self._same_as_disk()

    def _same_as_disk(self) -> None:
        if self.synced == self.data:
            self.synced = None
        if self.durable_tree == self.tree and not self.pending:
            self.durable_tree = None

    def _commit(self, done: set[int]) -> None:
        """Make the pending operations at ``done`` durable, and forget unreachable inodes.

        Applying them out of program order is sound: what they require is among
        them, and what stays pending neither touches a related name nor the same
        file, so it commutes with them.
        """
        pending = self.pending
        disk, synced = self.on_disk()
        tree = dict(disk)
        for i in sorted(done):
            op = pending[i]
            if op[0] == "write":
                synced = set_content(synced, op[1], op[2])
            else:
                apply_namespace(tree, op)
        rest = tuple(op for i, op in enumerate(pending) if i not in done)
        disk = FrozenMap(tree)
        keep = {_ino_of_create(op) for op in rest if op[0] == "create"}
        keep.update(op[1] for op in rest if op[0] == "write")
        keep.update(op[3] for op in rest if op[0] == "link")
        self.pending = rest
        self.durable_tree, self.synced = disk, live(synced, disk, keep)
        self._same_as_disk()

    def _fresh_inode(self, path: str) -> str:
        disk = self.durable_tree
        alive = set(self.tree.values())
        if disk is not None:
            alive.update(disk.values())
        # An inode a pending operation names is alive too: its write may still land.
        for op in self.pending:
            if op[0] == "create":
                alive.add(_ino_of_create(op))
            elif op[0] in ("write", "link"):
                alive.add(op[1] if op[0] == "write" else op[3])
        ino, n = path, 2
        while ino in alive:
            ino, n = f"{path}#{n}", n + 1
        return ino


def _persistence(name: Any) -> Persistence:
    if isinstance(name, Persistence):
        return name
    return persistence(name)
