"""``lifecheck check``: check specs and compare each verdict with the expected one."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from lifecheck.cli.exports import file_stem, itf_files, write_new_files
from lifecheck.cli.targets import load_targets
from lifecheck.contract import Options
from lifecheck.explore.verdict import check_spec
from lifecheck.files import write_atomically
from lifecheck.render.markdown import verdict_table
from lifecheck.render.text import render_result, render_table
from lifecheck.result import ERROR


def add_parser(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="check specs and compare each verdict with the expected one")
    check.add_argument("targets", nargs="*", default=["specs"], metavar="PATH[::NAME]",
                       help="a spec file or folder, optionally ::NAME of one spec (default: specs)")
    check.add_argument("--json", action="store_true", help="print results as JSON")
    check.add_argument("--out", metavar="FILE", help="also write the JSON results to FILE")
    check.add_argument("--itf", metavar="DIR",
                       help="also write each counterexample to DIR as an ITF trace (Apalache/Quint's "
                            "Informal Trace Format), one <spec>--<property>.itf.json each; an "
                            "existing file is never replaced")
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
                            "with each step's effect learned once, fingerprints, no symmetry; "
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
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    specs = load_targets(args.targets)
    if not specs:
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
            options.checkpoint = str(Path(args.checkpoint) / (file_stem(spec.name) + ".ckpt"))
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
    if args.itf:
        write_new_files(itf_files(args.itf, results))
    if args.table:
        write_atomically(args.table, verdict_table(results))
    if any(r.verdict == ERROR for r in results):
        return 2  # a spec could not be checked: the model or spec is wrong, not the design
    return 0 if all(r.matches for r in results) else 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _progress_printer(name: str):
    """One line per report: a person watching a long run sees it move, a log keeps it."""
    def show(p) -> None:
        print(f"{name}: {p.states:,} states, {p.states_per_second:,.0f} states/s, frontier "
              f"{p.frontier:,}, depth {p.depth}, {p.rss_bytes / 2**20:,.0f} MiB, "
              f"{p.seconds:,.0f} s", file=sys.stderr, flush=True)
    return show
