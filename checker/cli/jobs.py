"""Checking several specs side by side: ``lifecheck check --jobs N``.

A designer's main job is every spec of a project, each a search of its own, and the
machine has more than one core. Each spec is checked in a process forked once the
specs are loaded, so nothing about a spec is pickled on the way there; its result
comes back pickled. Results are handed on in the order of the specs, whatever
order they finish in, so what a run prints is what a sequential run prints.

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
    Returns the results of the specs checked: all of them, or after a signal those
    started before it."""
    ctx = mp.get_context("fork")
    flag = ctx.Value("i", 0, lock=False)
    relayed = _Relayed(flag, os.getpid())
    running: dict[int, tuple[Any, Any]] = {}  # spec index -> (process, connection)
    finished: dict[int, Result] = {}
    started = handed = 0
    try:
        while started < len(specs) or running:
            if interruption.reason():
                flag.value = 1 if "SIGINT" in interruption.reason() else 2
            while started < len(specs) and len(running) < jobs and not interruption.reason():
                sys.stdout.flush()  # (a child would print again what its copy of a buffer holds)
                sys.stderr.flush()
                here, there = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(check_one, specs[started], relayed, there),
                                   daemon=True)
                proc.start()
                there.close()
                running[started] = (proc, here)
                started += 1
            if not running:
                break
            ready = wait([conn for _, conn in running.values()], timeout=POLL)
            for i in [i for i, (_, conn) in running.items() if conn in ready]:
                proc, conn = running.pop(i)
                finished[i] = _received(conn, specs[i], check_one, interruption)
                conn.close()
                proc.join()
            while handed in finished:
                done(finished[handed])
                handed += 1
    finally:
        for proc, conn in running.values():  # (a second signal, or an error here)
            proc.kill()
            proc.join()
            conn.close()
    return [finished[i] for i in range(handed)]


def _received(conn: Any, spec: Spec, check_one: Callable[[Spec, Any], Result],
              interruption: Interruption) -> Result:
    try:
        kind, payload = pickle.loads(conn.recv_bytes())
    except EOFError:  # killed from outside: the kernel's out-of-memory killer, say
        return Result(spec.name, repr(spec.model), ERROR, expected=spec.expect,
                      error=f"{spec.name}: the process checking it ended without a result "
                            "(killed from outside, or out of memory?); check it alone, or with "
                            "--max-memory-mb, to see how far it gets")
    if kind == "result":
        return payload
    if kind == "unpicklable":
        return check_one(spec, interruption)
    raise RuntimeError(f"checking {spec.name} failed in its own process:\n{payload}")


def _child(check_one: Callable[[Spec, Any], Result], spec: Spec, relayed: _Relayed,
           conn: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        result = check_one(spec, relayed)
        try:
            data = pickle.dumps(("result", result))
        except Exception:  # a value of the model's that pickle cannot name
            data = pickle.dumps(("unpicklable", None))
    except BaseException:
        data = pickle.dumps(("failed", traceback.format_exc()))
    try:
        conn.send_bytes(data)
    except (BrokenPipeError, OSError):
        pass  # the parent is gone
    finally:
        conn.close()
