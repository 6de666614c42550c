"""A random simulation's result, in words and as JSON (``lifecheck simulate``)."""

from __future__ import annotations

from typing import Any

from lifecheck.render.text import render_violation
from lifecheck.result import VIOLATED
from lifecheck.walks.simulate import LEAVE_OUT, RATES, Simulation

NOT_A_PROOF = ("NOT A PROOF: random walks sample behaviours, they do not cover them. A property no "
               "walk broke may still fail; `lifecheck check` proves properties within bounds.")


def render_simulation(sim: Simulation, *, timing: bool = True) -> str:
    verdict = (f"violated ({', '.join(sim.violated)})" if sim.findings
               else "no violation found (not a proof)")
    head = f"{sim.spec}: {verdict} by random simulation"
    if sim.expected is not None:
        mark = "UNEXPECTED" if sim.unexpected else "consistent with the spec"
        head += f"  [expected {sim.expected.describe()}: {mark}]"
    lines = [head, f"  model     {sim.model}", f"  faults    {sim.faults or 'none'}"]
    lines.append(f"  checked   {', '.join(sim.checked) or 'no safety property'}: after every step")
    if sim.not_checked:
        lines.append(f"  unchecked {', '.join(sim.not_checked)}: liveness needs the whole state graph")
    stop = ""
    if sim.stopped_by == "time":
        stop = (f"; stopped by the time limit after {sim.walks:,} walks (ask for --walks "
                f"{sim.walks} to repeat this run exactly)")
    figures = (f"  walks     {sim.walks:,} walks of at most {sim.max_depth} steps, seed {sim.seed}: "
               f"{sim.steps:,} steps, {sim.distinct:,} distinct states visited")
    if timing:
        figures += f", {sim.seconds:.1f} s"
    lines.append(figures + stop)
    lines.append(f"  mix       per walk, each fault kind strikes at a rate drawn from "
                 f"{', '.join(f'{r:.1%}' for r in RATES)} of the steps where it can, and each "
                 f"action is put off (taken only when nothing else can happen) with chance "
                 f"{LEAVE_OUT:.0%}")
    for name, f in sim.findings.items():
        shortened = len(f.violation.trace.steps) if f.violation and f.violation.trace else f.depth
        when = f" after {f.first_seconds:.1f} s" if timing else ""
        lines.append(f"  found     {name} in {f.times:,} walk{'s' if f.times != 1 else ''}; first in "
                     f"walk {f.first_walk} at step {f.first_depth}{when}; shortest in walk {f.walk} "
                     f"({f.depth} steps; {f.mix.describe()}), shortened to {shortened} steps")
    for name, walk in sim.reached.items():
        lines.append(f"  reached   {name} (sometimes) in walk {walk}")
    for name in sim.unreached:
        lines.append(f"  unreached {name} (sometimes): no walk reached it, which does not make it "
                     "unreachable")
    for name in sim.missed:
        lines.append(f"  missed    {name}: the spec expects it violated, no walk broke it")
    for f in sim.findings.values():
        if f.violation is not None:
            lines.append("")
            lines.extend("  " + line for line in render_violation(f.violation))
    lines.append("")
    lines.append("  " + NOT_A_PROOF)
    return "\n".join(lines)


def simulation_json(sim: Simulation) -> dict[str, Any]:
    return {
        "spec": sim.spec,
        "model": sim.model,
        "faults": sim.faults,
        "expected": sim.expected.describe() if sim.expected else None,
        "verdict": VIOLATED if sim.findings else "no violation found",
        "proof": False,
        "unexpected": sim.unexpected,
        "seed": sim.seed,
        "walks": sim.walks,
        "max_walks": sim.max_walks,
        "max_depth": sim.max_depth,
        "steps": sim.steps,
        "distinct_states_visited": sim.distinct,
        "seconds": round(sim.seconds, 3),
        "stopped_by": sim.stopped_by,
        "checked": sim.checked,
        "not_checked": sim.not_checked,
        "sometimes_reached": dict(sim.reached),
        "sometimes_unreached": sim.unreached,
        "violations": [
            {"property": name, "kind": f.problem.kind, "message": f.problem.message,
             "walks": f.times, "first_walk": f.first_walk, "first_depth": f.first_depth,
             "first_seconds": round(f.first_seconds, 3),
             "shortest_walk": f.walk, "shortest_walk_depth": f.depth, "mix": f.mix.describe(),
             "trace": f.violation.trace.to_json() if f.violation and f.violation.trace else None}
            for name, f in sim.findings.items()
        ],
    }
