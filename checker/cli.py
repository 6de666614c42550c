"""The ``lifecheck`` command: check specs, list them, benchmark the explorer.

Exit status: 0 when every verdict is the expected one; 1 when a verdict differs
from the expected one (the design is wrong, or the expectation); 2 when a spec
cannot be checked: no such path, a spec file that does not load, a malformed
spec, or a modelling error found while exploring (a value that cannot be stored,
an undeclared field, non-determinism, a property that raises or returns no bool,
a symmetry that does not hold). 2 wins over 1: an unchecked spec says nothing.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .contract import Options
from .errors import ModelError
from .output import write_atomically
from .render_markdown import verdict_table
from .render_text import render_result, render_table
from .result import ERROR
from .run import check_spec
from .spec import load_specs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lifecheck", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"lifecheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check specs and compare each verdict with the expected one")
    check.add_argument("targets", nargs="*", default=["specs"], metavar="PATH[::NAME]",
                       help="a spec file or folder, optionally ::NAME of one spec (default: specs)")
    check.add_argument("--json", action="store_true", help="print results as JSON")
    check.add_argument("--out", metavar="FILE", help="also write the JSON results to FILE")
    check.add_argument("--table", metavar="FILE",
                       help="also write the verdict table as Markdown to FILE (no timings)")
    check.add_argument("--quiet", "-q", action="store_true",
                       help="print only the table (details of unexpected verdicts still shown)")
    check.add_argument("--progress", action="store_true",
                       help="print a progress line about once a second on long runs (stderr)")
    check.add_argument("--fingerprints", action="store_true",
                       help="keep 64-bit fingerprints instead of states (16 bytes per state; a "
                            "collision, reported as a probability, could hide a state)")
    check.add_argument("--engine", choices=("bfs", "vector", "auto"), default="bfs",
                       help="bfs: state by state, exact (default); vector: whole levels in numpy "
                            "with each step's effect learned once, fingerprints, safety only; "
                            "auto: vector where it can check the spec, bfs elsewhere")
    check.add_argument("--workers", type=int, default=1, metavar="N",
                       help="explore with N worker processes (safety properties only)")
    check.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                       help="run the workers as Ray actors: on a local Ray, or on the cluster "
                            "at ADDRESS (needs lifecheck[distributed])")
    check.add_argument("--checkpoint", metavar="DIR",
                       help="save each run to DIR between levels and resume from there: a run "
                            "killed (Ctrl-C, SIGTERM, kill -9) continues where it was saved")
    check.add_argument("--checkpoint-every", type=float, default=60.0, metavar="SECONDS",
                       help="seconds between checkpoints (default 60)")
    check.add_argument("--no-timing", action="store_true",
                       help="omit seconds and rates (for output compared byte for byte)")

    lst = sub.add_parser("list", help="list the specs under a path")
    lst.add_argument("targets", nargs="*", default=["specs"], metavar="PATH")

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

    report = sub.add_parser("report", help="write design-doc reports and diagrams for specs")
    report.add_argument("targets", nargs="*", default=["specs"], metavar="PATH[::NAME]")
    report.add_argument("--out", default="diagrams", metavar="DIR",
                        help="folder for the reports (default: diagrams)")
    report.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the folder differs from what would be written")

    simulate = sub.add_parser("simulate", help="random walks with faults: finds bugs, proves nothing")
    simulate.add_argument("targets", nargs="+", metavar="PATH[::NAME]")
    simulate.add_argument("--walks", type=int, default=1000, help="number of random walks")
    simulate.add_argument("--depth", type=int, default=200, help="steps per walk at most")
    simulate.add_argument("--seconds", type=float, default=None, help="stop after this long")
    simulate.add_argument("--seed", type=int, default=0, help="seed: same seed, same walks")
    simulate.add_argument("--json", action="store_true", help="print results as JSON")

    sym = sub.add_parser("symmetry", help="states saved by symmetry reduction, spec by spec")
    sym.add_argument("targets", nargs="*", default=["specs"], metavar="PATH[::NAME]")

    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "list":
            return _list(args)
        if args.command == "report":
            from .report import main as report_main
            return report_main(args.targets, out=args.out, check=args.check)
        if args.command == "simulate":
            from .simulate import main as simulate_main
            return simulate_main(args.targets, walks=args.walks, depth=args.depth,
                                 seconds=args.seconds, seed=args.seed, as_json=args.json)
        if args.command == "symmetry":
            from .symmetry_report import report
            return report(args.targets)
        if args.command == "bench":
            from .bench import run_bench
            return run_bench(args.targets, as_json=args.json, baseline=args.baseline,
                             spin=not args.no_spin, results=args.results,
                             engines=tuple(args.engine or ()))
    except ModelError as exc:
        print(f"lifecheck: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resume = (" (the same command resumes from the last checkpoint)"
                  if getattr(args, "checkpoint", None) else "")
        print(f"lifecheck: interrupted{resume}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        sys.stderr.close()
        return 0
    return 2


def _load(targets: Sequence[str]) -> list:
    specs = []
    for target in targets:
        specs.extend(load_specs(target))
    return specs


def _check(args: argparse.Namespace) -> int:
    specs = _load(args.targets)
    if not specs:
        print(f"lifecheck: no specs found in {' '.join(args.targets)}", file=sys.stderr)
        return 2
    results = []
    timing = not args.no_timing
    if args.checkpoint:
        # SIGTERM ends the run like Ctrl-C: the last checkpoint stays for the next run.
        signal.signal(signal.SIGTERM, _interrupt)
    for spec in specs:
        options = Options(bounds=spec.bounds, check_deadlock=spec.deadlock,
                          progress=_progress_printer(spec.name) if args.progress else None,
                          workers=args.workers, ray=args.ray is not None,
                          fingerprints=args.fingerprints, engine=args.engine,
                          ray_address=None if args.ray in (None, "local") else args.ray)
        if args.checkpoint:
            options.checkpoint = str(Path(args.checkpoint) / (_file_name(spec.name) + ".ckpt"))
            options.checkpoint_every = args.checkpoint_every
        result = check_spec(spec, options)
        if options.checkpoint and result.verdict != "error":
            Path(options.checkpoint).unlink(missing_ok=True)  # done: nothing left to resume
        results.append(result)
        if not args.json and (not args.quiet or not result.matches):
            print(render_result(result, timing=timing))
            print()
            sys.stdout.flush()
    payload = [r.to_json() for r in results]
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        print(render_table(results, timing=timing))
    if args.out:
        write_atomically(args.out, json.dumps(payload, indent=2) + "\n")
    if args.table:
        write_atomically(args.table, verdict_table(results))
    if any(r.verdict == ERROR for r in results):
        return 2  # a spec could not be checked: the model or spec is wrong, not the design
    return 0 if all(r.matches for r in results) else 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _file_name(spec_name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_=" else "_" for c in spec_name)


def _progress_printer(name: str):
    """One line per report: a person watching a long run sees it move, a log keeps it."""
    def show(p) -> None:
        print(f"{name}: {p.states:,} states, {p.states_per_second:,.0f} states/s, frontier "
              f"{p.frontier:,}, depth {p.depth}, {p.rss_bytes / 2**20:,.0f} MiB, "
              f"{p.seconds:,.0f} s", file=sys.stderr, flush=True)
    return show


def _list(args: argparse.Namespace) -> int:
    for spec in _load(args.targets):
        print(f"{spec.name:<44} {spec.expect.describe():<40} {spec.model!r}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
