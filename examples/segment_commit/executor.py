"""An executor whose tasks run when told to: a thread pool a test can step.

Design code submits work and gets a real :class:`concurrent.futures.Future`, as
it would from a ``ThreadPoolExecutor``; what it does with the future (ignore it,
attach a callback) is the design. Here nothing runs on its own: pending tasks
wait until :meth:`SteppedExecutor.run` runs one of them, in any order the caller
picks, which is how a pool with several threads may run them. A process crash
loses every pending task with the process, as a real pool's queue is in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Task:
    """Work waiting to run: a name (what it is, for whoever picks the next one) and a call."""

    name: Hashable
    call: Callable[[], Any]
    future: Future = field(default_factory=Future)


class SteppedExecutor:
    """Tasks queue up until :meth:`run` runs one; futures resolve then."""

    def __init__(self) -> None:
        self.pending: list[Task] = []

    def submit(self, name: Hashable, fn: Callable[..., Any], *args: Any) -> Future:
        task = Task(name, lambda: fn(*args))
        self.pending.append(task)
        return task.future

    def busy(self, name: Hashable) -> bool:
        """Whether a task of that name is waiting to run."""
        return any(t.name == name for t in self.pending)

    def run(self, name: Hashable) -> Future:
        """Run the first pending task of that name; its future holds the result or the error."""
        task = next((t for t in self.pending if t.name == name), None)
        if task is None:
            raise LookupError(f"no pending task {name!r}")
        self.pending.remove(task)
        try:
            result = task.call()
        except Exception as exc:
            task.future.set_exception(exc)
        else:
            task.future.set_result(result)
        return task.future
