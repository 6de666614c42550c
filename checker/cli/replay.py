"""``lifecheck replay SPEC KEY``: the trace behind a replay key, as text, JSON or ITF.

Every trace the checker prints ends with its replay key (``replay 0.0.0.1.0.0.0``):
the index of the initial state, then the index of each step among the enabled
steps of its state. Replaying it needs no search, so a counterexample can be
shown again, exported, or handed to a colleague as one line. A key names steps,
not whether they loop: ``--loop N`` marks, as ``check`` printed it, that the steps
after step N repeat forever (the last state must then be state N again), or with N
the number of steps, that the behaviour stays in its last state.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lifecheck.cli.exports import write_new_files
from lifecheck.cli.targets import load_one
from lifecheck.errors import ModelError
from lifecheck.render.itf import itf_trace
from lifecheck.render.text import render_trace
from lifecheck.replay import parse_key, replay
from lifecheck.result import Trace
from lifecheck.result_data import VERSION, trace_data
from lifecheck.typed_values import same_typed

#: The ``schema`` field of ``replay --json``.
TRACE_SCHEMA = "lifecheck-trace"


def add_parser(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("replay", help="print or export the trace behind a replay key",
                         description=__doc__.splitlines()[0])
    cmd.add_argument("spec", metavar="PATH::NAME", help="the spec the key belongs to (PATH alone "
                     "when the file has one spec)")
    cmd.add_argument("key", metavar="KEY", help="the replay key as traces print it: 0.0.0.1.0.0.0")
    cmd.add_argument("--loop", type=int, metavar="N",
                     help="the steps after step N repeat forever (a lasso, as check printed it); N equal "
                          "to the number of steps: the behaviour stays in its last state")
    cmd.add_argument("--json", action="store_true", help="print the trace as JSON, every state in full")
    cmd.add_argument("--itf", metavar="FILE",
                     help="also write the trace to FILE as an ITF trace (never replacing a file)")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    spec = load_one(args.spec)
    if spec is None:
        return 2
    key = parse_key(args.key)
    try:
        trace, _ = replay(spec.system(), key, from_user=True)
        if args.loop is not None:
            mark_loop(trace, args.loop)
    except ModelError as exc:
        raise exc.within(spec=spec.name) from None
    if args.itf:
        doc = itf_trace(trace, spec=spec.name, what=f"the trace of replay key {trace.key} in {spec.name}")
        write_new_files([(Path(args.itf), doc)])
    if args.json:
        print(json.dumps({"schema": TRACE_SCHEMA, "version": VERSION, "spec": spec.name,
                          "model": repr(spec.model), "trace": trace_data(trace)}, indent=2))
    else:
        print(f"{spec.name}: replay {trace.key}, {len(trace.steps)} steps")
        print(f"  model     {spec.model!r}")
        print("\n".join(render_trace(trace)))
    return 0


def mark_loop(trace: Trace, start: int) -> None:
    """Make the trace a lasso from step ``start`` on, if the last state is that state again;
    ``start`` equal to the number of steps is a behaviour that stays in its last state."""
    states = trace.states
    if start == len(trace.steps) and states[-1] is not None:
        trace.loop_start, trace.stutter = start, True
        return
    if not 0 <= start < len(trace.steps):
        raise ModelError(f"--loop {start} is not a step of the trace (0..{len(trace.steps)})")
    first, last = states[start], states[-1]
    if first is None or last is None or not same_typed(tuple(first.values()), tuple(last.values())):
        raise ModelError(f"--loop {start}: the last state is not the state after step {start}, so "
                         "the steps after it cannot repeat", step=len(trace.steps))
    trace.loop_start = start
