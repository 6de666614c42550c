"""A broker as a real child process, paused before each of its steps, killable with SIGKILL.

The test's process forks the broker. Before every step the broker reports where
it is over a pipe (``{"at": "unpack_write", "unpacked": 1}``) and blocks until
told to go on, so the test decides when each step runs and can kill the broker
at any step boundary: a real ``kill -9``, after which the kernel closes its files
and releases its locks and the page cache keeps everything it wrote, exactly as
when a container is killed. When start-up ends, the broker reports
``{"running": ...}`` and waits to be killed, or ``{"failed": ...}`` and exits 1.

A power loss cannot be produced this way (the page cache outlives the process),
which is why the conformance specs have crashes and no power loss.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import traceback
from collections.abc import Callable
from typing import Any

from .unpacker import PluginLoadError, StartupFailed, Unpacker

TIMEOUT = 10.0
"""Seconds to wait for a broker's next report before calling it stuck (blocked on a lock)."""


class BrokerStuck(Exception):
    """The broker did not reach its next step in time (it waits for a lock, say)."""


class BrokerProcess:
    """One run of a broker: a forked child running ``make(checkpoint).start()``."""

    def __init__(self, name: str, make: Callable[..., Unpacker]) -> None:
        self.name = name
        self.report: dict[str, Any] = {}
        self.exit_status: int | None = None
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the broker
            os.close(self._to_child)
            os.close(self._from_child)
            _run_broker(make, to_child_r, from_child_w)  # never returns
        self.pid = pid
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._read_report()

    @property
    def at(self) -> str | None:
        """The step the broker waits to take, or None once it has stopped taking steps."""
        return self.report.get("at")

    @property
    def alive(self) -> bool:
        return self.exit_status is None

    def go(self, instruction: str = "go") -> dict[str, Any]:
        """Let the broker take the step it waits at; its next report."""
        os.write(self._to_child, (json.dumps({"do": instruction}) + "\n").encode())
        return self._read_report()

    def kill(self) -> None:
        """SIGKILL, as ``kill -9`` or a container stop would."""
        if self.alive:
            os.kill(self.pid, signal.SIGKILL)
            self._reap()
        self.close()

    def close(self) -> None:
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._to_child = self._from_child = -1
        if self.alive:
            os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> None:
        _, status = os.waitpid(self.pid, 0)
        self.exit_status = os.waitstatus_to_exitcode(status)

    def _read_report(self) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self._from_child], [], [], TIMEOUT)
            if not ready:
                raise BrokerStuck(f"{self.name} did not reach its next step within {TIMEOUT:g} s "
                                  f"(last report: {self.report})")
            chunk = os.read(self._from_child, 65536)
            if not chunk:
                self._reap()
                raise BrokerStuck(f"{self.name} exited with status {self.exit_status} without a "
                                  f"report (last report: {self.report})")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        self.report = json.loads(line)
        if "error" in self.report:
            self._reap()
            raise RuntimeError(f"{self.name} crashed on its own:\n{self.report['error']}")
        if "failed" in self.report:
            self._reap()
        return self.report


def _run_broker(make: Callable[..., Unpacker], commands: int, reports: int) -> None:
    """The child's whole life; it leaves only through ``os._exit``, never back into the test."""
    status = 2
    try:
        incoming = os.fdopen(commands, "rb")

        def send(message: dict[str, Any]) -> None:
            os.write(reports, (json.dumps(message) + "\n").encode())

        def checkpoint(step: str, **progress: int) -> str:
            send({"at": step, **progress})
            line = incoming.readline()
            if not line:  # the test went away: stop here
                os._exit(3)
            return json.loads(line)["do"]

        unpacker = make(checkpoint)
        try:
            plugin = unpacker.start()
        except (PluginLoadError, StartupFailed) as exc:
            send({"failed": str(exc), "complete": exc.complete, "unpacked": unpacker.unpacked})
            status = 1
        else:
            send({"running": True, "complete": plugin.complete, "unpacked": unpacker.unpacked})
            incoming.readline()  # serve until killed
            status = 0
    except BaseException:
        with contextlib.suppress(OSError):
            os.write(reports, (json.dumps({"error": traceback.format_exc()}) + "\n").encode())
    finally:
        os._exit(status)
