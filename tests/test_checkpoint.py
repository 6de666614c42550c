"""A run killed mid-way resumes from its checkpoint and reaches the same result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker import Options, Spec, check_spec, holds
from checker.checkpoint import save_checkpoint
from checker.errors import ModelError
from checker.explore import explore
from models.classic.philosophers import Philosophers

ROOT = Path(__file__).resolve().parent.parent
SPEC = (
    "from checker import Spec, holds\n"
    "from models.classic.philosophers import Philosophers\n"
    "SPECS = [Spec('philosophers/n=8', Philosophers(n=8), holds())]\n"
)


def _check(tmp: Path, *extra: str) -> subprocess.Popen:
    spec = tmp / "spec.py"
    spec.write_text(SPEC)
    return subprocess.Popen([sys.executable, "-m", "checker", "check", str(spec), "--json",
                             "--checkpoint", str(tmp / "ckpt"), "--checkpoint-every", "0",
                             *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_killed_run_resumes_to_the_same_result(tmp_path: Path, how: int) -> None:
    proc = _check(tmp_path)
    ckpt = tmp_path / "ckpt" / "philosophers_n=8.ckpt"
    deadline = time.monotonic() + 60
    while not ckpt.exists() or ckpt.stat().st_size < 50_000:  # a few levels in
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, how)
    proc.wait(timeout=30)
    assert proc.returncode != 0
    assert ckpt.exists()
    saved_size = ckpt.stat().st_size

    resumed = _check(tmp_path)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    (row,) = json.loads(out)
    assert (row["distinct_states"], row["transitions"]) == (9_403, 51_944)
    assert row["verdict"] == "holds" and row["depth"] > 0
    assert 0 < row["resumed_at_states"] < 9_403, "the second run resumed, it did not start over"
    assert not ckpt.exists(), "a finished run removes its checkpoint"
    assert saved_size > 0


def test_resuming_in_process_gives_the_same_exploration(tmp_path: Path) -> None:
    system = Spec("p", Philosophers(n=6), holds()).system()
    full = explore(system, Options())
    path = str(tmp_path / "run.ckpt")
    # Stop after a few levels by saving a checkpoint of a partial run, then resume it.
    from checker.explore import _Run

    run = _Run(system, Options(checkpoint=path), None)
    run.start()
    for _ in range(4):
        run.level()
    save_checkpoint(path, run.signature, run.snapshot())
    resumed = explore(system, Options(checkpoint=path))
    assert resumed.states == full.states
    assert (resumed.transitions, resumed.depth) == (full.transitions, full.depth)
    assert list(resumed.parents) == list(full.parents) and list(resumed.via) == list(full.via)


def test_a_checkpoint_of_another_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.ckpt"
    save_checkpoint(str(path), ("something", "else"), {})
    result = check_spec(Spec("p", Philosophers(n=4), holds()), Options(checkpoint=str(path)))
    assert result.verdict == "error" and "belongs to another run" in result.error


def test_a_corrupt_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.ckpt"
    path.write_bytes(b"not a pickle")
    with pytest.raises(ModelError, match="cannot be read"):
        explore(Spec("p", Philosophers(n=4), holds()).system(), Options(checkpoint=str(path)))
