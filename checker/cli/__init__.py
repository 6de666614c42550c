"""The ``lifecheck`` command: check, explore, simulate, report on and benchmark specs; start a project.

Exit status: 0 when every verdict is the expected one; 1 when a verdict differs
from the expected one (the design is wrong, or the expectation); 2 when a spec
cannot be checked: no such path, a spec file that does not load, a malformed
spec, or a modelling error found while exploring (a value that cannot be stored,
an undeclared field, non-determinism, a property that raises or returns no bool,
a symmetry that does not hold). 2 wins over 1: an unchecked spec says nothing.
130 when ``check`` was interrupted (Ctrl-C or SIGTERM): the spec being checked stopped
at its next safe point and is reported ``incomplete`` with the states, depth and time
it reached, the specs after it were not checked, and a hint names the bounds that make
a long run end by itself. 130 wins over the others: the run did not finish. A second
Ctrl-C stops at once, with no result.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lifecheck import __version__
from lifecheck.cli import bench, check, explore, init, listing, replay, report, simulate, symmetry
from lifecheck.cli.interrupt import EXIT_INTERRUPTED
from lifecheck.errors import ModelError

# The subcommands, in the order ``lifecheck --help`` lists them.
COMMANDS = (check, replay, explore, listing, bench, report, simulate, symmetry, init)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lifecheck", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"lifecheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ModelError as exc:
        print(f"lifecheck: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a command with no safe point to stop at, or a second Ctrl-C
        resume = (" (the same command resumes from the last checkpoint)"
                  if getattr(args, "checkpoint", None) else "")
        print(f"lifecheck: interrupted{resume}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
