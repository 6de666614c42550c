"""A counterexample told as a short story, to paste into a design review.

The step table says everything; the story says what matters in a few lines: who
did what (consecutive steps of one process folded into one line), what each fault
wiped or changed, where a loop starts, and what the violated property saw. It is
a pure function of a :class:`~lifecheck.result.Violation`.
"""

from __future__ import annotations

from typing import Any

from lifecheck.render import words
from lifecheck.result import TraceStep, Violation

MAX_ITEMS = 4
MAX_VALUE = 40


def tell(v: Violation) -> list[str]:
    """The story of one violation, one line per beat."""
    if v.trace is None:
        return [f"{v.property}: {v.message}"]
    trace = v.trace
    lines: list[str] = []
    run: list[TraceStep] = []

    def flush() -> None:
        if run:
            first, last = run[0].index, run[-1].index
            where = f"step {first}" if first == last else f"steps {first}-{last}"
            lines.append(f"{run[0].process or 'env'}: {', '.join(_act(s) for s in run)} ({where})")
            run.clear()

    for s in trace.steps:
        if trace.loop_start is not None and s.index == trace.loop_start + 1 and not trace.stutter:
            flush()
            lines.append(f"from step {s.index} on, forever:")
        if s.failure:
            flush()
            lines.append(f"{s.process or 'env'}: {s.label} raises {s.failure} (step {s.index})")
        elif s.fault and s.action == s.fault:
            flush()
            lines.append(_fault(s))
        else:
            if run and run[-1].process != s.process:
                flush()
            run.append(s)
    flush()
    if trace.stutter:
        lines.append("then nothing fair is left to do: it stays there forever")
    lines.append(_verdict(v))
    return lines


def _act(s: TraceStep) -> str:
    """The action, with its parameters, choices and notes when there are any."""
    return s.label + (" !!" if s.fault else "")


def _fault(s: TraceStep) -> str:
    who = s.process
    if s.action == "pause" and who:
        return f"!! {who} pauses (step {s.index}): it takes no step until it resumes"
    if s.action in ("crash", "stop") and who:
        status = who + ".status"  # a stop's, or a paused process's crash's: the verb says it
        lost = [c for c in s.changes if c.field.startswith(who + ".") and c.field != status]
        others = [c for c in s.changes if not c.field.startswith(who + ".")]
        what = "crashes and restarts" if s.action == "crash" else "stops for good"
        text = f"!! {who} {what} (step {s.index})"
        if lost:
            text += ", forgetting " + _items([f"{c.field[len(who) + 1:]}={_v(c.before)}" for c in lost])
        if others:
            text += "; " + _items([words.change(c, MAX_VALUE) for c in others])
        return text
    choice = f" ({', '.join(map(str, s.choices))})" if s.choices else ""
    text = f"!! {s.action.replace('_', ' ')}{choice} (step {s.index})"
    told = words.step_changes(s, MAX_VALUE)
    if told:
        text += ": " + _items(told)
    return text


def _verdict(v: Violation) -> str:
    seen = words.seen(v.observed)  # whole: it is the evidence
    if v.kind == "liveness":
        return f"=> {v.property} never holds" + (f"; it looks at {seen}" if seen else "")
    return f"=> {v.property} is violated" + (f": it sees {seen}" if seen else f": {v.message}")


def _items(items: list[str]) -> str:
    if len(items) <= MAX_ITEMS:
        return ", ".join(items)
    return ", ".join(items[:MAX_ITEMS]) + f" and {len(items) - MAX_ITEMS} more"


def _v(value: Any) -> str:
    return words.value(value, MAX_VALUE)
