"""Checkpoints: a long run saved between two BFS levels, so that it can be resumed.

A run killed by Ctrl-C, SIGTERM or SIGKILL loses at most the work since its last
checkpoint: the next run with the same checkpoint file resumes from it and
reaches the same states, counts and verdict as an uninterrupted one. Saving
happens only at level boundaries, where the explorer's data is consistent, and
atomically, so a kill during a save leaves the previous checkpoint intact.

A checkpoint records everything its answer depends on: the spec and the model
(with their parameters, faults, properties and bounds), the source of every file
that defines the model and the spec, lifecheck's own version and source, and
every option that changes the search (engine, fingerprints, deadlock, liveness,
symmetry). Editing a property between a kill and a resume would otherwise give
the old run's verdict for the new property: any difference refuses the resume
and says what differs.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from importlib import metadata
from pathlib import Path
from typing import Any

from lifecheck.errors import ModelError
from lifecheck.files import write_atomically

FORMAT = 5  # (5: a graph's arrays are saved under that name; 4: team workers keep their
# frontier's ranks; 3: a vector run keeps its rows packed)


def run_signature(system: Any, options: Any, engine: str) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the same system, code and search."""
    model = getattr(system, "model", None)
    sources = getattr(system, "source_files", lambda: [])()
    return {
        "spec": system.name,
        "model": f"{type(system).__name__}: {model!r}",
        "faults": tuple(f.describe() for f in getattr(system, "faults", ())),
        "properties": tuple(p.name for p in system.properties),
        "bounds": repr(options.bounds),
        "deadlock checking": options.check_deadlock,
        "liveness checking": options.check_liveness,
        "graph kept": options.record_graph,
        "symmetry": tuple(getattr(system, "symmetry", ())),
        "engine": engine,
        "fingerprints": bool(options.fingerprints),
        "exact": bool(options.exact),
        "source": {str(f): _digest(Path(f)) for f in sources},
        "lifecheck": _lifecheck_version(),
    }


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "unreadable"


@functools.cache
def _lifecheck_version() -> str:
    """The installed version and a digest of the engine's own source (a version number
    alone does not change while lifecheck is being developed)."""
    try:
        version = metadata.version("lifecheck")
    except metadata.PackageNotFoundError:
        version = "unknown"
    digest = hashlib.sha256()
    for file in sorted(Path(__file__).resolve().parent.parent.rglob("*.py")):  # the package
        digest.update(file.read_bytes())
    return f"{version} ({digest.hexdigest()[:12]})"


def _differences(saved: Any, now: dict[str, Any]) -> str:
    if not isinstance(saved, dict):
        return "it was saved by an older lifecheck"
    out = []
    for key, value in now.items():
        old = saved.get(key, "(not recorded)")
        if old == value:
            continue
        if key == "source" and isinstance(old, dict):
            changed = sorted(f for f in set(old) | set(value) if old.get(f) != value.get(f))
            out.append("the source of " + ", ".join(changed) + " changed")
        else:
            out.append(f"{key}: saved {old!r}, now {value!r}")
    return "; ".join(out) or "it was saved by another run"


def save_checkpoint(path: str, signature: dict[str, Any], data: dict[str, Any]) -> None:
    payload = pickle.dumps({"format": FORMAT, "signature": signature, "data": data},
                           protocol=pickle.HIGHEST_PROTOCOL)
    write_atomically(path, payload)


def load_checkpoint(path: str, signature: dict[str, Any]) -> dict[str, Any] | None:
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
        raise ModelError(f"checkpoint {path} was written by another version of lifecheck and "
                         "is not resumed; delete it to start afresh")
    if saved.get("signature") != signature:
        raise ModelError(f"checkpoint {path} belongs to another run and is not resumed: "
                         f"{_differences(saved.get('signature'), signature)}; delete it to "
                         "start afresh, or name another file")
    return saved["data"]
