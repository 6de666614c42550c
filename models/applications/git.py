"""Git: storing a commit object and moving the branch to it (ALICE Figure 1, Figure 4(G)).

Git writes a new object to a temporary file, fsyncs it and gives it its final name
(Git links it and unlinks the temporary name; one rename here). It then moves the
branch: it creates ``refs/heads/main.lock``, appends the new commit's id and renames
the lock over the ref, with no fsync of the lock file. ALICE (section 4.2, Figure 1):
"if the appends are not persisted before the rename, any further commits to the
repository fail"; Git "expects total ordering from the file system". ALICE counts
two Git vulnerabilities under its ext4-ordered model and five under btrfs, where
directory operations are reordered too: the ref's rename can reach the disk while the
object it names has not got its name.

What Git does on start here: read the branch and the object it names. The property
is that this works whenever Git is not in the middle of a commit.
"""

from __future__ import annotations

from lifecheck import Model, Process, action, always, final, parameter, require, role, volatile
from lifecheck.components import FileSystem

GIT = "/repo/.git"
OBJECTS = f"{GIT}/objects"
REF = f"{GIT}/refs/heads/main"
LOCK = f"{REF}.lock"
TMP_OBJECT = f"{OBJECTS}/tmp_obj"


def obj(commit: str) -> str:
    return f"{OBJECTS}/{commit}"


def body(commit: str) -> str:
    return f"commit {commit}"


class Git(Process):
    """One git command; it keeps nothing in memory across a crash."""

    step = volatile("start", "start, obj_create, ..., done (see Commit.program)")


class Commit(Model):
    """``git commit`` of one new commit, c1, on top of c0."""

    file_system = parameter("ext4-ordered", "the persistence model of the disk")
    gits = role(Git)
    # An existing repository: object c0 and the branch pointing at it, durably.
    fs = FileSystem(dirs=(OBJECTS, f"{GIT}/refs/heads"), files={obj("c0"): body("c0"), REF: "c0"},
                    persistence=lambda m: m.file_system)

    program = ("start", "obj_create", "obj_write", "obj_fsync", "obj_rename",
               "ref_lock", "ref_write", "ref_rename", "done")

    def _next(self, g: Git) -> None:
        g.step = self.program[self.program.index(g.step) + 1]

    def branch_resolves(self) -> bool:
        """What git reads first: the branch names a commit whose object is whole."""
        commit = self.fs.read_or(REF)
        return bool(commit) and self.fs.read_or(obj(commit)) == body(commit)

    @action(Git)
    def start(self, g: Git) -> None:
        """Git starts: it reads the branch; a commit already made is not made again."""
        require(g.step == "start")
        if self.fs.read_or(REF) == "c1":
            g.step = "done"
        else:
            if self.fs.exists(LOCK):  # a stale lock from a crashed git: removed by hand
                self.fs.unlink(LOCK)
            if self.fs.exists(TMP_OBJECT):
                self.fs.unlink(TMP_OBJECT)
            self._next(g)

    @action(Git)
    def obj_create(self, g: Git) -> None:
        require(g.step == "obj_create")
        self.fs.create(TMP_OBJECT)
        self._next(g)

    @action(Git)
    def obj_write(self, g: Git) -> None:
        require(g.step == "obj_write")
        self.fs.append(TMP_OBJECT, body("c1"))
        self._next(g)

    @action(Git)
    def obj_fsync(self, g: Git) -> None:
        require(g.step == "obj_fsync")
        self.fs.fsync(TMP_OBJECT)
        self._next(g)

    @action(Git)
    def obj_rename(self, g: Git) -> None:
        require(g.step == "obj_rename")
        self.fs.rename(TMP_OBJECT, obj("c1"))
        self._next(g)

    @action(Git)
    def ref_lock(self, g: Git) -> None:
        require(g.step == "ref_lock")
        self.fs.create(LOCK)
        self._next(g)

    @action(Git)
    def ref_write(self, g: Git) -> None:
        require(g.step == "ref_write")
        self.fs.append(LOCK, "c1")
        self._next(g)

    @action(Git)
    def ref_rename(self, g: Git) -> None:
        require(g.step == "ref_rename")
        self.fs.rename(LOCK, REF)
        self._next(g)

    @always
    def repository_opens(self) -> bool:
        """Whenever no git command is half way through, the branch resolves to a whole commit."""
        idle = all(g.step in ("obj_create", "done") for g in self.gits)
        return not idle or self.branch_resolves()

    @final
    def finished(self) -> bool:
        return all(g.step == "done" for g in self.gits)
