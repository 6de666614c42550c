"""``lifecheck bench``: the explorer's figures, side by side with SPIN, in one run.

Each benchmark is a spec in a file under ``bench/`` (a ``SPECS`` list). A file may
also map spec names to a Promela model (``PROMELA = {name: ("file.pml", {"N": 10})}``);
then SPIN (Debian's ``spin`` and gcc) checks the same model in the same run, with
partial-order reduction off so that both tools count the same states. A file may name
the explorers to measure per spec (``ENGINES = {name: ("bfs", "vector")}``), the ones
affordable at its size; the engine ``lifecheck check`` uses unasked (``Options()``'s)
is measured beside them unless it is bfs and bfs is not among them. A spec's
``known_counts`` (states and transitions agreed by other tools: SPIN, TLC) must be matched
exactly by every tool, or the benchmark fails loudly. A file may instead name a folder of
specs (``SUITE = "../specs"``): the whole folder is then checked as a designer checks it,
the default engine against the reference (:mod:`lifecheck.cli.bench_suite`).

Two kinds of time, so that neither flatters: the exploration alone, in a fresh child
process (whose peak memory is then its own), and the whole process, ``lifecheck
check`` from start to verdict (interpreter, imports and compiling the model included)
against SPIN's ``./pan``. Runs alternate between the tools and each figure is the
median of ``--repeat`` (the lower middle one for an even number). SPIN's build
(``spin -a`` and gcc) is timed apart.

"Transitions" counts states generated, the initial state included, as SPIN and TLC
report them (for philosophers n=10: 714,869 = 714,868 successors + 1 initial state).
Figures are printed, never asserted: timings belong in benchmarks, not in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lifecheck.cli.bench_spin import SpinTwin
from lifecheck.cli.bench_suite import Suite, measure_suite, suite_of
from lifecheck.cli.bench_table import FIELDS, emit, results_markdown, row
from lifecheck.contract import ALWAYS, EVENTUALLY, ActionFailure, Options, TransitionSystem
from lifecheck.errors import ModelError, SpecError
from lifecheck.explore.engines import engine_for
from lifecheck.explore.exploration import deep_size
from lifecheck.explore.liveness import check_leads_to
from lifecheck.files import write_atomically
from lifecheck.modelling.loader import import_spec_file
from lifecheck.modelling.spec import Spec

__all__ = ["FIELDS", "Benchmark", "Suite", "load_bench", "load_benchmarks", "run_bench"]

DEFAULT = "default"
"""The engine name that stands for whatever ``lifecheck check`` uses with no ``--engine``."""


@dataclass
class Benchmark:
    spec: Spec
    file: Path  # the file it came from, which the whole-process runs check
    promela: tuple[Path, dict[str, Any]] | None = None
    engines: tuple[str, ...] = ()  # lifecheck's explorers affordable here (default: see plans)


@dataclass(frozen=True)
class Plan:
    """One lifecheck row: the engine that explores, and whether it is the unasked default
    (then the whole-process runs pass no engine flag at all)."""

    engine: str
    default: bool = False
    workers: int = 1  # more than 1: the default engine's team of this many forked workers
    exact: bool = False  # the default engine with --exact (rows compared, no collision chance)


def load_benchmarks(targets: Sequence[str]) -> list[Benchmark]:
    return load_bench(targets)[0]


def load_bench(targets: Sequence[str]) -> tuple[list[Benchmark], list[Suite]]:
    """The benchmarks (a file's ``SPECS``) and suites (its ``SUITE``, a folder of specs;
    not when a ``::NAME`` picks specs) the targets hold."""
    out: list[Benchmark] = []
    suites: list[Suite] = []
    for target in targets:
        path_text, _, name = target.partition("::")
        path = Path(path_text)
        if not path.exists():
            raise SpecError(f"no such benchmark file or folder: {path_text}")
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for file in files:
            if file.name.startswith("_"):
                continue
            module = import_spec_file(file)  # a benchmark file imports like a spec file
            suite = suite_of(module, file)
            if suite is not None and not name:
                suites.append(suite)
            promela = getattr(module, "PROMELA", {})
            engines = getattr(module, "ENGINES", {})
            for spec in getattr(module, "SPECS", []):
                if name and spec.name != name:
                    continue
                pml = promela.get(spec.name)
                out.append(Benchmark(spec, file.resolve(),
                                     (file.parent / pml[0], pml[1]) if pml else None,
                                     tuple(engines.get(spec.name, ()))))
    return out, suites


def add_parser(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="measure states per second and bytes per state")
    bench.add_argument("targets", nargs="*", default=["bench"], metavar="PATH[::NAME]")
    bench.add_argument("--json", action="store_true", help="print rows as JSON objects")
    bench.add_argument("--no-spin", action="store_true", help="do not run SPIN beside lifecheck")
    bench.add_argument("--baseline", action="store_true",
                       help="also run a naive full-state BFS on each benchmark")
    bench.add_argument("--engine", action="append", choices=(DEFAULT, "vector", "bfs"),
                       help="the explorer(s) to measure (repeat for several; default: those "
                            "the benchmark's file names, else vector where it can check the "
                            "benchmark and bfs elsewhere, and the engine `lifecheck check` "
                            "uses unasked where affordable)")
    bench.add_argument("--repeat", type=int, default=3, metavar="N",
                       help="runs of each measurement, alternating between the tools, whose median is "
                            "reported (default 3)")
    bench.add_argument("--results", metavar="FILE",
                       help="write the table, dated, to FILE (bench/RESULTS.md)")
    bench.set_defaults(run=lambda args: run_bench(
        args.targets, as_json=args.json, baseline=args.baseline, spin=not args.no_spin,
        results=args.results, engines=tuple(args.engine or ()), repeat=args.repeat))


def run_bench(targets: Sequence[str], *, as_json: bool = False, baseline: bool = False,
              spin: bool = True, results: str | None = None, engines: Sequence[str] = (),
              repeat: int = 3) -> int:
    """Measure every benchmark with the explorers ``engines`` names (by default as
    :func:`plans` chooses), each row's whole process ``repeat`` times."""
    if repeat < 1:
        raise SpecError(f"--repeat takes a number of runs, at least 1, got {repeat}")
    benchmarks, suites = load_bench(targets)
    if spin and any(b.promela for b in benchmarks) and not shutil.which("spin"):
        print("lifecheck bench: SPIN is not installed (apt-get install spin); skipping it",
              file=sys.stderr)
        spin = False
    rows: list[dict[str, Any]] = []
    ok = True
    for bench in benchmarks:
        group = _measure(bench, plans(bench, engines), spin and bench.promela is not None,
                         repeat)
        if baseline:
            group.append(_in_child(_measure_baseline, bench.spec))
        for r in group:
            rows.append(r)
            emit(r, as_json)
        ok = _counts_agree(bench.spec, group) and ok
    for suite in suites:
        group, agreed = measure_suite(suite, repeat)
        for r in group:
            rows.append(r)
            emit(r, as_json)
        ok = agreed and ok
    if results:
        write_atomically(results, results_markdown(rows, repeat))
    return 0 if ok else 1


