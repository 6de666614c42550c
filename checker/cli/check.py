"""``lifecheck check``: check specs and compare each verdict with the expected one."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from lifecheck.cli.exports import file_stem, itf_files, write_new_files
from lifecheck.cli.interrupt import EXIT_INTERRUPTED, Interruption, interrupted_notice
from lifecheck.cli.jobs import check_side_by_side
from lifecheck.cli.progress import progress_line
from lifecheck.cli.targets import load_targets
from lifecheck.contract import HANDOVER_STATES, THIN_HANDOVER_STATES, Options
from lifecheck.explore.verdict import check_spec
from lifecheck.files import write_atomically
from lifecheck.modelling.spec import Spec
from lifecheck.render.markdown import verdict_table
from lifecheck.render.text import render_result, render_table
from lifecheck.result import ERROR, Result


def add_parser(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check", help="check specs and compare each verdict with the expected one",
        description="Check specs and compare each verdict with the expected one. Ctrl-C (or "
                    "SIGTERM) stops the spec being checked at its next safe point: it is "
                    "reported incomplete with the states, depth and time it reached, the specs "
                    "after it are not checked (with --jobs, every spec being checked stops and "
                    "no other starts), and the command exits 130 (a second Ctrl-C stops at "
                    "once).")
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
    shown = check.add_mutually_exclusive_group()
    shown.add_argument("--progress", action="store_true", default=None,
                       help="show progress on stderr from the start: states, states/s, "
                            "frontier, depth, memory (a line a second where stderr is not a "
                            "terminal; by default a terminal shows it, in place, once a run "
                            "lasts 2 s, and anything else never)")
    shown.add_argument("--no-progress", dest="progress", action="store_false",
                       help="never show progress, on a terminal either")
    bounds = check.add_argument_group(
        "bounds", "override the spec's bound of the same name, for every spec checked; a run "
                  "that hits one is incomplete (never holds) and says which")
    bounds.add_argument("--max-states", type=_positive(int), metavar="N",
                        help="distinct states, the first N in breadth-first order (workers too)")
    bounds.add_argument("--max-depth", type=_positive(int), metavar="N",
                        help="steps from an initial state; deeper states are not explored")
    bounds.add_argument("--max-seconds", type=_positive(float), metavar="S",
                        help="wall-clock seconds of each spec's search")
    bounds.add_argument("--max-memory-mb", type=_positive(float), metavar="MB",
                        help="resident memory of the checker (and its workers), in MiB")
    storage = check.add_mutually_exclusive_group()
    storage.add_argument("--exact", action="store_true",
                         help="deduplicate exactly to the end of the run: no fingerprint "
                              "collision can hide a state. The vector engine (and auto once "
                              "it hands over) then also keeps each state's row, packed (a "
                              "byte or so per field), and compares rows wherever "
                              "fingerprints agree (under symmetry reduction, the rows of "
                              "the orbits); with --workers, each worker is a bfs explorer")
    storage.add_argument("--fingerprints", action="store_true",
                         help="keep 64-bit fingerprints instead of states from the first "
                              "state on, in the bfs explorer (16 bytes per state; a collision, "
                              "reported as a probability, could hide a state)")
    check.add_argument("--engine", choices=("auto", "bfs", "vector"), default="auto",
                       help="auto (default): the bfs explorer, exact, while a run is small, "
                            "handed over to the vector engine once it passes "
                            f"{HANDOVER_STATES:,} states with a frontier of more than 32 (or "
                            f"{THIN_HANDOVER_STATES:,} states): fingerprints from then on, "
                            "with the chance of a collision reported; bfs: state by state, exact, the "
                            "reference; vector: whole levels in numpy with each step's effect "
                            "learned once, fingerprints")
    check.add_argument("--workers", type=int, default=1, metavar="N",
                       help="explore with N worker processes, each a vector engine where that "
                            "engine can check the spec (fingerprints), else a bfs explorer (exact; "
                            "always with --engine bfs or --exact)")
    check.add_argument("--jobs", "-j", type=_positive(int), default=1, metavar="N",
                       help="check up to N specs at once, in N processes (default 1); the "
                            "output is the same, in the same order. Progress is then shown "
                            "only when asked (--progress), a line at a time")
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
    if args.jobs > 1 and (args.workers > 1 or args.ray is not None):
        print("lifecheck check: --jobs checks several specs at once, each in one process; "
              "--workers and --ray spread one spec over several: use one or the other",
              file=sys.stderr)
        return 2
    specs = load_targets(args.targets)
    if not specs:
        return 2
    results: list[Result] = []
    timing = not args.no_timing
    side_by_side = args.jobs > 1 and len(specs) > 1

    def shown(result: Result) -> None:
        if not args.json and (not args.quiet or not result.matches):
            print(render_result(result, timing=timing))
            print()
            sys.stdout.flush()

    # Ctrl-C and SIGTERM stop the spec being checked at its next safe point (incomplete)
    # and the specs after it: see lifecheck.cli.interrupt.
    with Interruption() as interruption:
        if side_by_side:
            results = check_side_by_side(
                specs, args.jobs, interruption,
                lambda spec, stop: _check_one(spec, args, stop, live=False), shown)
        else:
            for spec in specs:
                if interruption.reason():
                    break
                result = _check_one(spec, args, interruption)
                results.append(result)
                shown(result)
    stopped = bool(interruption.reason())
    payload = [r.to_json() for r in results]
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        print(render_table(results, timing=timing))
    if args.out:
        write_atomically(args.out, json.dumps(payload, indent=2) + "\n")
    if args.itf:
        write_new_files(itf_files(args.itf, results))
    if args.table and not stopped:
        write_atomically(args.table, verdict_table(results))
    if stopped:
        cut = [r for r in results if r.incomplete_reason == interruption.reason()]
        sys.stdout.flush()
        print(interrupted_notice(cut, len(specs) - len(results), timing=timing,
                                 checkpoint=bool(args.checkpoint), table_skipped=bool(args.table)),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if any(r.verdict == ERROR for r in results):
        return 2  # a spec could not be checked: the model or spec is wrong, not the design
    return 0 if all(r.matches for r in results) else 1


def _check_one(spec: Spec, args: argparse.Namespace, interruption: Any, live: bool = True) -> Result:
    """One spec, with the command line's bounds over the spec's own, and its progress line
    (not ``live``: specs checked side by side show progress only when asked, a line at
    a time, since one line rewritten in place cannot show several runs)."""
    line = progress_line(spec.name, args.progress if live else bool(args.progress), live=live)
    options = Options(bounds=dataclasses.replace(spec.bounds, **_bounds_given(args)),
                      check_deadlock=spec.deadlock,
                      progress=line.show if line else None,
                      progress_every=line.every if line else 1.0,
                      stop_requested=interruption.reason,
                      workers=args.workers, ray=args.ray is not None,
                      fingerprints=args.fingerprints, exact=args.exact, engine=args.engine,
                      ray_address=None if args.ray in (None, "local") else args.ray)
    if args.checkpoint:
        options.checkpoint = str(Path(args.checkpoint) / (file_stem(spec.name) + ".ckpt"))
        options.checkpoint_every = args.checkpoint_every
    try:
        result = check_spec(spec, options)
    finally:
        if line:
            line.end()
    interrupted = bool(interruption.reason()) and result.incomplete_reason == interruption.reason()
    if options.checkpoint and result.verdict != ERROR and not interrupted:
        Path(options.checkpoint).unlink(missing_ok=True)  # done: nothing left to resume
    return result


def _bounds_given(args: argparse.Namespace) -> dict[str, Any]:
    """The bounds given on the command line, by their name in :class:`~lifecheck.Bounds`."""
    names = ("max_states", "max_depth", "max_seconds", "max_memory_mb")
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _positive(kind: type) -> Any:
    """An argparse type: a number of ``kind`` above zero (a zero bound would end every
    run before its first state, which is never what was meant)."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if not value > 0:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
        return value
    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse
