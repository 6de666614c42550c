"""Snapshot comparison for outputs a person reads (trace text, JSON, DOT).

A snapshot that differs fails the test with a diff. Set ``UPDATE_SNAPSHOTS=1`` to
rewrite them after an intended change, then review the diff in git.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "snapshots"


def assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if os.environ.get("CI") and not path.exists():
            raise AssertionError(f"snapshot {name} is missing; run the tests locally with "
                                 "UPDATE_SNAPSHOTS=1 and commit it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    expected = path.read_text()
    if expected != text:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"snapshots/{name}", "actual"))
        raise AssertionError(f"output differs from snapshot {name}:\n{diff}")