def plans(bench: Benchmark, asked: Sequence[str] = ()) -> list[Plan]:
    """The lifecheck rows of a benchmark: the engines asked for on the command line, else
    those its file names (else vector where it can check the spec, bfs elsewhere), and
    the default engine beside them unless that is bfs and bfs was not named (bfs on a
    million states takes minutes: a file leaves it out where it cannot be afforded)."""
    spec = bench.spec
    default = _default_engine(spec)
    if asked:
        return [Plan(default, True) if e == DEFAULT else _plan(e) for e in dict.fromkeys(asked)]
    named = bench.engines or (_fallback_engine(spec),)
    out = [_plan(e) for e in named]
    if default != "bfs" or "bfs" in named:
        out.insert(0, Plan(default, True))
    return out


def _plan(name: str) -> Plan:
    """A row named in a benchmark's ``ENGINES``: an engine, ``"N workers"`` (the team
    ``lifecheck check --workers N`` uses unasked), or ``"exact"`` (``lifecheck check
    --exact``)."""
    if name == "exact":
        return Plan(name, exact=True)
    count, _, rest = name.partition(" ")
    if rest == "workers" and count.isdigit() and int(count) > 1:
        return Plan(name, workers=int(count))
    return Plan(name)


def _measure(bench: Benchmark, rows: list[Plan], with_spin: bool,
             repeat: int) -> list[dict[str, Any]]:
    """``repeat`` rounds; in each, every row's exploration in a fresh child and its whole
    ``lifecheck check`` process, each followed by a run of SPIN's verifier, so that a
    noisy spell on the shared machine hits both tools alike."""
    explored: list[list[dict[str, Any]]] = [[] for _ in rows]
    processes: list[list[float]] = [[] for _ in rows]
    theirs: list[dict[str, Any]] = []
    twin = SpinTwin(bench.spec.name, *bench.promela) if with_spin and bench.promela else None
    with twin or contextlib.nullcontext():
        for _ in range(repeat):
            for plan, runs, times in zip(rows, explored, processes, strict=True):
                runs.append(_in_child(_measure_lifecheck, bench.spec, plan))
                times.append(_time_check(bench, plan, runs[-1]))
                if twin is not None:
                    theirs.append(twin.run())
    group = [_summarise(runs, times) for runs, times in zip(explored, processes, strict=True)]
    if twin is None:
        return group
    spin = _spin_row(bench.spec.name, theirs, twin.compile_seconds)
    for ours in group:
        ours["ratio"] = _ratios(ours, spin)
    return [*group, spin]


