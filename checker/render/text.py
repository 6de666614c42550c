"""Human output: a verdict, counterexamples a person can read, figures, coverage.

Each trace step is one line: number, process, action with its parameters and
choices, a mark for faults, only the fields that changed, and what the step did to a
component in its own terms where the fields do not say it. The initial line shows
the state as a person reads it (whole values, no component bookkeeping). The last
line of a counterexample names the violated property. Everything here is a pure function of
a :class:`Result`, so it is snapshot-tested on hand-built results.
"""

from __future__ import annotations

from collections.abc import Sequence

from lifecheck.render import words
from lifecheck.render.story import tell
from lifecheck.result import ERROR, HOLDS, INCOMPLETE, VIOLATED, Result, Trace, TraceStep, Violation

MAX_VALUE = 48


def render_result(result: Result, *, timing: bool = True) -> str:
    lines = [_headline(result)]
    lines.append(f"  model     {result.model}")
    lines.append(f"  faults    {result.faults}")
    if result.properties:
        lines.append(f"  checked   {', '.join(result.properties)}")
    if result.fairness:
        lines.append(f"  fairness  {result.fairness}")
    if result.bounds and result.bounds != "none":
        lines.append(f"  bounds    {result.bounds}")
    if result.reduction:
        lines.append(f"  reduction {result.reduction}")
    if result.covers:
        lines.append(f"  covers    {result.covers}")
    if result.verdict == ERROR:
        lines.append(f"  error     {result.error}")
    else:
        lines.append("  " + render_stats(result, timing=timing))
        if result.stats.collision_chance is not None:
            lines.append(f"  fingerprint 64-bit: the chance that two states collided (one missed) "
                         f"is about {result.stats.collision_chance:.1g}")
    if result.resumed_at:
        lines.append(f"  resumed   from a checkpoint with {result.resumed_at:,} states")
    if result.incomplete_reason:
        lines.append(f"  incomplete: {result.incomplete_reason}; this is not a proof")
    for v in result.violations:
        lines.append("")
        lines.extend("  " + line for line in render_violation(v))
    if result.error_trace is not None:
        lines.append("")
        lines.append("  the error happened after:")
        lines.extend("  " + line for line in render_trace(result.error_trace))
    if result.coverage:
        lines.append("")
        lines.append("  coverage  " + ", ".join(f"{k} {v}" for k, v in result.coverage.items()))
    for w in result.warnings:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


def _headline(result: Result) -> str:
    text = f"{result.spec}: {_verdict_text(result)}"
    if result.expected is not None:
        mark = "as expected" if result.matches else "UNEXPECTED"
        text += f"  [expected {result.expected.describe()}: {mark}]"
    return text


def _verdict_text(result: Result) -> str:
    if result.verdict == VIOLATED:
        return f"violated ({', '.join(result.violated_properties)})"
    return result.verdict


def render_stats(result: Result, *, timing: bool = True) -> str:
    s = result.stats
    text = (f"states    {s.distinct_states:,} distinct, {s.transitions:,} transitions, "
            f"depth {s.depth}")
    if s.outside:
        text += (f"; {s.outside:,} step{'s' if s.outside != 1 else ''} left the constraint "
                 "(checked, not explored)")
    if timing:
        text += f", {s.seconds:.2f} s ({s.states_per_second:,.0f} states/s)"
    return text


def render_violation(v: Violation) -> list[str]:
    if v.trace is None:
        return [f"{v.property} violated: {v.message}"]
    lines = [f"{v.property} violated in {len(v.trace.steps)} steps. In short:"]
    lines.extend("    " + line for line in tell(v))
    lines.append("  step by step:")
    lines.extend(render_trace(v.trace))
    lines.append(f"=> {v.message}")
    return lines


def render_trace(trace: Trace) -> list[str]:
    initial = trace.shown if trace.shown is not None else trace.initial
    lines = ["    initial  " + ", ".join(f"{k}={words.value(v)}" for k, v in initial.items())]
    width_who = max([len(s.process or "env") for s in trace.steps] + [3])
    width_label = min(max([len(_step_label(s)) for s in trace.steps] + [6]), 40)
    for s in trace.steps:
        if trace.loop_start is not None and s.index == trace.loop_start + 1 and not trace.stutter:
            lines.append(f"    -- loop: steps {s.index}..{len(trace.steps)} repeat forever --")
        label = _step_label(s)
        changes = _changes(s)
        lines.append(f"    {s.index:>3} {(s.process or 'env'):<{width_who}}  "
                     f"{label:<{width_label}}  {changes}".rstrip())
    if trace.stutter:
        lines.append("    -- then no fair step is enabled: the behaviour stays here forever --")
    key = ".".join(str(k) for k in trace.replay)
    # A lasso's key replays its steps; --loop says where they start to repeat, so that
    # `lifecheck replay SPEC KEY --loop N` shows the same behaviour.
    loop = f" --loop {trace.loop_start}" if trace.loop_start is not None else ""
    lines.append(f"    replay   {key}{loop}")
    return lines


def _step_label(s: TraceStep) -> str:
    label = s.label
    if s.fault and s.action == s.fault:
        return f"!! {label}"
    if s.fault:
        return f"{label} !!"
    return label


def _changes(s: TraceStep) -> str:
    if s.failure:
        return f"raised: {s.failure}"
    if not s.changes and not s.notes:
        return "(no change)"
    return "; ".join(words.step_changes(s, MAX_VALUE))


def render_table(results: Sequence[Result], *, timing: bool = True) -> str:
    """The acceptance table: one row per spec, and whether each verdict was expected."""
    headers = ["spec", "expected", "verdict", "property", "states", "depth"]
    if timing:
        headers.append("seconds")
    headers.append("ok")
    rows = []
    for r in results:
        prop = ", ".join(r.violated_properties) if r.verdict == VIOLATED else "-"
        row = [r.spec, r.expected.describe() if r.expected else "-", r.verdict, prop,
               f"{r.stats.distinct_states:,}", str(r.stats.depth)]
        if timing:
            row.append(f"{r.stats.seconds:.2f}")
        row.append("yes" if r.matches else "NO")
        rows.append(row)
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    numeric = {"states", "depth", "seconds"}

    def fmt(cells: Sequence[str]) -> str:
        out = []
        for h, c, w in zip(headers, cells, widths, strict=False):
            out.append(c.rjust(w) if h in numeric else c.ljust(w))
        return "  ".join(out).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines.extend(fmt(row) for row in rows)
    matched = sum(r.matches for r in results)
    lines.append("")
    lines.append(f"{matched} of {len(results)} specs gave the expected verdict"
                 + ("" if matched == len(results) else
                    f"; {len(results) - matched} did NOT"))
    verdicts = {v: sum(r.verdict == v for r in results) for v in (HOLDS, VIOLATED, INCOMPLETE, ERROR)}
    lines.append(", ".join(f"{n} {v}" for v, n in verdicts.items() if n))
    return "\n".join(lines)
