"""``lifecheck bench``: figures for the explorer, measured side by side with a baseline.

Each benchmark is a spec (files under ``bench/`` with a ``SPECS`` list). It is run
twice in the same invocation, each in a fresh child process so that peak memory
is its own: once with lifecheck's explorer (with its property checks, parent
arrays and ids) and once with a naive BFS that keeps every state and a pointer to
its parent state in one dictionary. Both must find the same number of
distinct states; the ratios show what the design buys. Figures are printed, never
asserted: timings belong in benchmarks, not in tests.

"Transitions" here counts states generated, initial states included, as TLC and
SPIN report them (for philosophers n=10 that is 714,869: 714,868 successors plus the
one initial state), so a spec's ``known_counts`` can be compared exactly.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import resource
import sys
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from .contract import ALWAYS, ActionFailure, Options, TransitionSystem
from .explore import deep_size, explore
from .spec import Spec, load_specs

FIELDS = ("model", "tool", "distinct_states", "transitions", "seconds", "states_per_second",
          "peak_rss_bytes", "bytes_per_state")


def run_bench(targets: Sequence[str], *, as_json: bool = False, baseline: bool = True) -> int:
    specs: list[Spec] = []
    for target in targets:
        specs.extend(load_specs(target))
    rows: list[dict[str, Any]] = []
    ok = True
    for spec in specs:
        ours = _in_child(_measure_lifecheck, spec)
        rows.append(ours)
        _emit(ours, as_json)
        if spec.known_counts is not None:
            got = (ours["distinct_states"], ours["transitions"])
            if got != tuple(spec.known_counts):
                ok = False
                print(f"MISMATCH on {spec.name}: lifecheck counted {got[0]:,} distinct states and "
                      f"{got[1]:,} transitions; other tools agree on {spec.known_counts[0]:,} and "
                      f"{spec.known_counts[1]:,}", file=sys.stderr)
        if baseline:
            base = _in_child(_measure_baseline, spec)
            base["ratio"] = _ratios(ours, base)
            rows.append(base)
            _emit(base, as_json)
            if base["distinct_states"] != ours["distinct_states"]:
                ok = False
                print(f"MISMATCH on {spec.name}: lifecheck found {ours['distinct_states']} distinct "
                      f"states, the baseline {base['distinct_states']}", file=sys.stderr)
    return 0 if ok else 1


def _emit(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(row))
    else:
        line = (f"{row['model']:<36} {row['tool']:<10} {row['distinct_states']:>10,} states "
                f"{row['transitions']:>11,} transitions {row['seconds']:>8.2f} s "
                f"{row['states_per_second']:>10,.0f} states/s "
                f"{row['bytes_per_state']:>8.1f} B/state "
                f"peak {row['peak_rss_bytes'] / 2**20:>7.1f} MiB")
        if "ratio" in row:
            r = row["ratio"]
            line += (f"   lifecheck vs baseline: {r['speed']:.2f}x speed, "
                     f"{r['memory']:.2f}x bytes/state")
        print(line)
    sys.stdout.flush()


def _ratios(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, float]:
    speed = ours["states_per_second"] / base["states_per_second"] if base["states_per_second"] else 0
    memory = ours["bytes_per_state"] / base["bytes_per_state"] if base["bytes_per_state"] else 0
    return {"speed": round(speed, 3), "memory": round(memory, 3)}


def _in_child(fn: Any, spec: Spec) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(fn, spec, child))
    proc.start()
    child.close()
    row = parent.recv()
    proc.join()
    return row


def _child_main(fn: Any, spec: Spec, conn: Any) -> None:
    row = fn(spec)
    row["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    conn.send(row)
    conn.close()


def _row(spec: Spec, tool: str, states: int, transitions: int, seconds: float,
         stored: int) -> dict[str, Any]:
    return {
        "model": spec.name, "tool": tool, "distinct_states": states, "transitions": transitions,
        "seconds": round(seconds, 3),
        "states_per_second": round(states / seconds, 1) if seconds else 0.0,
        "bytes_per_state": round(stored / states, 1) if states else 0.0,
    }


def _measure_lifecheck(spec: Spec) -> dict[str, Any]:
    system = spec.system()
    options = Options(bounds=spec.bounds, check_deadlock=spec.deadlock, check_liveness=False,
                      determinism_checks=0, measure_memory=True)
    exp = explore(system, options)
    generated = exp.transitions + len(system.init_states())
    return _row(spec, "lifecheck", exp.distinct_states, generated, exp.seconds, exp.stored_bytes)


def _measure_baseline(spec: Spec) -> dict[str, Any]:
    system = spec.system()
    started = time.perf_counter()
    states, transitions = _full_state_bfs(system)
    seconds = time.perf_counter() - started
    stored = sys.getsizeof(states) + deep_size(states)
    return _row(spec, "baseline", len(states), transitions, seconds, stored)


def _full_state_bfs(system: TransitionSystem) -> tuple[dict[Any, Any], int]:
    """BFS that keeps every state and its parent: the naive design lifecheck improves on.

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
