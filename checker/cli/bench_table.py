"""The rows of ``lifecheck bench``: one line each as it runs, and the dated table it records.

Kept apart from the measuring so that what a column means is written down once, in
the header of the results file, next to the code that fills it.
"""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

FIELDS = ("model", "tool", "distinct_states", "transitions", "seconds", "states_per_second",
          "peak_rss_bytes", "bytes_per_state")
"""Every row has these; lifecheck's add ``engine`` (and ``default``), rows of a benchmark
with a whole-process timing ``process_seconds``, SPIN's ``build_seconds``, ours beside
SPIN's ``ratio``."""


def row(name: str, tool: str, states: int, transitions: int, seconds: float,
        stored: int) -> dict[str, Any]:
    return {
        "model": name, "tool": tool, "distinct_states": states, "transitions": transitions,
        "seconds": round(seconds, 3),
        "states_per_second": round(states / seconds, 1) if seconds else 0.0,
        "bytes_per_state": round(stored / states, 1) if states else 0.0,
    }


def tool_name(r: dict[str, Any]) -> str:
    """``lifecheck (vector)``, ``lifecheck (bfs, default)``, ``SPIN``."""
    if "engine" not in r:
        return r["tool"]
    return f"{r['tool']} ({r['engine']}{', default' if r.get('default') else ''})"


def emit(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        keys = (*FIELDS, "engine", "default", "process_seconds", "build_seconds", "ratio",
                "suite", "versus_bfs")
        print(json.dumps({k: r[k] for k in keys if k in r}))
    else:
        line = (f"{r['model']:<42} {tool_name(r):<28} {r['distinct_states']:>10,} states "
                f"{r['transitions']:>11,} transitions {r['seconds']:>8.2f} s "
                f"{r['states_per_second']:>10,.0f} states/s "
                + ("" if r.get("suite") else f"{r['bytes_per_state']:>8.1f} B/state ")
                + f"peak {r['peak_rss_bytes'] / 2**20:>7.1f} MiB")
        if "process_seconds" in r:
            line += f"   process {r['process_seconds']:.2f} s"
        if "build_seconds" in r:
            line += f" (build {r['build_seconds']:.2f} s)"
        if "ratio" in r:
            line += (f"   lifecheck/SPIN: process {r['ratio']['process']:.2f}x, "
                     f"states/s {r['ratio']['speed']:.3f}x")
        if "versus_bfs" in r:
            line += "   " + versus_bfs_text(r["versus_bfs"])
        print(line)
    sys.stdout.flush()


def versus_bfs_text(v: dict[str, Any]) -> str:
    """A suite's default engine against bfs, in words."""
    slower = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in v["slower"]) or "none"
    return (f"default/bfs: process {v['process']:.2f}x, searches {v['search']:.2f}x; "
            f"of {v['timed_specs']} specs timed, slower than bfs: {slower} "
            f"(slowest {v['slowest']['spec']} {v['slowest']['ratio']:.2f}x)")


def results_markdown(rows: list[dict[str, Any]], repeat: int) -> str:
    """The committed results file: the table, what each column means, the date measured."""
    today = datetime.date.today().isoformat()
    lines = ["# Benchmark results", "",
             f"Measured {today} on this project's 2-core machine with `lifecheck bench "
             f"--results bench/RESULTS.md`. The machine is shared and noisy: every time is "
             f"the median of {repeat} runs of each tool, taken in turn (lifecheck, SPIN, "
             "lifecheck, SPIN, ...); peak RSS is the highest of the runs.", "",
             "- Transitions count states generated, the initial state included (as SPIN and "
             "TLC count them); every row of a model must agree on states and transitions or "
             "the run fails.",
             "- seconds and states/s: exploration alone (lifecheck: in a forked child, the model "
             "already compiled, to the verdict, a liveness benchmark's fair-cycle search "
             "included; SPIN: the time `./pan` reports).",
             "- process s: the whole process from start to verdict, the median of its runs: "
             "`python -m lifecheck check FILE::NAME` (interpreter start, imports and compiling "
             "the model included; `--engine E --fingerprints` for an engine asked for, "
             "`--workers N` for N workers, `--exact` for exact, no flag at all for the "
             "default), and SPIN's "
             "`./pan`. build s: SPIN's `spin -a` and gcc, "
             "paid once per model, not in process s.",
             "- process lifecheck/SPIN: lifecheck's process time over SPIN's (above 1: "
             "lifecheck takes longer). states/s lifecheck/SPIN: exploration speed, ours over "
             "SPIN's (above 1: lifecheck explores faster).",
             "- bytes/state: what lifecheck keeps per distinct state (the seen-set of 64-bit "
             "fingerprints, or of states for the default engine's exact run, plus the 8 bytes "
             "per state from which counterexamples are replayed); SPIN's reported memory for "
             "states. A liveness benchmark (a name ending in leads-to) keeps the whole graph; "
             "N workers keep 20 bytes a state (a parent is a worker and an index), and their "
             "shares of a liveness benchmark's graph besides; an exact run also keeps each "
             "state's id beside its fingerprint and its row, a byte or so a field.",
             "- Engines: vector (levels in numpy, steps learned once), bfs (state by state), "
             "the one `lifecheck check` uses unasked, marked default, and N workers: the "
             "team `--workers N` uses (vector workers; peak RSS is its largest process), and "
             "exact: what `--exact` runs (the default engine, comparing rows wherever "
             "fingerprints agree, so that no collision can hide a state). "
             "bfs rows are kept to "
             "the smaller sizes: at its few thousand states a second, a million would take "
             "minutes a run.", "",
             "| model | tool | distinct states | transitions | seconds | states/s | "
             "bytes/state | peak RSS (MiB) | process s | build s | process lifecheck/SPIN | "
             "states/s lifecheck/SPIN |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    suites = [r for r in rows if "versus_bfs" in r]
    if suites:
        lines[-3:-3] = [
            "- Suites (a row named `FOLDER/ (N specs)`): every spec of a folder, checked "
            "as a designer checks them, `python -m lifecheck check FOLDER` with no flag "
            "(default) and with `--engine bfs`, whole processes in turn; states and "
            "transitions are their sums, seconds the sum of the specs' searches, bytes/state "
            "not measured. Below the table: the default over bfs, spec by spec from the "
            "median of each spec's searches; a spec counts as slower where that is above "
            "1.10 (the machine's spread between runs) and every run of the default took "
            "longer than every run of bfs, among the specs bfs searches for 0.05 s or more."]
    for r in rows:
        ratio = r.get("ratio") or {}
        over_process = f"{ratio['process']:.2f}" if ratio else ""
        over_speed = f"{ratio['speed']:.3f}" if ratio else ""
        process = f"{r['process_seconds']:.2f}" if "process_seconds" in r else ""
        build = f"{r['build_seconds']:.2f}" if "build_seconds" in r else ""
        lines.append(f"| {r['model']} | {tool_name(r)} | {r['distinct_states']:,} | "
                     f"{r['transitions']:,} | {r['seconds']:.2f} | {r['states_per_second']:,.0f} | "
                     f"{'' if r.get('suite') else format(r['bytes_per_state'], '.1f')} | "
                     f"{r['peak_rss_bytes'] / 2**20:.1f} | "
                     f"{process} | {build} | {over_process} | {over_speed} |")
    for r in suites:
        lines += ["", f"{r['model']}: {versus_bfs_text(r['versus_bfs'])}."]
    return "\n".join(lines) + "\n"
