"""Retrying fsync after EIO ("fsyncgate"): the retry succeeds and the data is gone.

An application stores a new value in a file, fsyncs it, and only then tells its
client the value is durable (an acknowledgement the client relies on: it will not
send the value again). On Linux a failed fsync (EIO) marks the pages whose
writeback failed clean: the unsynced write is dropped and the next fsync has nothing
to write, so it succeeds. PostgreSQL retried the fsync and went on (found in 2018;
Rebello et al., USENIX ATC 2020, show the same in other applications): the retry
succeeds and the application acknowledges a value the disk never got.

:class:`RetryFsync` is that design. :class:`RewriteThenFsync` treats the error as
the loss it is: it writes the value again from its own copy before the next fsync.
The FileSystem's ``fsync_error`` kind is the failed fsync (``docs/filesystem.md``).
"""

from __future__ import annotations

from lifecheck import Model, Process, action, always, eventually, final, require, role, volatile
from lifecheck.components import FileSystem

DATA = "/data"
DB = f"{DATA}/db"
OLD, NEW = "v0", "v1"


class App(Process):
    """The application: where it is in storing the value. A restart begins again."""

    step = volatile("write", "write, sync or acked")


class RetryFsync(Model):
    """The shipped design: an fsync that fails is simply tried again."""

    apps = role(App, count=1)
    # The file holds the old value, durably, before the story starts.
    fs = FileSystem(dirs=(DATA,), files={DB: OLD}, fsync_error="eio")

    @action(App)
    def write(self, a: App) -> None:
        """Write the new value into the page cache."""
        require(a.step == "write")
        self.fs.write(DB, NEW)
        a.step = "sync"

    @action(App)
    def sync(self, a: App) -> None:
        """fsync the file; once it succeeds, acknowledge the value as durable."""
        require(a.step == "sync")
        try:
            self.fs.fsync(DB)
        except OSError:
            a.step = self.after_failed_fsync()
            return
        a.step = "acked"

    def after_failed_fsync(self) -> str:
        """Where the program goes after EIO: the shipped design fsyncs again."""
        return "sync"

    @always
    def no_lost_acknowledged_write(self) -> bool:
        """A value acknowledged as durable is what the file holds."""
        return all(a.step != "acked" for a in self.apps) or self.fs.read(DB) == NEW

    @eventually
    def eventually_acknowledged(self) -> bool:
        """The application gets the value to disk and acknowledges it."""
        return all(a.step == "acked" for a in self.apps)

    @final
    def acknowledged(self) -> bool:
        """The value is acknowledged: the application has nothing left to do."""
        return all(a.step == "acked" for a in self.apps)


class RewriteThenFsync(RetryFsync):
    """The fix: after EIO the write is lost, so write the value again, then fsync."""

    def after_failed_fsync(self) -> str:
        return "write"