def _counts_agree(spec: Spec, group: list[dict[str, Any]]) -> bool:
    ok = True
    for r in group:
        if spec.known_counts is not None and (r["distinct_states"], r["transitions"]) != tuple(
                spec.known_counts):
            ok = False
            print(f"MISMATCH on {spec.name}: {r['tool']} counted {r['distinct_states']:,} "
                  f"distinct states and {r['transitions']:,} transitions; other tools agree on "
                  f"{spec.known_counts[0]:,} and {spec.known_counts[1]:,} (known_counts)", file=sys.stderr)
    if len({(r["distinct_states"], r["transitions"]) for r in group}) > 1:
        ok = False
        print(f"MISMATCH on {spec.name}: the tools disagree on the number of distinct states "
              "or transitions", file=sys.stderr)
    return ok


def _ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    """Speed is states per second, ours over SPIN's (above 1: we explore faster); process
    is whole-process time, ours over SPIN's (above 1: we take longer)."""
    def over(a: float, b: float) -> float:
        return a / b if b else 0.0

    return {"speed": round(over(ours["states_per_second"], theirs["states_per_second"]), 4),
            "memory": round(over(ours["bytes_per_state"], theirs["bytes_per_state"]), 3),
            "process": round(over(ours["process_seconds"], theirs["process_seconds"]), 3)}


def _default_engine(spec: Spec) -> str:
    """The engine ``lifecheck check`` picks for this spec when asked for none."""
    return engine_for(spec.system(), _default_options(spec)).name


def _fallback_engine(spec: Spec) -> str:
    from lifecheck.explore.vector import refusal

    return "bfs" if refusal(spec.system(), _bench_options(spec, "vector")) else "vector"


def _default_options(spec: Spec) -> Options:
    """What ``lifecheck check`` uses unasked, bar the determinism checks (timed apart)."""
    return Options(bounds=spec.bounds, check_deadlock=spec.deadlock, determinism_checks=0,
                   measure_memory=True)


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
        got = parent.recv()
    except EOFError:
        got = {"error": f"the measuring process died (exit code {proc.exitcode})"}
    proc.join()
    if "error" in got:
        raise ModelError(f"benchmark {args[0].name}: {got['error']}")
    return got


