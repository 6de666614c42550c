"""Mermaid text for a sequence diagram: renders inside Markdown on common code hosts.

Only long-standing Mermaid syntax is used (participants, ``->>``, ``-x``, ``--x``
for a lost message, notes,
``loop`` and ``rect`` blocks) so that the diagrams render on hosts that ship an
older Mermaid. Text is escaped with Mermaid's entity codes: ``#`` and ``;`` would
otherwise end or break a statement, ``<`` and ``>`` would be read as HTML.
"""

from __future__ import annotations

from lifecheck.diagrams.sequence import (
    ACTION,
    CRASH,
    FAILED,
    LOST_MESSAGE,
    MESSAGE,
    POWER_LOSS,
    RAISED,
    Arrow,
    Box,
    Row,
    SequenceDiagram,
)

BANDS = {CRASH: "rgba(198, 40, 40, 0.14)", POWER_LOSS: "rgba(106, 27, 154, 0.14)",
         RAISED: "rgba(230, 81, 0, 0.14)"}
ARROWS = {ACTION: "->>", FAILED: "-x", CRASH: "--)", MESSAGE: "->>", LOST_MESSAGE: "--x"}
# Narrower lanes than Mermaid's default (150 px each, 50 apart), no second row of lane heads
# at the bottom: a diagram with six lanes then fits a Markdown column without shrinking.
INIT = '%%{init: {"sequence": {"width": 100, "actorMargin": 30, "mirrorActors": false}}}%%'
_ENTITIES = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;"}


def escape(text: str) -> str:
    """Text safe inside a Mermaid message or note."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def sequence_mermaid(diagram: SequenceDiagram) -> str:
    """The diagram as a Mermaid ``sequenceDiagram`` (without the Markdown fence)."""
    ids = {lane.name: f"L{i}" for i, lane in enumerate(diagram.lanes)}
    out = [INIT, "sequenceDiagram"]
    for lane in diagram.lanes:
        out.append(f"    participant {ids[lane.name]} as {escape(lane.name)}")
    last_step = max((i for i, row in enumerate(diagram.rows) if row.step is not None), default=-1)
    indent = "    "
    for i, row in enumerate(diagram.rows):
        if i == diagram.loop_from:
            out.append(f"    loop {escape(diagram.loop_text)}")
            indent = "        "
        out.extend(indent + line for line in _row(row, ids))
        if diagram.loop_from is not None and i == last_step:
            out.append("    end")
            indent = "    "
    return "\n".join(out) + "\n"


def _row(row: Row, ids: dict[str, str]) -> list[str]:
    lines: list[str] = []
    band = next((BANDS[item.style] for item in row.items if item.style in BANDS), None)
    for item in row.items:
        text = "<br/>".join(escape(x) for x in item.lines)
        if isinstance(item, Arrow):
            lines.append(f"{ids[item.source]}{ARROWS.get(item.style, '->>')}{ids[item.target]}: {text}")
        elif isinstance(item, Box) and len(item.lanes) == 1 and item.style in (ACTION, FAILED):
            lane = ids[item.lanes[0]]  # a step that changed only its own process: a message to itself
            lines.append(f"{lane}{ARROWS[item.style]}{lane}: {text}")
        else:
            over = ",".join(ids[name] for name in item.lanes)
            lines.append(f"Note over {over}: {text}")
    if band:
        return [f"rect {band}", *("    " + line for line in lines), "end"]
    return lines
