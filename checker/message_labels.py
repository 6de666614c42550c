"""How a trace says that a channel lost or duplicated a message, written and read in one place.

A lost message leaves no trace in the state (it never joins a queue), so the
step's label is the only place that says what was lost and to whom. Channels
write these labels; sequence diagrams read them back to draw the lost message
as an arrow that ends in a cross. Both use this module, so the format cannot
drift between them.
"""

from __future__ import annotations

import re
from typing import Any

LOST = re.compile(r"(?P<channel>[\w.]+): (?P<message>.+) to (?P<receiver>\S+) lost \((?P<kind>[^()]*)\)")
DUPLICATED = re.compile(r"(?P<channel>[\w.]+): (?P<message>.+) to (?P<receiver>\S+) duplicated "
                        r"\((?P<kind>[^()]*)\)")


def lost_label(channel: str, message: Any, receiver: str, kind: str) -> str:
    """How a step says that ``channel`` lost its message (the fault's label)."""
    return f"{channel}: {message!r} to {receiver} lost ({kind})"


def duplicated_label(channel: str, message: Any, receiver: str, kind: str) -> str:
    """How a step says that ``channel`` will deliver its message twice."""
    return f"{channel}: {message!r} to {receiver} duplicated ({kind})"
