"""``lifecheck report PATH --out DIR``: write (or, with ``--check``, compare) the design documents."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from lifecheck.cli.targets import load_targets


def add_parser(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="write design-doc reports and diagrams for specs")
    report.add_argument("targets", nargs="*", default=["specs"], metavar="PATH[::NAME]")
    report.add_argument("--out", default="diagrams", metavar="DIR",
                        help="folder for the reports (default: diagrams)")
    report.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the folder differs from what would be written")
    report.set_defaults(run=lambda args: report_command(args.targets, out=args.out, check=args.check))


def report_command(targets: Sequence[str], *, out: str, check: bool) -> int:
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
    report = build_report(specs)
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
