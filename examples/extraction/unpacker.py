"""Unpacking a plugin archive when a broker starts: the real thing, on a real disk.

A broker needs the files of a plugin archive (a zip, like Pulsar's NAR files)
under a working directory shared by every broker on the host. Three designs, the
same three as :mod:`models.extraction` checks:

* :class:`InPlaceUnpacker` (shipped): under a file lock, an existing target
  directory counts as unpacked; otherwise unpack straight into it;
* :class:`MarkerUnpacker` (fix A): only a target holding a ``.success`` marker,
  written after the last file, counts as unpacked; anything else is deleted and
  unpacked again;
* :class:`RenameUnpacker` (fix B): unpack into the broker's own temporary
  directory, then rename it onto the target in one step; with ``fsync``, every
  file is fsynced before the rename and the working directory after it.

This module knows nothing of lifecheck. Its one concession to testing is the
``checkpoint`` callback, called before each step with the step's name and the
unpacker's progress: a test can pause the broker there (and kill it), a
production build passes nothing. The checkpoint before loading may answer
``"fail-startup"``, standing in for a failure at start-up that has nothing to do
with the files (a dependency that is down).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Checkpoint = Callable[..., str]
"""``checkpoint(step, unpacked=n) -> instruction``: called before each step."""

GO = "go"
FAIL_STARTUP = "fail-startup"
LOCK_NAME = "plugin.lock"
MARKER_NAME = ".success"


def no_checkpoint(step: str, **progress: int) -> str:
    return GO


class PluginLoadError(Exception):
    """The target directory does not hold the plugin: a file is missing or incomplete."""

    def __init__(self, missing: list[str], complete: int) -> None:
        super().__init__(f"plugin files missing or incomplete: {', '.join(missing)}")
        self.missing = missing
        self.complete = complete


class StartupFailed(Exception):
    """Start-up failed after the plugin loaded, for a reason of its own."""

    def __init__(self, complete: int) -> None:
        super().__init__("start-up failed: a dependency is unavailable")
        self.complete = complete


@dataclass(frozen=True)
class Plugin:
    """A loaded plugin: the directory it was loaded from and its files."""

    directory: Path
    files: tuple[str, ...]

    @property
    def complete(self) -> int:
        return len(self.files)


def make_archive(path: Path, files: dict[str, str]) -> Path:
    """Write a zip archive holding ``files`` (name -> contents), in that order."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def fsync_path(path: Path) -> None:
    """fsync a file or a directory by path (a directory's entries need their own fsync)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileLock:
    """An advisory ``flock`` on a lock file; the kernel releases it when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class Unpacker(ABC):
    """What every design shares: the archive, writing a file, loading the target."""

    def __init__(self, archive: Path, workdir: Path, broker: str,
                 checkpoint: Checkpoint = no_checkpoint) -> None:
        self.archive = archive
        self.workdir = workdir
        self.broker = broker
        self.checkpoint = checkpoint
        self.target = workdir / "plugin"
        self.unpacked = 0  # files fully written by this attempt
        with zipfile.ZipFile(archive) as zf:
            self.members = {name: zf.read(name) for name in zf.namelist()}

    def _step(self, name: str) -> str:
        return self.checkpoint(name, unpacked=self.unpacked)

    @abstractmethod
    def start(self) -> Plugin:
        """Make sure the plugin is unpacked, then load it."""

    def unpack_into(self, directory: Path, *, fsync: bool = False) -> None:
        """File by file: create each one, then write it (two steps, as a crash can split them)."""
        for name, data in self.members.items():
            self._step("unpack_create")
            path = directory / name
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            self._step("unpack_write")
            with open(path, "wb") as f:
                f.write(data)
                if fsync:
                    f.flush()
                    os.fsync(f.fileno())
            self.unpacked += 1

    def load(self) -> Plugin:
        """Load the plugin from the target: every file of the archive, with its full contents."""
        instruction = self._step("load")
        complete, missing = [], []
        for name, data in self.members.items():
            try:
                ok = (self.target / name).read_bytes() == data
            except OSError:
                ok = False
            (complete if ok else missing).append(name)
        if missing:
            raise PluginLoadError(missing, len(complete))
        if instruction == FAIL_STARTUP:
            raise StartupFailed(len(complete))
        return Plugin(self.target, tuple(complete))


class InPlaceUnpacker(Unpacker):
    """The shipped design: an existing target counts as unpacked; unpack straight into it."""

    def start(self) -> Plugin:
        lock = FileLock(self.workdir / LOCK_NAME)
        self._step("lock")
        lock.acquire()
        self._step("boot")
        if self.target.exists():
            lock.release()
            return self.load()
        self.target.mkdir()
        self.unpack_into(self.target)
        lock.release()
        return self.load()


class MarkerUnpacker(Unpacker):
    """Fix A: a marker written after the last file says the target is complete."""

    def start(self) -> Plugin:
        lock = FileLock(self.workdir / LOCK_NAME)
        self._step("lock")
        lock.acquire()
        self._step("boot")
        if (self.target / MARKER_NAME).exists():
            lock.release()
            return self.load()
        if self.target.exists():
            shutil.rmtree(self.target)  # left by a run that died before its marker
        self.target.mkdir()
        self.unpack_into(self.target)
        self._step("write_marker")
        os.close(os.open(self.target / MARKER_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        lock.release()
        return self.load()


class RenameUnpacker(Unpacker):
    """Fix B: unpack into this broker's temporary directory, then rename it onto the target."""

    def __init__(self, archive: Path, workdir: Path, broker: str,
                 checkpoint: Checkpoint = no_checkpoint, *, fsync: bool = True) -> None:
        super().__init__(archive, workdir, broker, checkpoint)
        self.fsync = fsync
        self.tmp = workdir / f"plugin.tmp-{broker}"

    def start(self) -> Plugin:
        self._step("boot")
        if self.tmp.exists():
            shutil.rmtree(self.tmp)  # left over from a run that died
        if self.target.exists():
            return self.load()
        self.tmp.mkdir()
        self.unpack_into(self.tmp, fsync=self.fsync)
        self._step("rename")
        try:
            os.rename(self.tmp, self.target)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            shutil.rmtree(self.tmp)  # another broker's rename won: load its copy
        else:
            if self.fsync:
                fsync_path(self.workdir)
        return self.load()
