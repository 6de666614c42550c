"""Long runs on the command line: the progress line, Ctrl-C and SIGTERM, bounds as flags.

A run of philosophers with 12 (1.1 million states) lasts far longer than any of these
tests lets it: each ends it with a bound, or with a signal once it shows it is
running (its first progress line), never by waiting a given time.
"""

from __future__ import annotations

import argparse
import fcntl
import io
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecheck.cli import main
from lifecheck.cli.check import _positive
from lifecheck.cli.interrupt import EXIT_INTERRUPTED, interrupted_notice
from lifecheck.cli.progress import ProgressLine, describe, progress_line
from lifecheck.contract import Progress
from lifecheck.render.text import render_result
from lifecheck.result import Expectation, Result, Stats
from tests.snapshot import assert_snapshot

ROOT = Path(__file__).resolve().parents[2]
# Runs on BIG that must last (a time bound, an interrupt) use --exact: the bfs explorer takes
# minutes over its million states, where the default engine can finish in seconds.
BIG = "philosophers/n=12"
SPECS = (
    "from lifecheck import Bounds, Spec, holds\n"
    "from lifecheck.models.classic.philosophers import Philosophers\n"
    "SPECS = [\n"
    f"    Spec({BIG!r}, Philosophers(n=12), holds(), properties=[]),\n"
    "    Spec('philosophers/n=3', Philosophers(n=3), holds()),\n"
    "    Spec('philosophers/n=6/bounded', Philosophers(n=6), holds(),\n"
    "         bounds=Bounds(max_depth=40, max_seconds=600)),\n"
    "]\n"
)
HINT_FLAGS = ("--max-states N", "--max-depth N", "--max-seconds S", "--max-memory-mb MB")


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "long.py"
    path.write_text(SPECS)
    return path


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "lifecheck", "check", *args]


# -- bounds from the command line --------------------------------------------------------
@pytest.mark.parametrize(("flag", "value", "reason"), [
    ("--max-states", "100", "state bound 100 reached"),
    ("--max-depth", "3", "depth bound 3 reached"),
    ("--max-seconds", "0.01", "time bound 0.01s reached"),
    ("--max-memory-mb", "1", "memory budget 1 MiB reached"),
])
def test_each_bound_flag_ends_the_run_incomplete_and_is_named(spec_file: Path, capsys, flag: str,
                                                              value: str, reason: str) -> None:
    code = main(["check", f"{spec_file}::{BIG}", "--json", flag, value])
    assert code == 1  # incomplete is not the holds expected: a verdict that differs
    (row,) = json.loads(capsys.readouterr().out)
    assert row["verdict"] == "incomplete"
    assert row["incomplete_reason"].startswith(reason)
    name = flag[2:].replace("-", "_")
    assert row["bounds"][name] == float(value)
    assert 0 < row["distinct_states"] < 1_118_878


def test_a_bound_flag_overrides_the_spec_bound_of_its_name_only(spec_file: Path, capsys) -> None:
    code = main(["check", f"{spec_file}::philosophers/n=6/bounded", "--json", "--max-depth", "5"])
    assert code == 1
    (row,) = json.loads(capsys.readouterr().out)
    assert row["bounds"] == {"max_depth": 5, "max_states": None, "max_seconds": 600,
                             "max_memory_mb": None}
    assert (row["verdict"], row["incomplete_reason"]) == ("incomplete", "depth bound 5 reached")


def test_bound_flags_apply_to_every_spec_checked(spec_file: Path, capsys) -> None:
    main(["check", str(spec_file), "--max-states", "50", "--no-timing"])
    out = capsys.readouterr().out
    assert out.count("bounds    states<=50\n") == 2
    assert "bounds    depth<=40, states<=50, seconds<=600\n" in out
    assert "philosophers/n=3: holds" in out  # 24 states: within the bound, a proof


