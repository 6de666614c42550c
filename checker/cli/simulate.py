"""``lifecheck simulate``: random walks with faults, spec by spec."""

from __future__ import annotations

import argparse
import json
import sys

from lifecheck.cli.targets import load_targets


def add_parser(sub: argparse._SubParsersAction) -> None:
    simulate = sub.add_parser("simulate", help="random walks with faults: finds bugs, proves nothing")
    simulate.add_argument("targets", nargs="+", metavar="PATH[::NAME]")
    simulate.add_argument("--walks", type=int, default=1000, help="number of random walks")
    simulate.add_argument("--depth", type=int, default=200, help="steps per walk at most")
    simulate.add_argument("--seconds", type=float, default=None, help="stop after this long")
    simulate.add_argument("--seed", type=int, default=0, help="seed: same seed, same walks")
    simulate.add_argument("--json", action="store_true", help="print results as JSON")
    simulate.set_defaults(run=lambda args: simulate_command(
        args.targets, walks=args.walks, depth=args.depth, seconds=args.seconds, seed=args.seed,
        as_json=args.json))


def simulate_command(targets: list[str], *, walks: int, depth: int, seconds: float | None, seed: int,
         as_json: bool) -> int:
    """``lifecheck simulate``: 0 when nothing found contradicts a spec, 1 when a walk broke a
    property its spec does not expect to fail, 2 (by the caller) on bad input."""
    from lifecheck.render.simulation import render_simulation, simulation_json
    from lifecheck.walks.simulate import simulate_spec

    specs = load_targets(targets)
    if not specs:
        return 2
    sims = []
    for spec in specs:
        sim = simulate_spec(spec, walks=walks, depth=depth, seconds=seconds, seed=seed)
        sims.append(sim)
        if not as_json:
            print(render_simulation(sim))
            print()
            sys.stdout.flush()
    if as_json:
        print(json.dumps([simulation_json(s) for s in sims], indent=2))
    return 1 if any(s.unexpected for s in sims) else 0
