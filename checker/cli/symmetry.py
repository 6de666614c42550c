"""``lifecheck symmetry``: what symmetry reduction saves, spec by spec.

For every spec with a role of two or more processes, its safety properties are
checked with and without the processes of those roles interchangeable; the
report gives both state counts, the saving, and whether the verdicts agree (they
must; tests/engines/test_symmetry.py holds the checker to that).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from lifecheck.explore.verdict import check_spec
from lifecheck.modelling.spec import Spec, load_specs


def symmetric_roles(spec: Spec) -> tuple[str, ...]:
    """Roles of the spec's model with more than one process."""
    model = spec.model
    return tuple(attr for attr, decl in model.roles().items() if decl.resolve_count(model) > 1)


def safety_twin(spec: Spec, symmetry: tuple[str, ...]) -> Spec:
    """The spec restricted to its safety properties, with ``symmetry``."""
    return spec.safety_only(symmetry=symmetry)


def add_parser(sub: argparse._SubParsersAction) -> None:
    sym = sub.add_parser("symmetry", help="states saved by symmetry reduction, spec by spec")
    sym.add_argument("targets", nargs="*", default=["specs"], metavar="PATH[::NAME]")
    sym.set_defaults(run=lambda args: report(args.targets))


def report(targets: Sequence[str]) -> int:
    rows = []
    for target in targets:
        for spec in load_specs(target):
            roles = symmetric_roles(spec)
            if not roles:
                continue
            full = check_spec(safety_twin(spec, ()))
            reduced = check_spec(safety_twin(spec, roles))
            same = (full.verdict == reduced.verdict
                    and set(full.violated_properties) == set(reduced.violated_properties))
            rows.append((spec.name, ",".join(roles), full.stats.distinct_states,
                         reduced.stats.distinct_states, full.verdict, same))
    if not rows:
        print("no spec has a role with more than one process")
        return 0
    width = max(len(r[0]) for r in rows)
    print(f"{'spec':<{width}}  {'roles':<10} {'states':>8} {'reduced':>8} {'saved':>6}  verdict   same")
    for name, roles, full_n, red_n, verdict, same in rows:
        saved = 1 - red_n / full_n if full_n else 0.0
        print(f"{name:<{width}}  {roles:<10} {full_n:>8,} {red_n:>8,} {saved:>6.0%}  {verdict:<9} "
              f"{'yes' if same else 'NO'}")
    return 0 if all(r[5] for r in rows) else 1
