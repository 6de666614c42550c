"""The specs named on a command line: every subcommand reads its targets the same way."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from lifecheck.modelling.spec import Spec, load_specs


def load_targets(targets: Sequence[str], *, complain: bool = True) -> list[Spec]:
    """Every spec of ``targets`` (``PATH[::NAME]`` each); none found is said on stderr."""
    specs = [spec for target in targets for spec in load_specs(target)]
    if not specs and complain:
        print(f"lifecheck: no specs found in {' '.join(targets)}", file=sys.stderr)
    return specs