@pytest.mark.parametrize("value", ["0", "-3", "many", "nan"])
@pytest.mark.parametrize("flag", ["--max-states", "--max-depth", "--max-seconds", "--max-memory-mb"])
def test_a_bound_flag_that_is_not_above_zero_is_a_clear_error(spec_file: Path, capsys, flag: str,
                                                               value: str) -> None:
    if value == "nan" and flag in ("--max-states", "--max-depth"):
        value = "1.5"  # not a whole number
    with pytest.raises(SystemExit) as exit_:
        main(["check", str(spec_file), flag, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}:" in err
    assert "must be above 0" in err or "not a number" in err or "not a whole number" in err


# -- the progress line ---------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _progress(states: int) -> Progress:
    return Progress(states=states, transitions=3 * states, frontier=40, depth=7, seconds=2.0,
                    rss_bytes=64 * 2**20)


def test_progress_is_shown_on_a_terminal_unless_refused_and_elsewhere_only_when_asked() -> None:
    assert progress_line("s", None, io.StringIO()) is None
    assert progress_line("s", False, _Terminal()) is None
    shown = [progress_line("s", None, _Terminal()), progress_line("s", True, _Terminal()),
             progress_line("s", True, io.StringIO())]
    assert [line is not None and line.live for line in shown] == [True, True, False]


def test_the_live_line_is_rewritten_in_place_and_wiped_at_the_end(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    term = _Terminal()
    line = ProgressLine("demo/spec", live=True, stream=term)
    line.show(_progress(123_456))
    line.show(_progress(7))
    first = "123,456 states, 61,728 states/s, frontier 40, depth 7, 64 MiB, 2 s  [demo/spec]"
    second = "7 states, 4 states/s, frontier 40, depth 7, 64 MiB, 2 s  [demo/spec]"
    assert term.getvalue() == "\r" + first + "\r" + second.ljust(len(first))
    line.end()
    assert term.getvalue().endswith("\r" + " " * len(second) + "\r")
    line.end()  # nothing shown: nothing to wipe
    assert term.getvalue().count("\r") == 4


def test_a_narrow_terminal_gets_the_figures_first_and_a_line_that_does_not_wrap(monkeypatch
                                                                                ) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    term = _Terminal()
    line = ProgressLine("demo/spec", live=True, stream=term)
    line.show(_progress(123_456))
    assert term.getvalue() == "\r123,456 states, 61,728 states/s, fronti"  # 39 columns
    line.end()
    assert term.getvalue().endswith("\r" + " " * 39 + "\r")


def _screen(written: str) -> str:
    """What one terminal row shows after ``written`` ("\\r" back to column 0, else overwrite)."""
    row: list[str] = []
    column = 0
    for ch in written:
        if ch == "\r":
            column = 0
            continue
        row[column:column + 1] = [ch]
        column += 1
    return "".join(row)


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**7), st.integers(0, 500)),
                min_size=1, max_size=6),
       st.integers(10, 300))
def test_the_row_shows_the_last_report_alone_and_is_blank_after_the_end(reports, columns) -> None:
    term = _Terminal()
    with mock.patch.dict(os.environ, {"COLUMNS": str(columns)}):
        line = ProgressLine("some/spec", live=True, stream=term)
        for states, frontier, depth in reports:
            line.show(Progress(states, 0, frontier, depth, 1.5, 2**30))
        shown = _screen(term.getvalue()).rstrip()
        assert len(shown) < columns, "a row that wraps cannot be rewritten"
        states, frontier, depth = reports[-1]
        last = Progress(states, 0, frontier, depth, 1.5, 2**30)
        assert f"{describe(last)}  [some/spec]".startswith(shown) and shown
        line.end()
    assert _screen(term.getvalue()).strip() == ""


@given(st.integers(-10**6, 10**6))
def test_a_whole_number_bound_is_taken_exactly_when_it_is_above_zero(n: int) -> None:
    parse = _positive(int)
    if n > 0:
        assert parse(str(n)) == n
    else:
        with pytest.raises(argparse.ArgumentTypeError, match="must be above 0"):
            parse(str(n))


def test_a_log_gets_a_line_per_report() -> None:
    log = io.StringIO()
    line = ProgressLine("demo/spec", live=False, stream=log)
    line.show(_progress(10))
    line.end()
    assert log.getvalue() == ("demo/spec: 10 states, 5 states/s, frontier 40, depth 7, 64 MiB, "
                              "2 s\n")


def test_a_short_run_shows_nothing_unasked() -> None:
    term = _Terminal()
    line = progress_line("s", None, term)
    assert line is not None
    line.show(_progress(1))  # a report in the run's first second
    assert term.getvalue() == ""


def _run_on_a_terminal(command: list[str]) -> tuple[int, str]:
    """Run ``command`` with a pseudo-terminal as its stdin, stdout and stderr."""
    main_fd, child_fd = pty.openpty()
    # 24 rows of 160 columns: room for the whole line (a narrower terminal gets it cut)
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}  # the size is the pty's
    proc = subprocess.Popen(command, stdin=child_fd, stdout=child_fd, stderr=child_fd, cwd=ROOT,
                            env=env)
    os.close(child_fd)
    chunks = []
    while True:
        ready, _, _ = select.select([main_fd], [], [], 300)
        assert ready, "the run on the terminal went silent"
        try:
            data = os.read(main_fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main_fd)
    return proc.wait(timeout=60), b"".join(chunks).decode()


def test_a_terminal_shows_a_long_run_its_progress(spec_file: Path) -> None:
    """A time bound of 4 s makes the run last past the 2 s after which a terminal shows it."""
    code, out = _run_on_a_terminal(_command(f"{spec_file}::{BIG}", "--exact", "--max-seconds", "4",
                                            "--no-timing"))
    assert code == 1
    live = [part for part in out.split("\r") if f"[{BIG}]" in part]
    assert live and all("states/s, frontier" in part and " MiB" in part for part in live)
    report = out.index(f"{BIG}: incomplete")
    assert out.rindex(f"[{BIG}]") < report, "the line is gone before the report"
    assert "\r" + " " * len(live[-1].rstrip()) in out[:report], "and wiped"


def test_no_progress_on_a_terminal_when_refused(spec_file: Path) -> None:
    code, out = _run_on_a_terminal(_command(f"{spec_file}::{BIG}", "--exact", "--max-seconds", "4",
                                            "--no-progress", "--no-timing"))
    assert code == 1 and "states/s" not in out and f"{BIG}: incomplete" in out


