"""Two files updated in place under an undo log: consistent only if the log is durable first.

A writer keeps two files, ``/data/a`` and ``/data/b``, equal: they are updated
together. Before overwriting them in place it writes an undo record (their old
contents) to ``/data/undo``; after both new contents are fsynced it deletes the
record and fsyncs the directory. On start it recovers: if an undo record is there,
it puts the old contents back (then deletes the record), so the files agree again.

The shipped design writes the record but never fsyncs it. On a file system that
kept every operation in order that would do: the record reaches the disk before the
overwrites. On ext4 with data=ordered it does not: an in-place overwrite is written
back to its blocks directly, ordered with nothing, while the creation of the undo
file waits for the journal. A power loss right after the overwrite of ``a`` can keep
the new ``a`` and lose the undo file; recovery finds no record and the files differ.
The fix fsyncs the record, and the directory that holds its name, before the first
overwrite.

``file_system`` names the persistence model (see models.components.persistence),
so one design is checked against several file systems.
"""

from __future__ import annotations

from lifecheck import Model, Process, action, always, final, parameter, require, role, volatile
from lifecheck.components import FileSystem

DATA = "/data"
A, B, UNDO = f"{DATA}/a", f"{DATA}/b", f"{DATA}/undo"
OLD, NEW = "v0", "v1"

STEPS = ("recover", "log_create", "log_write", "write_a", "write_b",
         "sync_a", "sync_b", "drop_log", "sync_dir", "done")
"""The shipped writer's program, in order; each is one atomic step."""


class Writer(Process):
    """The one process that updates the files; it remembers nothing across a crash."""

    step = volatile("recover", "the next step of the program (see STEPS)")


class UndoLog(Model):
    """The shipped protocol: the undo record is written, never fsynced."""

    program = STEPS
    file_system = parameter("ext4-ordered", "the persistence model of the disk")
    writers = role(Writer)
    # The story starts from both files holding the old contents, durably.
    fs = FileSystem(dirs=(DATA,), files={A: OLD, B: OLD}, persistence=lambda m: m.file_system)

    def _next(self, w: Writer) -> None:
        w.step = self.program[self.program.index(w.step) + 1]

    @action(Writer)
    def recover(self, w: Writer) -> None:
        """Put the old contents back if an undo record is on disk, then drop the record."""
        require(w.step == "recover")
        record = self.fs.read_or(UNDO)
        if record:  # a whole record: (old a, old b); an empty file is no record
            old_a, old_b = record
            self.fs.write(A, old_a)
            self.fs.write(B, old_b)
            self.fs.fsync(A)
            self.fs.fsync(B)
        if self.fs.exists(UNDO):
            self.fs.unlink(UNDO)
            self.fs.fsync(DATA)
        if self.fs.read(A) == NEW and self.fs.read(B) == NEW:
            w.step = "done"  # the update had finished: nothing to redo
        else:
            self._next(w)

    @action(Writer)
    def log_create(self, w: Writer) -> None:
        require(w.step == "log_create")
        self.fs.create(UNDO)
        self._next(w)

    @action(Writer)
    def log_write(self, w: Writer) -> None:
        require(w.step == "log_write")
        self.fs.write(UNDO, (self.fs.read(A), self.fs.read(B)))
        self._next(w)

    @action(Writer)
    def write_a(self, w: Writer) -> None:
        require(w.step == "write_a")
        self.fs.write(A, NEW)
        self._next(w)

    @action(Writer)
    def write_b(self, w: Writer) -> None:
        require(w.step == "write_b")
        self.fs.write(B, NEW)
        self._next(w)

    @action(Writer)
    def sync_a(self, w: Writer) -> None:
        require(w.step == "sync_a")
        self.fs.fsync(A)
        self._next(w)

    @action(Writer)
    def sync_b(self, w: Writer) -> None:
        require(w.step == "sync_b")
        self.fs.fsync(B)
        self._next(w)

    @action(Writer)
    def drop_log(self, w: Writer) -> None:
        require(w.step == "drop_log")
        self.fs.unlink(UNDO)
        self._next(w)

    @action(Writer)
    def sync_dir(self, w: Writer) -> None:
        require(w.step == "sync_dir")
        self.fs.fsync(DATA)
        self._next(w)

    # -- properties ------------------------------------------------------------------------
    @always
    def files_agree(self) -> bool:
        """Outside an update (recovered, or finished), ``a`` and ``b`` hold the same contents."""
        idle = all(w.step in ("log_create", "done") for w in self.writers)
        return not idle or self.fs.read_or(A) == self.fs.read_or(B)

    @final
    def finished(self) -> bool:
        return all(w.step == "done" for w in self.writers)


class SyncedUndoLog(UndoLog):
    """The fix: the record, and the directory entry naming it, are durable before any overwrite."""

    program = (*STEPS[:3], "log_sync", *STEPS[3:])

    @action(Writer)
    def log_sync(self, w: Writer) -> None:
        require(w.step == "log_sync")
        self.fs.fsync(UNDO)
        self.fs.fsync(DATA)
        self._next(w)
