"""Checking several specs side by side: ``lifecheck check --jobs N``.

A designer's main job is every spec of a project, each a search of its own, and the
machine has more than one core. N processes, forked once the specs are loaded, each
check one spec after another: a spec travels as its index, so nothing about it is
pickled on the way there, and its result comes back pickled. Results are handed on
in the order of the specs, whatever order they finish in, so what a run prints is
what a sequential run prints.

A result that cannot be pickled (a state holding an instance of a class defined
inside a function, say) is checked again in this process: slower, never different.

Signals: the children ignore SIGINT and SIGTERM, which a terminal's Ctrl-C sends to
every process of the group, and stop at their next safe point when this process
asks them to, through a shared flag. So each spec being checked ends incomplete,
as a sequential run's one spec does; no spec starts after the signal. A second
signal raises ``KeyboardInterrupt`` here and the children are killed. A child whose
parent is gone stops as if interrupted.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

from lifecheck.cli.interrupt import Interruption
from lifecheck.explore.forked import fork_worker
from lifecheck.modelling.spec import Spec
from lifecheck.result import ERROR, Result

#: How often the loop that waits for results looks at the signal flag (seconds).
POLL = 0.1

_SIGNALS = {0: "", 1: "Ctrl-C (SIGINT)", 2: "SIGTERM"}


class _Relayed:
    """A child's view of the parent's :class:`Interruption`: the shared flag it sets."""

    def __init__(self, flag: Any, parent: int) -> None:
        self.flag = flag
        self.parent = parent

    def reason(self) -> str:
        if os.getppid() != self.parent:  # the parent is gone: nobody will read the result
            return "interrupted: the checking process ended"
        name = _SIGNALS[self.flag.value]
        return f"interrupted by {name}" if name else ""


def check_side_by_side(specs: list[Spec], jobs: int, interruption: Interruption,
                       check_one: Callable[[Spec, Any], Result],
                       done: Callable[[Result], None]) -> list[Result]:
    """Check ``specs`` with up to ``jobs`` at once; ``check_one(spec, interruption)``
    checks one, ``done(result)`` is called for each in the order of ``specs``.
    Returns the results of the specs checked, in the order of ``specs``: all of them,
    or after a signal those started before it. A spec whose process was killed from
    outside gets an error result."""
    return side_by_side(specs, jobs, interruption, check_one, done, _killed_result)


def _killed_result(spec: Spec) -> Result:
    return Result(spec.name, repr(spec.model), ERROR, expected=spec.expect,
                  error=f"{spec.name}: the process checking it ended without a result "
                        "(killed from outside, or out of memory?); check it alone, or "
                        "with --max-memory-mb, to see how far it gets")


class NeverStop:
    """For work that no signal stops at a safe point (a second one is not needed): a
    Ctrl-C raises ``KeyboardInterrupt`` in the parent, which kills its children."""

    def reason(self) -> str:
        return ""


def side_by_side(specs: list[Spec], jobs: int, interruption: Any,
                 work: Callable[[Spec, Any], Any], done: Callable[[Any], None],
                 lost: Callable[[Spec], Any]) -> list[Any]:
    """``work(spec, stop)`` for each of ``specs``, up to ``jobs`` at once; ``done`` is
    called with each outcome in the order of ``specs``, ``lost(spec)`` gives the
    outcome of a spec whose process was killed from outside.

    Each of the ``jobs`` processes works on one spec after another, as a sequential
    run does, so what a first check pays once (importing scipy for liveness, a
    model's compiled caches) is paid once per process, not once per spec.
    """
    ctx = mp.get_context("fork")
    flag = ctx.Value("i", 0, lock=False)
    relayed = _Relayed(flag, os.getpid())
    plan = _Plan(specs)
    team: list[_Worker] = []
    finished: dict[int, Any] = {}
    handed = 0
    try:
        while True:
            if interruption.reason():
                flag.value = 1 if "SIGINT" in interruption.reason() else 2
            elif plan:
                for worker in team:  # give every idle worker its next spec
                    if worker.spec is None and plan:
                        worker.give(*plan.next_for(worker.file))
                while len(team) < jobs and plan:
                    worker = _Worker(ctx, work, specs, relayed, team)
                    team.append(worker)
                    worker.give(*plan.next_for(None))
            busy = [w for w in team if w.spec is not None]
            if not busy:
                break
            ready = wait([w.conn for w in busy], timeout=POLL)
            for worker in [w for w in busy if w.conn in ready]:
                i = worker.spec
                assert i is not None
                finished[i] = worker.result(specs[i], work, interruption, lost)
                if not worker.alive:
                    team.remove(worker)
            while handed in finished:
                done(finished[handed])
                handed += 1
    finally:
        for worker in team:
            worker.stop()
    # After a signal, a spec not started leaves a gap: the specs after it that were
    # checked (another worker was on another file) are handed on too, in order.
    for i in sorted(i for i in finished if i >= handed):
        done(finished[i])
    return [finished[i] for i in sorted(finished)]


class _Plan:
    """Which spec a worker checks next: the next of the file it is on, so that the specs
    of one model run in one process and share what its first check compiled and cached
    (checked apart, specs/ took a fifth longer); else the first of a file nobody has
    started; else, at the end, one of the file with the most left. Specs start in
    order within a file."""

    def __init__(self, specs: list[Spec]) -> None:
        self.files: dict[str, list[int]] = {}
        for i, spec in enumerate(specs):
            self.files.setdefault(spec.source or "", []).append(i)
        self.untouched = list(self.files)

    def __bool__(self) -> bool:
        return any(self.files.values())

    def next_for(self, file: str | None) -> tuple[int, str]:
        if file is None or not self.files.get(file):
            file = self.untouched.pop(0) if self.untouched else \
                max(self.files, key=lambda f: len(self.files[f]))
            if file in self.untouched:
                self.untouched.remove(file)
        return self.files[file].pop(0), file


class _Worker:
    """One forked process that checks the specs it is given, one at a time."""

    def __init__(self, ctx: Any, work: Callable[[Spec, Any], Any], specs: list[Spec],
                 relayed: _Relayed, team: list[_Worker]) -> None:
        sys.stdout.flush()  # (a child would print again what its copy of a buffer holds)
        sys.stderr.flush()
        self.conn, self.proc = fork_worker(ctx, _work, (work, specs, relayed),
                                           [w.conn for w in team if w.alive])
        self.spec: int | None = None  # the index of the spec it is working on
        self.file: str | None = None  # the file that spec came from
        self.alive = True

    def give(self, index: int, file: str) -> None:
        self.conn.send(index)
        self.spec, self.file = index, file

    def result(self, spec: Spec, work: Callable[[Spec, Any], Any], interruption: Any,
               lost: Callable[[Spec], Any]) -> Any:
        self.spec = None
        try:
            kind, payload = pickle.loads(self.conn.recv_bytes())
        except EOFError:  # killed from outside: the kernel's out-of-memory killer, say
            self.alive = False
            self.stop()
            return lost(spec)
        if kind == "result":
            return payload
        if kind == "unpicklable":
            return work(spec, interruption)
        raise RuntimeError(f"checking {spec.name} failed in its own process:\n{payload}")

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


def _work(work: Callable[[Spec, Any], Any], specs: list[Spec], relayed: _Relayed,
          conn: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            index = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone, or done with this process
        try:
            outcome = work(specs[index], relayed)
            try:
                data = pickle.dumps(("result", outcome))
            except Exception:  # a value of the model's that pickle cannot name
                data = pickle.dumps(("unpicklable", None))
        except BaseException:
            data = pickle.dumps(("failed", traceback.format_exc()))
        try:
            conn.send_bytes(data)
        except (BrokenPipeError, OSError):
            return  # the parent is gone
