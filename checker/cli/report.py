"""``lifecheck report PATH --out DIR``: write (or, with ``--check``, compare) the design documents."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lifecheck.cli.check import _positive
from lifecheck.cli.jobs import NeverStop, side_by_side
from lifecheck.cli.targets import load_targets
from lifecheck.errors import ModelError
from lifecheck.modelling.spec import Spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="write design-doc reports and diagrams for specs")
    report.add_argument("targets", nargs="*", default=["specs"], metavar="PATH[::NAME]")
    report.add_argument("--out", default="diagrams", metavar="DIR",
                        help="folder for the reports (default: diagrams)")
    report.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the folder differs from what would be written")
    report.add_argument("--jobs", "-j", type=_positive(int), default=1, metavar="N",
                        help="check up to N specs at once, in N processes (default 1); the "
                             "files are the same")
    report.set_defaults(run=lambda args: report_command(args.targets, out=args.out, check=args.check,
                                                        jobs=args.jobs))


def report_command(targets: Sequence[str], *, out: str, check: bool, jobs: int = 1) -> int:
    # Imported here: drawing pulls in the diagram modules, which other commands never need.
    from lifecheck.diagrams.report import ForeignFiles, build_report, differences, write_report

    specs = load_targets(targets)
    if not specs:
        return 2
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        print(f"lifecheck: --out {out} is a file; it must be a folder (it is created if missing)",
              file=sys.stderr)
        return 2
    report = build_report(specs, _checked_side_by_side(specs, jobs) if jobs > 1 else None)
    if check:
        stale = differences(report, folder)
        if stale:
            print(f"{folder} is stale; `lifecheck report {' '.join(targets)} --out {out}` would change:")
            for line in stale:
                print(f"  {line}")
            return 1
        print(f"{folder} is up to date ({len(report.files)} files)")
        return 0
    try:
        removed = write_report(report, folder)
    except ForeignFiles as exc:
        print(f"lifecheck: {folder} holds files that lifecheck report did not write: "
              f"{', '.join(exc.paths)}; it never overwrites them, so it wrote nothing. Move them "
              "away, or give another --out", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"lifecheck: cannot write the report to {folder}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(report.files)} files to {folder}: "
          + ", ".join(f"{life.key}.md" for life in report.lifecycles)
          + (f"; removed {len(removed)} stale" if removed else ""))
    wrong = [r.spec for r in report.results if not r.matches]
    if wrong:
        print(f"warning: {len(wrong)} verdicts differ from their specs' expectations: {', '.join(wrong)}",
              file=sys.stderr)
    return 0


def _checked_side_by_side(specs: list[Spec], jobs: int) -> list[Any]:
    """What the report draws from, each spec checked in a process of its own (see
    :mod:`lifecheck.cli.jobs`); a child sends back the result and the explored graph,
    the spec itself stays here."""
    from lifecheck.diagrams.lifecycle import CheckedSpec
    from lifecheck.diagrams.report import check_for_report

    def work(spec: Spec, _: Any) -> tuple[Any, ...]:
        checked = check_for_report(spec)
        return checked.result, checked.graph, checked.no_graph

    def lost(spec: Spec) -> tuple[Any, ...]:
        raise ModelError(f"the process checking {spec.name} for the report ended without a "
                         "result (killed from outside, or out of memory?)")

    parts = side_by_side(specs, jobs, NeverStop(), work, lambda _: None, lost)
    return [CheckedSpec(spec, *part) for spec, part in zip(specs, parts, strict=True)]
