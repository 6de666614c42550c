"""A suite benchmark: a folder of specs checked as a designer checks it, default against bfs.

What a designer runs most is ``lifecheck check specs`` with no flags: many specs of a few
hundred to a few thousand states each, where fixed costs and the modelling layer weigh
more than the search. The question a suite benchmark answers is whether the engine
``lifecheck check`` uses unasked beats the reference (``--engine bfs``) there, in total
and spec by spec. A bench file names its folder (``SUITE = "../specs"``, relative to
the file); both commands run as whole processes, in turn (each first in every other
round), ``repeat`` times each, and must agree on every spec's verdict and counts, or the
benchmark fails loudly.

Spec by spec, the time compared is what each spec's result reports (its search, to
the verdict), the median of its runs; a spec is counted as slower only where its
default median exceeds its bfs median by more than :data:`NOISE`, every default run
took longer than every bfs run (medians of a few runs of a tenth of a second drift
further apart than that on this shared machine, even where both commands run the
very same explorer: 10 of 34 specs were once listed as slower so), and it is at least
:data:`TIMED` seconds long in bfs (shorter ones are as much timer as search).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecheck.cli.bench_table import row
from lifecheck.contract import Options
from lifecheck.errors import SpecError
from lifecheck.modelling.spec import load_specs

NOISE = 0.10
"""How much longer than bfs a spec's median may be and still count as not slower: the
shared machine's spread between runs of the same command."""

TIMED = 0.05
"""Seconds (bfs's median) below which a spec is left out of the spec-by-spec comparison."""

TOOLS = (("default", []), ("bfs", ["--engine", "bfs"]))
"""The two commands: the default (no engine flag) and the reference."""


def _engine(tool: str) -> str:
    return Options().engine if tool == "default" else tool


@dataclass
class Suite:
    name: str  # how the rows name it: the folder's own name and a slash ("specs/")
    folder: Path
    file: Path  # the bench file that names it


def suite_of(module: Any, file: Path) -> Suite | None:
    """The suite a bench file names (its ``SUITE``), if any."""
    given = getattr(module, "SUITE", None)
    if given is None:
        return None
    folder = (file.parent / given).resolve()
    if not folder.is_dir():
        raise SpecError(f"{file}: SUITE names {given!r}, which is not a folder of specs")
    return Suite(f"{folder.name}/", folder, file.resolve())


def measure_suite(suite: Suite, repeat: int) -> tuple[list[dict[str, Any]], bool]:
    """Both tools' rows (the default's with ``versus_bfs``), and whether they agreed."""
    runs: dict[str, list[dict[str, Any]]] = {tool: [] for tool, _ in TOOLS}
    for round_ in range(repeat):
        # In turn, and first in every other round: the first run of a pair was seen to
        # come out a few percent slower, whichever tool it was.
        for tool, flags in TOOLS if round_ % 2 == 0 else reversed(TOOLS):
            runs[tool].append(_check_folder(suite, flags))
    ok = _agree(suite, runs)
    initial = {s.name: len(s.system().init_states()) for s in load_specs(str(suite.folder))}
    rows = [_row(suite, tool, runs[tool], initial) for tool, _ in TOOLS]
    rows[0]["versus_bfs"] = _versus(rows[0], rows[1], runs)
    return rows, ok


def _check_folder(suite: Suite, flags: list[str]) -> dict[str, Any]:
    """One whole ``lifecheck check FOLDER`` process: its wall time, its peak memory and
    every spec's result."""
    command = [sys.executable, "-m", "lifecheck", "check", str(suite.folder), "--json",
               "--no-progress", *flags]
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # (its own peak memory, not its siblings')
        seconds = time.perf_counter() - started
        proc.stdout.close()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        if code not in (0, 1):
            raise SpecError(f"suite {suite.name}: `lifecheck check {suite.folder} "
                            f"{' '.join(flags)}` exited {code}:\n{(out + err.read())[-2000:]}")
    results = json.loads(out)
    return {"seconds": seconds, "peak_rss_bytes": usage.ru_maxrss * 1024,
            "specs": {r["spec"]: r for r in results}}


def _agree(suite: Suite, runs: dict[str, list[dict[str, Any]]]) -> bool:
    """Every run of either tool gave every spec the same verdict, states and transitions."""
    def counts(run: dict[str, Any]) -> dict[str, tuple]:
        return {name: (r["verdict"], r["distinct_states"], r["transitions"])
                for name, r in run["specs"].items()}

    first = counts(runs["bfs"][0])
    ok = True
    for tool, tool_runs in runs.items():
        for run in tool_runs:
            got = counts(run)
            for name in sorted(set(first) | set(got)):
                if got.get(name) != first.get(name):
                    ok = False
                    print(f"MISMATCH on {suite.name}: {name}: lifecheck ({_engine(tool)}) gave "
                          f"{got.get(name)}, bfs {first.get(name)} (verdict, distinct states, "
                          "transitions)", file=sys.stderr)
    return ok


def _row(suite: Suite, tool: str, runs: list[dict[str, Any]],
         initial: dict[str, int]) -> dict[str, Any]:
    specs = runs[0]["specs"]
    states = sum(r["distinct_states"] for r in specs.values())
    transitions = sum(r["transitions"] + initial.get(name, 0) for name, r in specs.items())
    searched = statistics.median_low(sum(r["seconds"] for r in run["specs"].values())
                                     for run in runs)
    out = row(f"{suite.name} ({len(specs)} specs)", "lifecheck", states, transitions, searched, 0)
    out["engine"], out["suite"] = _engine(tool), True
    if tool == "default":
        out["default"] = True
    out["peak_rss_bytes"] = max(run["peak_rss_bytes"] for run in runs)
    out["process_seconds"] = round(statistics.median_low(run["seconds"] for run in runs), 3)
    return out


def _versus(ours: dict[str, Any], bfs: dict[str, Any],
            runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The default over bfs: whole process, searches in total, and spec by spec."""
    def times(engine: str, name: str) -> list[float]:
        return [run["specs"][name]["seconds"] for run in runs[engine]]

    timed, apart = [], set()
    for name in runs["bfs"][0]["specs"]:
        default, reference = times("default", name), times("bfs", name)
        if statistics.median_low(reference) >= TIMED:
            timed.append((statistics.median_low(default) / statistics.median_low(reference), name))
            if min(default) > max(reference):
                apart.add(name)
    timed.sort(reverse=True)
    slower = [(name, round(ratio, 2)) for ratio, name in timed
              if ratio > 1 + NOISE and name in apart]
    worst = timed[0] if timed else (0.0, "")
    return {"process": round(ours["process_seconds"] / bfs["process_seconds"], 3),
            "search": round(ours["seconds"] / bfs["seconds"], 3) if bfs["seconds"] else 0.0,
            "timed_specs": len(timed), "slower": slower,
            "slowest": {"spec": worst[1], "ratio": round(worst[0], 2)}}