def test_a_long_run_into_a_pipe_shows_no_progress(spec_file: Path) -> None:
    done = subprocess.run(_command(f"{spec_file}::{BIG}", "--exact", "--max-seconds", "4", "--no-timing"),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr == ""
    assert "incomplete: time bound 4s reached" in done.stdout


# -- Ctrl-C and SIGTERM ----------------------------------------------------------------------
def _interrupt_when_running(command: list[str], how: int = signal.SIGINT
                            ) -> tuple[int, str, str, list[str]]:
    """Start ``command`` with ``--progress``, wait for its first progress line (it is
    exploring then), send ``how`` to its process group (as a terminal's Ctrl-C does),
    and return its exit status, stdout, and the stderr after the progress lines."""
    proc = subprocess.Popen([*command, "--progress"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    first = proc.stderr.readline()  # type: ignore[union-attr]
    assert "states/s" in first, first + proc.stderr.read()  # type: ignore[union-attr]
    os.killpg(proc.pid, how)
    out, err = proc.communicate(timeout=300)
    rest = [line for line in err.splitlines() if "states/s" not in line]
    return proc.returncode, out, err, rest


ENGINES = {"bfs": ("--exact",), "vector": ("--engine", "vector"), "two-workers": ("--workers", "2")}


@pytest.mark.parametrize("engine", list(ENGINES))
def test_ctrl_c_ends_the_spec_incomplete_with_its_figures_and_a_hint(spec_file: Path,
                                                                     engine: str) -> None:
    code, out, err, notice = _interrupt_when_running(_command(str(spec_file), *ENGINES[engine]))
    assert code == EXIT_INTERRUPTED == 130
    assert f"{BIG}: incomplete  [expected holds: UNEXPECTED]" in out
    assert "incomplete: interrupted by Ctrl-C (SIGINT); this is not a proof" in out
    # (a fingerprinted run's collision chance is a line of its figures, between the two)
    assert re.search(r"\n  states    [\d,]+ distinct, [\d,]+ transitions, depth \d+, "
                     r"[\d.]+ s \([\d,]+ states/s\)\n(  fingerprint 64-bit: .*\n)?"
                     r"  incomplete: interrupted", out)
    assert "philosophers/n=3" not in out, "the specs after it are not run"
    assert "Traceback" not in err
    assert notice[0].startswith(f"lifecheck: interrupted while checking {BIG}: incomplete after ")
    assert " states, depth " in notice[0] and notice[0].endswith(" s")
    assert notice[1] == "lifecheck: 2 specs not checked"
    assert notice[2].startswith("lifecheck: hint:")
    assert all(flag in "\n".join(notice) for flag in HINT_FLAGS)


def test_ctrl_c_leaves_the_incomplete_result_in_the_json(spec_file: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "results.json"
    code, out, _, notice = _interrupt_when_running(
        _command(str(spec_file), "--exact", "--json", "--out", str(out_file),
                 "--table", str(tmp_path / "t.md")))
    assert code == 130
    (row,) = json.loads(out)
    assert json.loads(out_file.read_text()) == [row]
    assert (row["spec"], row["verdict"], row["matches"]) == (BIG, "incomplete", False)
    assert row["incomplete_reason"] == "interrupted by Ctrl-C (SIGINT)"
    assert row["distinct_states"] > 0 and row["depth"] > 0 and row["seconds"] > 0
    assert not (tmp_path / "t.md").exists(), "a table of half a run is not written"
    assert "lifecheck: --table not written: it holds the verdicts of a whole run" in notice


def test_sigterm_stops_like_ctrl_c_and_keeps_the_checkpoint(spec_file: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    code, out, _, notice = _interrupt_when_running(
        _command(f"{spec_file}::{BIG}", "--exact", "--checkpoint", str(ckpt), "--checkpoint-every", "0",
                 "--no-timing"), signal.SIGTERM)
    assert code == 130
    assert "incomplete: interrupted by SIGTERM; this is not a proof" in out
    assert notice[0].startswith(f"lifecheck: interrupted while checking {BIG}")
    assert not notice[0].endswith(" s"), "--no-timing leaves the seconds out here too"
    assert "lifecheck: the same command resumes from the last checkpoint" in notice
    assert (ckpt / "philosophers_n=12.ckpt").exists()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _stat(int(entry))[1:2] == [str(pid)]:
            found.append(int(entry))
    return found


def _stat(pid: int) -> list[str]:
    """State and parent of ``pid`` from /proc, [] when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[:2]
    except OSError:
        return []


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("how", [("--workers", "2"), ("-j", "2")], ids=["workers", "jobs"])
def test_processes_forked_by_a_killed_command_end(spec_file: Path, how: tuple[str, str]) -> None:
    """Regression: after a kill -9 of `lifecheck check --workers 2`, its workers waited
    for orders forever, each holding its own pipe's other end open."""
    proc = subprocess.Popen([*_command(str(spec_file), "--exact", *how, "--progress")], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()  # type: ignore[union-attr]
    assert "states/s" in first, first + proc.stderr.read()  # type: ignore[union-attr]
    forked = _children(proc.pid)
    assert len(forked) >= 2, forked
    proc.kill()
    proc.wait(timeout=60)  # (not communicate: the children hold its output pipes open)
    deadline = time.monotonic() + 30
    while (left := [p for p in forked if _stat(p)[:1] not in ([], ["Z"])]) and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    for p in left:  # (not to leave them behind when the test fails)
        os.kill(p, signal.SIGKILL)
    proc.stdout.close()  # type: ignore[union-attr]
    rest = proc.stderr.read()  # type: ignore[union-attr]  (what the children wrote as they ended)
    proc.stderr.close()  # type: ignore[union-attr]
    assert not left, "forked processes outlived the command"
    assert "Traceback" not in rest, rest


def test_the_interrupted_text() -> None:
    result = Result(BIG, "Philosophers(n=12)", "incomplete", expected=Expectation("holds"),
                    faults="none", stats=Stats(21_917, 91_529, 6, 4.16, 0),
                    incomplete_reason="interrupted by Ctrl-C (SIGINT)")
    text = (render_result(result) + "\n\n"
            + interrupted_notice([result], 2, checkpoint=True, table_skipped=True) + "\n\n"
            + interrupted_notice([], 1, timing=False) + "\n")
    assert_snapshot("render_interrupted.txt", text)
