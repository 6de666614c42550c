"""An asynchronous executor: work submitted now, run later, its result maybe never looked at.

Half the lifecycles in this project go wrong on an asynchronous call: a commit
whose future nobody reads, a callback that never runs because the process died.
This component keeps the three moments of such a call apart, so the checker can
put anything (another step, a crash) between them:

1. **submit**: a process hands over a task, an immutable description of the work
   (``Commit(segment=0)``), and gets it back as its handle. It says whether it
   wants the result (``reply=True``, it attached a callback) or not
   (``reply=False``: "fire and forget", nobody holds the future).
2. **run**: later, as a step of its own, one of the process's pending tasks runs.
   The model writes that step as an action of the submitter's role (the executor
   is that process's thread pool), typically::

       @action(Broker)
       def run_task(self, b):
           task = self.executor.start()        # one pending task of b; each is a branch
           ok = ...do task.work, e.g. a remote request...
           self.executor.finish(task, ok)      # kept for delivery only if task.reply

   :meth:`Executor.start` chooses among the pending tasks of the running process,
   so tasks run in any order, as in a pool with several threads.
3. **deliver**: a result that was asked for waits until the submitter takes it
   in a callback step (:meth:`Executor.take_reply`), again an action of its own.
   A result that was not asked for is dropped when the task finishes.

Pending tasks and undelivered results live in the process's memory: a crash of
the process drops all of its own (``on_crash``), and a power loss drops every
one (the fields are volatile). Nothing else does: a task is never lost or run
twice on its own, so a design cannot blame the executor for its own bugs.

State is canonical: both collections are multisets kept as tuples sorted by
``repr``, so two submissions in different orders give the same state, and no
sequence numbers grow without bound. Identical tasks of one process are
indistinguishable, which is why the handle is the task itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lifecheck import Component, ModelError, choose_from, current_process, require, volatile


@dataclass(frozen=True)
class Task:
    """A submitted piece of work and who waits for it: the handle a submitter gets."""

    owner: str | None
    work: Any
    reply: bool = True

    def __repr__(self) -> str:
        return f"{self.owner}:{self.work!r}{'' if self.reply else ' (no reply)'}"


@dataclass(frozen=True)
class Reply:
    """The outcome of a finished task, waiting for its submitter's callback."""

    owner: str | None
    work: Any
    outcome: Any

    def __repr__(self) -> str:
        return f"{self.owner}:{self.work!r} -> {self.outcome!r}"


def _sorted(items: tuple) -> tuple:
    return tuple(sorted(items, key=repr))


def _without_one(items: tuple, item: Any) -> tuple:
    i = items.index(item)
    return items[:i] + items[i + 1:]


class Executor(Component):
    """Per-process asynchronous tasks and their undelivered results (both lost in a crash)."""

    pending = volatile((), "tasks submitted and not yet run, sorted by repr (a multiset)")
    replies = volatile((), "results of finished tasks whose submitter asked for them, sorted")

    # -- the submitter ------------------------------------------------------------------
    def submit(self, work: Any, *, reply: bool = True) -> Task:
        """Queue ``work`` for the running process; ``reply=False`` is fire and forget."""
        task = Task(current_process(), work, reply)
        self.pending = _sorted((*self.pending, task))
        return task

    def take_reply(self, where: Callable[[Any], bool] | None = None) -> Reply:
        """A result waiting for the running process (each one a branch): its callback runs.

        Not enabled (the calling action waits) while there is none. ``where``
        narrows the choice by the work, for a design with several kinds of callback.
        """
        me = current_process()
        mine = tuple(dict.fromkeys(r for r in self.replies
                                   if r.owner == me and (where is None or where(r.work))))
        require(mine)
        got = choose_from(mine, label=repr)
        self.replies = _without_one(self.replies, got)
        return got

    # -- the executor's thread ------------------------------------------------------------
    def start(self, where: Callable[[Any], bool] | None = None) -> Task:
        """A pending task of the running process, taken off the queue to run now.

        Each distinct pending task is a branch (tasks run in any order); not enabled
        while there is none. ``where`` narrows the choice by the work.
        """
        me = current_process()
        mine = tuple(dict.fromkeys(t for t in self.pending
                                   if t.owner == me and (where is None or where(t.work))))
        require(mine)
        works = [t.work for t in mine]
        # A task is named by its work; the same work submitted both with and without a
        # reply is two branches, so those two also say which one runs.
        task = choose_from(mine, label=lambda t: repr(t.work) if works.count(t.work) == 1
                           else repr(t.work) + ("" if t.reply else " (no reply)"))
        self.pending = _without_one(self.pending, task)
        return task

    def finish(self, task: Task, outcome: Any) -> None:
        """The task is done with ``outcome``; it waits for delivery only if a reply was asked for."""
        if not isinstance(task, Task):
            raise ModelError(f"finish() takes the Task that start() returned, got {task!r}")
        if task.reply:
            self.replies = _sorted((*self.replies, Reply(task.owner, task.work, outcome)))

    # -- questions a design may ask (a future's isDone, a lock's holder) ------------------
    def is_pending(self, work: Any, owner: str | None = None) -> bool:
        """Whether ``work`` is submitted and not yet run (for ``owner``, default: anyone's)."""
        return any(t.work == work and (owner is None or t.owner == owner) for t in self.pending)

    def is_busy(self, work: Any, owner: str | None = None) -> bool:
        """Whether ``work`` is pending or its result is waiting for its callback."""
        return self.is_pending(work, owner) or any(
            r.work == work and (owner is None or r.owner == owner) for r in self.replies)

    def idle(self, owner: str | None = None) -> bool:
        """No task pending and no result undelivered (for ``owner``, default: anyone's)."""
        return not any(x.owner == owner or owner is None for x in (*self.pending, *self.replies))

    # -- faults ---------------------------------------------------------------------------
    def on_crash(self, process: str) -> None:
        """The process's thread pool and its futures die with it."""
        if any(t.owner == process for t in self.pending):
            self.pending = tuple(t for t in self.pending if t.owner != process)
        if any(r.owner == process for r in self.replies):
            self.replies = tuple(r for r in self.replies if r.owner != process)
