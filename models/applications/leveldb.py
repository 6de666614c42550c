"""LevelDB 1.15: a compaction switches the database to a new manifest (ALICE Figure 4(A)).

A compaction writes the new table (``000002.ldb``) and fsyncs it, creates the new log,
writes a new manifest listing the table, fsyncs the directory and the manifest, writes
the new manifest's name to a temporary file, fsyncs it and renames it over
``CURRENT``; then it unlinks the old manifest and the old log, with no fsync of the
directory between the rename and the unlinks. ALICE reports LevelDB-1.15
vulnerabilities on every file system model it tried, the most on btrfs (three), where
directory operations reach the disk in any order: the unlink of the old manifest can
persist while the rename of ``CURRENT`` does not, and the database then "cannot open"
(``CURRENT`` names a manifest that is gone).

What LevelDB does on open here: read ``CURRENT``, the manifest it names and every
table that manifest lists. The property is that this works whenever no compaction is
half way through.
"""

from __future__ import annotations

from lifecheck import Model, Process, action, always, final, parameter, require, role, volatile
from lifecheck.components import FileSystem

DB = "/db"
CURRENT = f"{DB}/CURRENT"
TMP = f"{DB}/CURRENT.tmp"


def path(name: str) -> str:
    return f"{DB}/{name}"


OLD_MANIFEST, NEW_MANIFEST = "MANIFEST-000001", "MANIFEST-000003"
OLD_LOG, NEW_LOG = "000001.log", "000004.log"
OLD_TABLE, NEW_TABLE = "000001.ldb", "000002.ldb"


class Compactor(Process):
    """The LevelDB process; a crash forgets where the compaction was."""

    step = volatile("open", "open, table_create, ..., done (see Compaction.program)")


class Compaction(Model):
    """One compaction of a database whose manifest lists one table into one that lists two."""

    file_system = parameter("ext4-ordered", "the persistence model of the disk")
    dbs = role(Compactor)
    # An existing database: one table, its manifest, CURRENT and an empty log, durably.
    fs = FileSystem(dirs=(DB,), files={path(OLD_TABLE): f"table {OLD_TABLE}",
                                       path(OLD_MANIFEST): OLD_TABLE, path(OLD_LOG): "",
                                       CURRENT: OLD_MANIFEST},
                    persistence=lambda m: m.file_system)

    program = ("open", "table_create", "table_write", "table_sync", "log_create",
               "manifest_create", "manifest_write", "dir_sync", "manifest_sync",
               "current_create", "current_write", "current_sync", "current_rename",
               "unlink_manifest", "unlink_log", "done")

    def _next(self, c: Compactor) -> None:
        c.step = self.program[self.program.index(c.step) + 1]

    def opens(self) -> bool:
        """What ``DB::Open`` reads: CURRENT, its manifest, and every table the manifest lists."""
        manifest = self.fs.read_or(CURRENT)
        if not manifest:
            return False
        tables = self.fs.read_or(path(manifest))
        if not tables:
            return False
        return all(self.fs.read_or(path(t)) == f"table {t}" for t in tables.split(","))

    @action(Compactor)
    def open(self, c: Compactor) -> None:
        """Open the database; a compaction that finished is not redone."""
        require(c.step == "open")
        if self.fs.read_or(CURRENT) == NEW_MANIFEST:
            c.step = "done"
            return
        for leftover in (TMP, path(NEW_MANIFEST), path(NEW_LOG), path(NEW_TABLE)):
            if self.fs.exists(leftover):  # files of a compaction that did not finish
                self.fs.unlink(leftover)
        self._next(c)

    @action(Compactor)
    def table_create(self, c: Compactor) -> None:
        require(c.step == "table_create")
        self.fs.create(path(NEW_TABLE))
        self._next(c)

    @action(Compactor)
    def table_write(self, c: Compactor) -> None:
        require(c.step == "table_write")
        self.fs.append(path(NEW_TABLE), f"table {NEW_TABLE}")
        self._next(c)

    @action(Compactor)
    def table_sync(self, c: Compactor) -> None:
        require(c.step == "table_sync")
        self.fs.fsync(path(NEW_TABLE))  # fdatasync
        self._next(c)

    @action(Compactor)
    def log_create(self, c: Compactor) -> None:
        require(c.step == "log_create")
        self.fs.create(path(NEW_LOG))
        self._next(c)

    @action(Compactor)
    def manifest_create(self, c: Compactor) -> None:
        require(c.step == "manifest_create")
        self.fs.create(path(NEW_MANIFEST))
        self._next(c)

    @action(Compactor)
    def manifest_write(self, c: Compactor) -> None:
        require(c.step == "manifest_write")
        self.fs.append(path(NEW_MANIFEST), f"{OLD_TABLE},{NEW_TABLE}")
        self._next(c)

    @action(Compactor)
    def dir_sync(self, c: Compactor) -> None:
        require(c.step == "dir_sync")
        self.fs.fsync(DB)
        self._next(c)

    @action(Compactor)
    def manifest_sync(self, c: Compactor) -> None:
        require(c.step == "manifest_sync")
        self.fs.fsync(path(NEW_MANIFEST))
        self._next(c)

    @action(Compactor)
    def current_create(self, c: Compactor) -> None:
        require(c.step == "current_create")
        self.fs.create(TMP)
        self._next(c)

    @action(Compactor)
    def current_write(self, c: Compactor) -> None:
        require(c.step == "current_write")
        self.fs.append(TMP, NEW_MANIFEST)
        self._next(c)

    @action(Compactor)
    def current_sync(self, c: Compactor) -> None:
        require(c.step == "current_sync")
        self.fs.fsync(TMP)
        self._next(c)

    @action(Compactor)
    def current_rename(self, c: Compactor) -> None:
        require(c.step == "current_rename")
        self.fs.rename(TMP, CURRENT)
        self._next(c)

    @action(Compactor)
    def unlink_manifest(self, c: Compactor) -> None:
        require(c.step == "unlink_manifest")
        if self.fs.exists(path(OLD_MANIFEST)):  # (LevelDB ignores a failed delete)
            self.fs.unlink(path(OLD_MANIFEST))
        self._next(c)

    @action(Compactor)
    def unlink_log(self, c: Compactor) -> None:
        require(c.step == "unlink_log")
        if self.fs.exists(path(OLD_LOG)):
            self.fs.unlink(path(OLD_LOG))
        self._next(c)

    @always
    def database_opens(self) -> bool:
        """Whenever no compaction is half way through, the database opens."""
        idle = all(c.step in ("table_create", "done") for c in self.dbs)
        return not idle or self.opens()

    @final
    def finished(self) -> bool:
        return all(c.step == "done" for c in self.dbs)
