"""The specs named on a command line: every subcommand reads its targets the same way."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from lifecheck.errors import ModelError
from lifecheck.modelling.spec import Spec, load_specs


def load_targets(targets: Sequence[str], *, complain: bool = True) -> list[Spec]:
    """Every spec of ``targets`` (``PATH[::NAME]`` each); none found is said on stderr."""
    specs = [spec for target in targets for spec in load_specs(target)]
    if not specs and complain:
        print(f"lifecheck: no specs found in {' '.join(targets)}", file=sys.stderr)
    return specs


def load_one(target: str) -> Spec | None:
    """The one spec a command works on (``replay``, ``explore``): a file with several
    needs ``::NAME``; None (said on stderr) when there is none. ``::NAME`` also selects
    the specs grouped under it (``NAME/...``); the one named exactly is then the one."""
    specs = load_targets([target])
    _, _, name = target.partition("::")
    exact = [s for s in specs if s.name == name]
    if len(specs) > 1 and exact:
        return exact[0]
    if len(specs) > 1:
        names = ", ".join(s.name for s in specs)
        raise ModelError(f"{target} holds {len(specs)} specs ({names}): name one as PATH::NAME")
    return specs[0] if specs else None
