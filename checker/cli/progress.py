"""The progress line of ``lifecheck check``: how a long run shows it is moving.

On a terminal a run that has lasted a couple of seconds gets one live line on
stderr, rewritten in place and wiped when the spec is done, so the report that
follows reads as if it had never been there. Anywhere else (a pipe, a CI log, a
snapshot) nothing is shown unless ``--progress`` asks for it, and then a line a
second, which a log keeps. Plain ``\\r`` and spaces rather than a terminal
library: one line needs no cursor control, and it works on any terminal.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import time
from typing import TextIO

from lifecheck.contract import Progress

#: Seconds a run lasts before a terminal shows its progress line unasked: a short
#: spec finishes without a flicker.
SHOW_AFTER = 2.0
#: Seconds between rewrites of the live line (a log line comes once a second).
LIVE_EVERY = 0.5


def describe(p: Progress) -> str:
    """Where a run stands, in the words of both kinds of line."""
    return (f"{p.states:,} states, {p.states_per_second:,.0f} states/s, frontier "
            f"{p.frontier:,}, depth {p.depth}, {p.rss_bytes / 2**20:,.0f} MiB, "
            f"{p.seconds:,.0f} s")


class ProgressLine:
    """The progress of one spec's run; ``show`` is the engines' ``Options.progress``.

    ``live``: rewrite one line in place (a terminal) instead of printing a line per
    report. ``after``: seconds of this run before anything is shown.
    """

    def __init__(self, name: str, *, live: bool, after: float = 0.0,
                 stream: TextIO | None = None) -> None:
        self.name = name
        self.live = live
        self.stream = stream if stream is not None else sys.stderr
        self.show_from = time.perf_counter() + after
        self.shown = 0  # characters of the live line now on the terminal

    @property
    def every(self) -> float:
        """Seconds between reports, for ``Options.progress_every``."""
        return LIVE_EVERY if self.live else 1.0

    def show(self, p: Progress) -> None:
        if time.perf_counter() < self.show_from:
            return
        if not self.live:
            print(f"{self.name}: {describe(p)}", file=self.stream, flush=True)
            return
        text = f"{describe(p)}  [{self.name}]"  # the figures first: a cut keeps them
        # A line longer than the terminal wraps, and "\r" then returns to its last row
        # only: cut it to fit, so that the next rewrite (and the wipe) covers all of it.
        width = _columns(self.stream) - 1
        text = text[:width] if width > 0 else text
        self.stream.write("\r" + text.ljust(self.shown))
        self.stream.flush()
        self.shown = len(text)

    def end(self) -> None:
        """Wipe the live line, if one is shown, before the spec's report is printed."""
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


def progress_line(name: str, asked: bool | None, stream: TextIO | None = None,
                  live: bool = True) -> ProgressLine | None:
    """The progress line for one spec, or None: ``asked`` is True for ``--progress``,
    False for ``--no-progress``, None when neither was given (then a terminal gets
    the live line once a run lasts ``SHOW_AFTER`` seconds, anything else none).
    Not ``live``: a line per report even on a terminal, never one rewritten in place."""
    stream = stream if stream is not None else sys.stderr
    terminal = _is_terminal(stream)
    if asked is False or (asked is None and not terminal):
        return None
    return ProgressLine(name, live=terminal and live, after=SHOW_AFTER if asked is None else 0.0,
                        stream=stream)


def _columns(stream: TextIO) -> int:
    """The width of the terminal the line goes to (stderr's, which stdout redirected to a
    file does not have), as ``shutil`` reads it: ``COLUMNS`` first, 80 when unknown."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return shutil.get_terminal_size().columns


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stand-in stream
        return False
