"""Extraction: unpacking a plugin archive when a broker starts (Apache Pulsar, NAR files).

A broker needs an archive of K files unpacked under /tmp before it can load the
plugin. The shipped design unpacks straight into the target directory and treats
an existing directory as finished, so a broker killed half way leaves a directory
that every later start loads and fails on. The fixes differ in how a finished
directory is told apart from an unfinished one: a marker file written last
(Fix A), or a directory that only ever appears complete, by renaming it into place
(Fix B). Whether that survives a power loss, not only a killed process, depends on
fsync: see :mod:`models.components.filesystem` for what a power loss keeps.

Every design shares the broker's life after unpacking (load, fail, be restarted by
its supervisor) and the properties; the designs differ in boot and unpacking.
"""

from __future__ import annotations

from lifecheck import (
    Model,
    Process,
    action,
    always,
    fault,
    final,
    leads_to,
    parameter,
    require,
    role,
    volatile,
)
from lifecheck.components import FileSystem

TMP = "/tmp"
TARGET = "/tmp/plugin"
LOCK = "/tmp/plugin.lock"
MARKER = TARGET + "/.success"
STARTUP = "startup"
"""The fault kind of a start-up that fails for a reason unrelated to the files."""


class Broker(Process):
    """A broker process. Everything it knows is in memory: a crash forgets it all."""

    phase = volatile("boot", "boot, locked, unpack, write, marker, rename, load, running, failed")
    unpacked = volatile(0, "files fully written by this attempt")
    complete_files = volatile(None, "complete files the load saw (None: has not loaded)")


class Extraction(Model):
    """What every design shares: the archive, the disk, loading, restarting, the properties.

    A design subclasses this with its ``boot`` and says where it unpacks
    (:meth:`unpack_dir`), how it writes a file (:meth:`write_file`) and what
    follows the last file (:meth:`unpacked_all`).
    """

    files = parameter(2, "K: files in the archive", check=lambda k: isinstance(k, int) and k >= 1)
    brokers = parameter(1, "brokers sharing the host's /tmp", check=lambda n: isinstance(n, int) and n >= 1)
    fleet = role(Broker, count="brokers")
    file_system = parameter("ext4-ordered", "the persistence model of /tmp's disk "
                                            "(see lifecheck.components.persistence)")
    fs = FileSystem(dirs=(TMP,), persistence=lambda m: m.file_system)

    # -- the archive and where it goes ---------------------------------------------------
    def archive(self) -> dict[str, str]:
        """File name -> full contents. Contents differ per file so a mix-up would show."""
        return {f"f{i}": f"data{i}" for i in range(1, self.files + 1)}

    def file_name(self, i: int) -> str:
        return f"f{i + 1}"

    def tmp_dir(self, b: Broker) -> str:
        """One fixed temporary name per broker, so leftovers cannot pile up (see NoLeak)."""
        return f"{TARGET}.tmp-{b.name}"

    def unpack_dir(self, b: Broker) -> str:
        return TARGET

    def write_file(self, path: str, content: str) -> None:
        self.fs.write(path, content)

    def unpacked_all(self, b: Broker) -> None:
        raise NotImplementedError

    def complete_in_target(self) -> int:
        archive = self.archive()
        return sum(self.fs.read_or(f"{TARGET}/{name}") == content
                   for name, content in archive.items())

    def all_running(self) -> bool:
        return all(b.phase == "running" for b in self.fleet)

    # -- unpacking: one step creates a file, the next writes it ---------------------------
    @action(Broker)
    def unpack_create(self, b: Broker) -> None:
        """Separate from the write, so a crash can leave a file that exists but is empty."""
        require(b.phase == "unpack")
        self.fs.create(f"{self.unpack_dir(b)}/{self.file_name(b.unpacked)}")
        b.phase = "write"

    @action(Broker)
    def unpack_write(self, b: Broker) -> None:
        require(b.phase == "write")
        name = self.file_name(b.unpacked)
        self.write_file(f"{self.unpack_dir(b)}/{name}", self.archive()[name])
        b.unpacked += 1
        if b.unpacked < self.files:
            b.phase = "unpack"
        else:
            self.unpacked_all(b)

    # -- after unpacking: every design loads the target the same way ----------------------
    @action(Broker)
    def load(self, b: Broker) -> None:
        """Load the plugin; start-up fails unless every file is there in full.

        Start-up can also fail for reasons of its own (a dependency down at boot;
        ``Fail(kind="startup")`` in a spec). Without that, a correct design never
        fails, so its supervisor's restart would never run and a proof would say
        nothing about a broker restarted onto a finished directory.
        """
        require(b.phase == "load")
        b.complete_files = self.complete_in_target()
        started = b.complete_files == self.files and not fault(STARTUP)
        b.phase = "running" if started else "failed"

    @action(Broker)
    def restart(self, b: Broker) -> None:
        """The supervisor restarts a broker whose start-up failed; memory starts afresh."""
        require(b.phase == "failed")
        b.phase = "boot"
        b.unpacked = 0
        b.complete_files = None

    # -- properties ------------------------------------------------------------------------
    @always
    def no_partial_load(self) -> bool:
        """A broker only ever loads a directory holding all K files with their full contents."""
        return all(b.complete_files is None or b.complete_files == self.files
                   for b in self.fleet)

    @leads_to(lambda m: not m.all_running())
    def eventually_starts(self) -> bool:
        """Whenever some broker is not running, eventually every broker runs.

        Checked under weak fairness with finitely many faults (the fault budget),
        so a design passes only if every restart after the last fault succeeds.
        """
        return self.all_running()

    @always
    def no_leak(self) -> bool:
        """At most one temporary directory per broker exists in /tmp.

        A safety property, because "leftovers do not accumulate" is a bound on
        every state, not something that must happen eventually: one leftover of a
        crashed run may stay until that broker's next start removes it, which is
        harmless. A design that named its temporary directory afresh on every
        attempt (``Files.createTempDirectory``) without cleaning up would break it
        after one crash. Here every broker has one fixed temporary name, so the
        design bounds the leak by construction and the property confirms it.
        A broker's temporary directories are the entries named after it
        (``plugin.tmp-broker1``, or ``plugin.tmp-broker1-<anything>``).
        """
        names = self.fs.listdir(TMP)
        for b in self.fleet:
            mine = self.tmp_dir(b).rpartition("/")[2]
            if sum(n == mine or n.startswith(mine + "-") for n in names) > 1:
                return False
        return True

    @always
    def no_clobber(self) -> bool:
        """While any broker runs on the target, the target still holds all K complete files.

        Nobody deleted or overwrote a directory another broker has loaded. Holds
        trivially with one broker; it is about what a second broker may do.
        """
        return (not any(b.phase == "running" for b in self.fleet)
                or self.complete_in_target() == self.files)

    @final
    def all_started(self) -> bool:
        return self.all_running()