def _child_main(fn: Any, args: tuple, conn: Any) -> None:
    """Measure in a fresh process (its peak memory is the benchmark's alone); a model
    error is sent back as words, for the parent to report as bad input."""
    try:
        got = fn(*args)
    except ModelError as exc:
        got = {"error": str(exc)}
    else:
        # (A team's forked workers have ended by now: the largest process of the run.)
        got["peak_rss_bytes"] = max(resource.getrusage(who).ru_maxrss for who in (
            resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) * 1024
    with contextlib.suppress(BrokenPipeError, OSError):  # (the command was killed meanwhile)
        conn.send(got)
    conn.close()


def _measure_lifecheck(spec: Spec, plan: Plan) -> dict[str, Any]:
    system = spec.system()
    if plan.workers > 1:
        options = replace(_default_options(spec), workers=plan.workers)
    elif plan.exact:
        options = replace(_default_options(spec), exact=True)
    else:
        options = _default_options(spec) if plan.default else _bench_options(spec, plan.engine)
    exp = engine_for(system, options).explore(system, options, spec)
    # A liveness benchmark is timed to its verdict: the fair-cycle search on the graph too.
    started = time.perf_counter()
    for p in system.properties:
        if p.is_liveness:
            check_leads_to(p.name, exp, p.kind == EVENTUALLY)
    seconds = exp.seconds + time.perf_counter() - started
    initial = len(system.init_states())
    out = row(spec.name, "lifecheck", exp.distinct_states, exp.transitions + initial, seconds,
              exp.stored_bytes)
    out["engine"] = plan.engine
    out["initial_states"] = initial
    if plan.default:
        out["default"] = True
    return out


def _time_check(bench: Benchmark, plan: Plan, ours: dict[str, Any]) -> float:
    """The wall time of ``lifecheck check`` on the benchmark, as a user would run it: the
    bare command for the default engine, ``--engine E --fingerprints`` for another (and
    ``--workers N``, ``--exact`` for those rows). Its
    counts must be the in-process run's."""
    command = [sys.executable, "-m", "lifecheck", "check", f"{bench.file}::{bench.spec.name}",
               "--json", "--no-progress"]
    if plan.workers > 1:
        command += ["--workers", str(plan.workers)]
    elif plan.exact:
        command += ["--exact"]
    elif not plan.default:
        command += ["--engine", plan.engine, "--fingerprints"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    name = bench.spec.name
    if done.returncode:
        raise ModelError(f"benchmark {name}: `lifecheck check` exited {done.returncode} on it "
                         f"({' '.join(command[3:])}):\n{(done.stdout + done.stderr)[-2000:]}")
    results = json.loads(done.stdout)
    if len(results) != 1:  # ``::NAME`` also selects the specs grouped under NAME/
        others = ", ".join(r["spec"] for r in results if r["spec"] != name)
        raise ModelError(f"benchmark {name}: `lifecheck check {command[4]}` checks {others} as "
                         f"well, grouped under its name, so its time would not be {name}'s "
                         "alone; rename the benchmark or those specs")
    result = results[0]
    got = (result["distinct_states"], result["transitions"] + ours["initial_states"])
    if got != (ours["distinct_states"], ours["transitions"]):
        raise ModelError(f"benchmark {name}: `lifecheck check` counted {got[0]:,} states and "
                         f"{got[1]:,} transitions, the in-process run {ours['distinct_states']:,} "
                         f"and {ours['transitions']:,}")
    return seconds


def _summarise(runs: list[dict[str, Any]], process_seconds: list[float]) -> dict[str, Any]:
    """A row from its runs: the run of median exploration time (its seconds and rate), the
    highest peak memory of any, the median whole-process time."""
    ours = dict(sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2])
    ours.pop("initial_states")
    ours["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in runs)
    ours["process_seconds"] = round(statistics.median_low(process_seconds), 3)
    return ours


def _spin_row(name: str, runs: list[dict[str, Any]], compile_seconds: float) -> dict[str, Any]:
    """SPIN's row from its runs: the median of its own time and of its process's."""
    counts = {(r["states"], r["transitions"]) for r in runs}
    if len(counts) > 1:
        raise SpecError(f"{name}: SPIN's runs counted different states: {sorted(counts)}")
    first = runs[0]
    out = row(name, "SPIN", first["states"], first["transitions"],
              statistics.median_low(r["seconds"] for r in runs), first["stored_bytes"])
    out["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in runs)
    out["process_seconds"] = round(statistics.median_low(r["process_seconds"] for r in runs), 3)
    out["build_seconds"] = round(compile_seconds, 3)
    return out


def _measure_baseline(spec: Spec) -> dict[str, Any]:
    system = spec.system()
    started = time.perf_counter()
    states, transitions = _full_state_bfs(system)
    seconds = time.perf_counter() - started
    stored = sys.getsizeof(states) + deep_size(states)
    return row(spec.name, "naive BFS", len(states), transitions, seconds, stored)


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
