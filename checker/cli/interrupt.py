"""Ctrl-C and SIGTERM during ``lifecheck check``: stop cleanly, say what was done.

The first signal asks the search to stop at its next safe point (where it checks
its bounds), so the spec being checked ends as ``incomplete``, the verdict a hit
bound gives, with the states, depth and time reached, and the specs after it are
not run. A second signal stops at once (``KeyboardInterrupt``), for a run that is
somewhere no safe point comes soon (a long liveness check). The command then
exits with :data:`EXIT_INTERRUPTED`, and says how to bound a run so that it ends
by itself.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from lifecheck.result import Result

#: The exit status of an interrupted check (128 + SIGINT, as shells report Ctrl-C);
#: a SIGTERM gives it too, so that a script tells "interrupted" by one number.
EXIT_INTERRUPTED = 130

#: The bounds as command-line flags, in the order the hint names them.
BOUND_FLAGS = ("--max-states N", "--max-depth N", "--max-seconds S", "--max-memory-mb MB")

_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class Interruption:
    """Catches SIGINT and SIGTERM while a check runs (a context manager); ``reason``
    is the engines' ``Options.stop_requested``."""

    def __init__(self) -> None:
        self.signal_name = ""
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interruption:
        if threading.current_thread() is threading.main_thread():  # only there can it catch
            for signum in _NAMES:
                self._previous[signum] = signal.signal(signum, self._caught)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _caught(self, signum: int, frame: object) -> None:
        if self.signal_name:  # asked twice: stop now, wherever the run is
            raise KeyboardInterrupt
        self.signal_name = _NAMES[signal.Signals(signum)]

    def reason(self) -> str:
        """Why the run must stop ("" while it need not): an ``incomplete_reason``."""
        return f"interrupted by {self.signal_name}" if self.signal_name else ""


def interrupted_notice(cut: list[Result], not_run: int, *, timing: bool = True,
                       checkpoint: bool = False, table_skipped: bool = False) -> str:
    """What the command says on stderr after an interruption: where the run stood (the
    figures of each spec it stopped, ``cut``: none if it stopped between specs; several
    with ``--jobs``), what was not done, and a hint on bounding a run so that it ends
    by itself."""
    lines = []
    for result in cut:
        s = result.stats
        lines.append(f"lifecheck: interrupted while checking {result.spec}: {result.verdict} after "
                     f"{s.distinct_states:,} states, depth {s.depth}"
                     + (f", {s.seconds:.2f} s" if timing else ""))
    if not cut:
        lines.append("lifecheck: interrupted between two specs (the last one checked had finished)")
    if not_run:
        lines.append(f"lifecheck: {not_run} spec{'s' if not_run != 1 else ''} not checked")
    if checkpoint:
        lines.append("lifecheck: the same command resumes from the last checkpoint")
    if table_skipped:
        lines.append("lifecheck: --table not written: it holds the verdicts of a whole run")
    lines.append("lifecheck: hint: a bounded run ends by itself, as incomplete, naming the bound "
                 "it hit:")
    lines.append(f"  {', '.join(BOUND_FLAGS)} bound every spec checked;")
    lines.append("  Spec(bounds=Bounds(max_states=..., max_depth=..., max_seconds=..., "
                 "max_memory_mb=...)) bounds one;")
    lines.append("  smaller model parameters or fault budgets shrink the state space of a proof")
    return "\n".join(lines)