class UnpackInPlace(Extraction):
    """The shipped design: unpack straight into the target; an existing target counts as done.

    Like Pulsar's NarUnpacker it takes a file lock around the check and the
    unpacking, so two brokers on a host never unpack into the directory together.
    The lock does not help against a broker killed half way: the next start finds
    the directory and loads it.
    """

    @action(Broker)
    def lock(self, b: Broker) -> None:
        require(b.phase == "boot")
        self.fs.lock(LOCK)
        b.phase = "locked"

    @action(Broker)
    def boot(self, b: Broker) -> None:
        require(b.phase == "locked")
        if self.fs.exists(TARGET):
            self.fs.unlock(LOCK)
            b.phase = "load"
        else:
            self.fs.mkdir(TARGET)
            b.phase = "unpack"

    def unpacked_all(self, b: Broker) -> None:
        self.fs.unlock(LOCK)
        b.phase = "load"


class MarkerFile(UnpackInPlace):
    """Fix A: the shipped design plus a marker written after the last file.

    Only a directory with the marker counts as done; anything else is a leftover
    of a run that died, deleted and unpacked again. Nothing is fsynced, so after a
    power loss the marker's name can survive while the files' data does not.
    """

    @action(Broker)
    def boot(self, b: Broker) -> None:
        require(b.phase == "locked")
        if self.fs.exists(MARKER):
            self.fs.unlock(LOCK)
            b.phase = "load"
        else:
            if self.fs.exists(TARGET):
                self.fs.rmtree(TARGET)
            self.fs.mkdir(TARGET)
            b.phase = "unpack"

    def unpacked_all(self, b: Broker) -> None:
        b.phase = "marker"

    @action(Broker)
    def write_marker(self, b: Broker) -> None:
        require(b.phase == "marker")
        self.fs.create(MARKER)
        self.fs.unlock(LOCK)
        b.phase = "load"


class AtomicRename(Extraction):
    """Fix B: unpack into the broker's own temporary directory, then rename it onto the target.

    The target only ever appears complete, so no lock is needed: if two brokers
    race, the second rename finds a non-empty target and fails, and that broker
    discards its copy and loads the winner's. A leftover temporary directory of a
    crashed run is removed at the next start.

    With ``fsync`` each file is fsynced right after it is written (in the same
    step: a power loss between the two loses the same data as one before the
    write), and the parent directory right after the rename (same step, same
    reason: a power loss between them keeps or drops the rename, both outcomes
    that a power loss before or after the pair also gives).
    """

    fsync = parameter(False, "fsync files before the rename and /tmp after it")

    def unpack_dir(self, b: Broker) -> str:
        return self.tmp_dir(b)

    @action(Broker)
    def boot(self, b: Broker) -> None:
        require(b.phase == "boot")
        tmp = self.tmp_dir(b)
        if self.fs.exists(tmp):
            self.fs.rmtree(tmp)  # left over from a run that died
        if self.fs.exists(TARGET):
            b.phase = "load"
        else:
            self.fs.mkdir(tmp)
            b.phase = "unpack"

    def write_file(self, path: str, content: str) -> None:
        self.fs.write(path, content)
        if self.fsync:
            self.fs.fsync(path)

    def unpacked_all(self, b: Broker) -> None:
        b.phase = "rename"

    @action(Broker)
    def rename(self, b: Broker) -> None:
        require(b.phase == "rename")
        tmp = self.tmp_dir(b)
        if self.fs.rename(tmp, TARGET):
            if self.fsync:
                self.fs.fsync(TMP)
        else:
            self.fs.rmtree(tmp)  # another broker's rename won: use its copy
        b.phase = "load"
