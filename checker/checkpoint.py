"""Checkpoints: a long run saved between two BFS levels, so that it can be resumed.

A run killed by Ctrl-C, SIGTERM or SIGKILL loses at most the work since its last
checkpoint: the next run with the same checkpoint file resumes from it and
reaches the same states, counts and verdict as an uninterrupted one. Saving
happens only at level boundaries, where the explorer's data is consistent, and
atomically, so a kill during a save leaves the previous checkpoint intact. A
checkpoint records what it belongs to (the system, its faults, properties and
bounds); one of another run is refused rather than resumed into a wrong answer.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from .errors import ModelError
from .output import write_atomically

FORMAT = 1


def save_checkpoint(path: str, signature: tuple, data: dict[str, Any]) -> None:
    payload = pickle.dumps({"format": FORMAT, "signature": signature, "data": data},
                           protocol=pickle.HIGHEST_PROTOCOL)
    write_atomically(path, payload)


def load_checkpoint(path: str, signature: tuple) -> dict[str, Any] | None:
    """The saved run in ``path``, None when there is none yet; an error when it is not ours."""
    file = Path(path)
    if not file.exists():
        return None
    try:
        saved = pickle.loads(file.read_bytes())
    except Exception as exc:
        raise ModelError(f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc}); "
                         "delete it to start afresh") from None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ModelError(f"checkpoint {path} was written by another version of lifecheck; "
                         "delete it to start afresh")
    if saved.get("signature") != signature:
        raise ModelError(f"checkpoint {path} belongs to another run (a different spec, model, "
                         "faults, properties or bounds); delete it or name another file")
    return saved["data"]
