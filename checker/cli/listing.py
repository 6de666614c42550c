"""``lifecheck list``: the specs under a path, with their expected verdicts."""

from __future__ import annotations

import argparse

from lifecheck.cli.targets import load_targets


def add_parser(sub: argparse._SubParsersAction) -> None:
    lst = sub.add_parser("list", help="list the specs under a path")
    lst.add_argument("targets", nargs="*", default=["specs"], metavar="PATH")
    lst.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for spec in load_targets(args.targets, complain=False):
        print(f"{spec.name:<44} {spec.expect.describe():<40} {spec.model!r}")
    return 0
