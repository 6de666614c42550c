"""``lifecheck bench``: the explorer's figures, side by side with SPIN, in one run.

Each benchmark is a spec in a file under ``bench/`` (a ``SPECS`` list). A file may
also map spec names to a Promela model (``PROMELA = {name: ("file.pml", {"N": 10})}``);
then SPIN (Debian's ``spin`` and gcc) checks the same model in the same run, with
partial-order reduction off so that both tools count the same states. Every run
happens in a fresh child process so that peak memory is its own; a file may name
the explorers to measure per spec (``ENGINES = {name: ("bfs", "vector")}``). A spec's
``known_counts`` (states and transitions agreed by SPIN and TLC) must be matched
exactly by every tool, or the benchmark fails loudly.

"Transitions" counts states generated, the initial state included, as SPIN and TLC
report them (for philosophers n=10: 714,869 = 714,868 successors + 1 initial state).
Figures are printed, never asserted: timings belong in benchmarks, not in tests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing as mp
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecheck.contract import ALWAYS, EVENTUALLY, ActionFailure, Options, TransitionSystem
from lifecheck.errors import ModelError, SpecError
from lifecheck.explore.bfs import explore
from lifecheck.explore.exploration import deep_size
from lifecheck.explore.liveness import check_leads_to
from lifecheck.files import write_atomically
from lifecheck.modelling.loader import import_spec_file
from lifecheck.modelling.spec import Spec

FIELDS = ("model", "tool", "distinct_states", "transitions", "seconds", "states_per_second",
          "peak_rss_bytes", "bytes_per_state")


@dataclass
class Benchmark:
    spec: Spec
    promela: tuple[Path, dict[str, Any]] | None = None
    engines: tuple[str, ...] = ()  # lifecheck's explorers to measure (default: see run_bench)


def load_benchmarks(targets: Sequence[str]) -> list[Benchmark]:
    out: list[Benchmark] = []
    for target in targets:
        path_text, _, name = target.partition("::")
        path = Path(path_text)
        if not path.exists():
            raise SpecError(f"no such benchmark file or folder: {path_text}")
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for file in files:
            if file.name.startswith("_"):
                continue
            module = _import(file)
            promela = getattr(module, "PROMELA", {})
            engines = getattr(module, "ENGINES", {})
            for spec in getattr(module, "SPECS", []):
                if name and spec.name != name:
                    continue
                pml = promela.get(spec.name)
                out.append(Benchmark(spec, (file.parent / pml[0], pml[1]) if pml else None,
                                     tuple(engines.get(spec.name, ()))))
    return out


def _import(file: Path) -> Any:
    """A benchmark file imports like a spec file (see :mod:`lifecheck.modelling.loader`)."""
    return import_spec_file(file)


def add_parser(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="measure states per second and bytes per state")
    bench.add_argument("targets", nargs="*", default=["bench"], metavar="PATH[::NAME]")
    bench.add_argument("--json", action="store_true", help="print rows as JSON objects")
    bench.add_argument("--no-spin", action="store_true", help="do not run SPIN beside lifecheck")
    bench.add_argument("--baseline", action="store_true",
                       help="also run a naive full-state BFS on each benchmark")
    bench.add_argument("--engine", action="append", choices=("vector", "bfs"),
                       help="the explorer(s) to measure (repeat for both; default: vector where "
                            "it can check the benchmark, bfs elsewhere)")
    bench.add_argument("--results", metavar="FILE",
                       help="write the table, dated, to FILE (bench/RESULTS.md)")
    bench.set_defaults(run=lambda args: run_bench(
        args.targets, as_json=args.json, baseline=args.baseline, spin=not args.no_spin,
        results=args.results, engines=tuple(args.engine or ())))


def run_bench(targets: Sequence[str], *, as_json: bool = False, baseline: bool = False,
              spin: bool = True, results: str | None = None, engines: Sequence[str] = ()) -> int:
    """Measure every benchmark; ``engines`` are the explorers to run (by default those
    its file names in ``ENGINES``, else the vector explorer where it can check the
    spec and the bfs explorer elsewhere)."""
    benchmarks = load_benchmarks(targets)
    if spin and any(b.promela for b in benchmarks) and not shutil.which("spin"):
        print("lifecheck bench: SPIN is not installed (apt-get install spin); skipping it",
              file=sys.stderr)
        spin = False
    rows: list[dict[str, Any]] = []
    ok = True
    for bench in benchmarks:
        spec = bench.spec
        group = [_in_child(_measure_lifecheck, spec, engine)
                 for engine in (engines or bench.engines or (_default_engine(spec),))]
        if spin and bench.promela is not None:
            theirs = _run_spin(spec.name, *bench.promela)
            for ours in group:
                ours["ratio"] = _ratios(ours, theirs)
            group.append(theirs)
        if baseline:
            base = _in_child(_measure_baseline, spec)
            group.append(base)
        for row in group:
            rows.append(row)
            _emit(row, as_json)
            if spec.known_counts is not None:
                got = (row["distinct_states"], row["transitions"])
                if got != tuple(spec.known_counts):
                    ok = False
                    print(f"MISMATCH on {spec.name}: {row['tool']} counted {got[0]:,} distinct "
                          f"states and {got[1]:,} transitions; SPIN and TLC agree on "
                          f"{spec.known_counts[0]:,} and {spec.known_counts[1]:,}", file=sys.stderr)
        if len({r["distinct_states"] for r in group}) > 1:
            ok = False
            print(f"MISMATCH on {spec.name}: the tools disagree on the number of distinct states",
                  file=sys.stderr)
    if results:
        write_atomically(results, results_markdown(rows))
    return 0 if ok else 1


def _emit(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({k: row[k] for k in (*FIELDS, "engine", "ratio") if k in row}))
    else:
        tool = f"{row['tool']} {row.get('engine', '')}".strip()
        line = (f"{row['model']:<34} {tool:<16} {row['distinct_states']:>10,} states "
                f"{row['transitions']:>11,} transitions {row['seconds']:>8.2f} s "
                f"{row['states_per_second']:>10,.0f} states/s "
                f"{row['bytes_per_state']:>8.1f} B/state "
                f"peak {row['peak_rss_bytes'] / 2**20:>7.1f} MiB")
        if "ratio" in row:
            line += f"   lifecheck/SPIN {row['ratio']['speed']:.3f}x states/s"
        print(line)
    sys.stdout.flush()


def results_markdown(rows: list[dict[str, Any]]) -> str:
    """The committed results file: the table and the date it was measured."""
    today = datetime.date.today().isoformat()
    lines = ["# Benchmark results", "",
             f"Measured {today} on this project's 2-core machine with `lifecheck bench "
             "--results bench/RESULTS.md`. Transitions count states generated, the initial "
             "state included (as SPIN and TLC count them). lifecheck's bytes/state are what it "
             "keeps per distinct state: the seen-set of 64-bit fingerprints plus the 8 bytes per "
             "state (parent and step index) from which counterexamples are replayed; SPIN's "
             "are its reported memory for states. The engine is lifecheck's explorer: vector "
             "(levels in numpy, steps learned once) or bfs (state by state). A liveness "
             "benchmark (a name ending in leads-to) keeps the whole graph, every step between "
             "states, and is timed to its verdict, the fair-cycle search included; bfs keeps "
             "exact states there.", "",
             "| model | tool | distinct states | transitions | seconds | states/s | "
             "bytes/state | peak RSS (MiB) | lifecheck/SPIN |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        ratio = f"{r['ratio']['speed']:.3f}" if "ratio" in r else ""
        tool = f"{r['tool']} ({r['engine']})" if "engine" in r else r["tool"]
        lines.append(f"| {r['model']} | {tool} | {r['distinct_states']:,} | "
                     f"{r['transitions']:,} | {r['seconds']:.2f} | {r['states_per_second']:,.0f} | "
                     f"{r['bytes_per_state']:.1f} | {r['peak_rss_bytes'] / 2**20:.1f} | {ratio} |")
    return "\n".join(lines) + "\n"


def _ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    speed = ours["states_per_second"] / theirs["states_per_second"] if theirs["states_per_second"] else 0
    memory = ours["bytes_per_state"] / theirs["bytes_per_state"] if theirs["bytes_per_state"] else 0
    return {"speed": round(speed, 4), "memory": round(memory, 3)}


def _default_engine(spec: Spec) -> str:
    from lifecheck.explore.vector import refusal

    return "bfs" if refusal(spec.system(), _bench_options(spec, "vector")) else "vector"


def _bench_options(spec: Spec, engine: str) -> Options:
    # Liveness is checked where the benchmark's properties ask for it (bench/live_*.py).
    return Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                   determinism_checks=0, measure_memory=True, fingerprints=True, engine=engine)


def _in_child(fn: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(fn, args, child))
    proc.start()
    child.close()
    try:
        row = parent.recv()
    except EOFError:
        row = {"error": f"the measuring process died (exit code {proc.exitcode})"}
    proc.join()
    if "error" in row:
        raise ModelError(f"benchmark {args[0].name}: {row['error']}")
    return row


def _child_main(fn: Any, args: tuple, conn: Any) -> None:
    """Measure in a fresh process (its peak memory is the benchmark's alone); a model
    error is sent back as words, for the parent to report as bad input."""
    try:
        row = fn(*args)
    except ModelError as exc:
        conn.send({"error": str(exc)})
    else:
        row["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        conn.send(row)
    conn.close()


def _row(name: str, tool: str, states: int, transitions: int, seconds: float,
         stored: int) -> dict[str, Any]:
    return {
        "model": name, "tool": tool, "distinct_states": states, "transitions": transitions,
        "seconds": round(seconds, 3),
        "states_per_second": round(states / seconds, 1) if seconds else 0.0,
        "bytes_per_state": round(stored / states, 1) if states else 0.0,
    }


def _measure_lifecheck(spec: Spec, engine: str) -> dict[str, Any]:
    from lifecheck.explore.vector import explore_vector

    system = spec.system()
    options = _bench_options(spec, engine)
    exp = explore_vector(system, options) if engine == "vector" else explore(system, options)
    # A liveness benchmark is timed to its verdict: the fair-cycle search on the graph too.
    started = time.perf_counter()
    for p in system.properties:
        if p.is_liveness:
            check_leads_to(p.name, exp, p.kind == EVENTUALLY)
    seconds = exp.seconds + time.perf_counter() - started
    generated = exp.transitions + len(system.init_states())
    row = _row(spec.name, "lifecheck", exp.distinct_states, generated, seconds,
               exp.stored_bytes)
    row["engine"] = engine
    return row


def _measure_baseline(spec: Spec) -> dict[str, Any]:
    system = spec.system()
    started = time.perf_counter()
    states, transitions = _full_state_bfs(system)
    seconds = time.perf_counter() - started
    stored = sys.getsizeof(states) + deep_size(states)
    return _row(spec.name, "naive BFS", len(states), transitions, seconds, stored)


def _full_state_bfs(system: TransitionSystem) -> tuple[dict[Any, Any], int]:
    """BFS that keeps every state and its parent: the naive design, for comparison.

    It checks the same invariants, so the speed ratio compares like with like.
    """
    invariants = [p.check for p in system.properties if p.kind == ALWAYS]
    parents: dict[Any, Any] = {}
    queue: deque[Any] = deque()
    transitions = 0
    for s in system.init_states():
        transitions += 1
        if s not in parents:
            parents[s] = None
            queue.append(s)
    while queue:
        state = queue.popleft()
        for check in invariants:
            check(state)
        for _, out in system.successors(state):
            transitions += 1
            if not isinstance(out, ActionFailure) and out not in parents:
                parents[out] = state
                queue.append(out)
    return parents, transitions


_SPIN_FIGURES = {
    "states": re.compile(r"^\s*(\d+) states, stored", re.M),
    "transitions": re.compile(r"^\s*(\d+) transitions", re.M),
    "seconds": re.compile(r"elapsed time ([\d.e+-]+) seconds"),
    "memory": re.compile(r"^\s*([\d.]+)\s+actual memory usage for states", re.M),
    "errors": re.compile(r"errors: (\d+)"),
}


def _run_spin(name: str, pml: Path, defines: dict[str, Any]) -> dict[str, Any]:
    """Generate, compile and run SPIN's verifier; exhaustive, no partial-order reduction."""
    flags = [f"-D{k}={v}" for k, v in defines.items()]
    with tempfile.TemporaryDirectory(prefix="lifecheck-spin-") as work:
        shutil.copy(pml, work)
        subprocess.run(["spin", "-a", *flags, pml.name], cwd=work, check=True,
                       capture_output=True)
        subprocess.run(["gcc", "-O2", "-DNOREDUCE", "-DSAFETY", "-DMEMLIM=16000", "-o", "pan",
                        "pan.c"], cwd=work, check=True, capture_output=True)
        proc = subprocess.Popen(["./pan", "-m3000000", "-w24"], cwd=work, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    found = {k: rx.search(output) for k, rx in _SPIN_FIGURES.items()}
    if not (found["states"] and found["transitions"] and found["seconds"]):
        raise SpecError(f"{name}: could not read SPIN's figures from its output:\n{output[-2000:]}")
    if found["errors"] and int(found["errors"].group(1)):
        raise SpecError(f"{name}: SPIN reported errors on the benchmark model:\n{output[-2000:]}")
    states = int(found["states"].group(1))
    seconds = max(float(found["seconds"].group(1)), 1e-3)
    stored = float(found["memory"].group(1)) * 2**20 if found["memory"] else 0.0
    row = _row(name, "SPIN", states, int(found["transitions"].group(1)), seconds, int(stored))
    row["peak_rss_bytes"] = usage.ru_maxrss * 1024
    return row
