"""A run killed mid-way resumes from its checkpoint and reaches the same result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lifecheck import Options, Spec, check_spec, holds
from lifecheck.errors import ModelError
from lifecheck.explore.bfs import explore
from lifecheck.explore.checkpoint import run_signature, save_checkpoint
from lifecheck.models.classic.philosophers import Philosophers

ROOT = Path(__file__).resolve().parents[2]
SPEC = (
    "from lifecheck import Spec, holds\n"
    "from lifecheck.models.classic.philosophers import Philosophers\n"
    "SPECS = [Spec('philosophers/n=8', Philosophers(n=8), holds())]\n"
)


def _check(tmp: Path, *extra: str) -> subprocess.Popen:
    spec = tmp / "spec.py"
    spec.write_text(SPEC)
    return subprocess.Popen([sys.executable, "-m", "lifecheck", "check", str(spec), "--json",
                             "--checkpoint", str(tmp / "ckpt"), "--checkpoint-every", "0",
                             *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(("how", "extra"), [(signal.SIGKILL, ()), (signal.SIGTERM, ()),
                                            (signal.SIGKILL, ("--workers", "2"))],
                         ids=["kill-9", "sigterm", "kill-9-two-workers"])
def test_a_killed_run_resumes_to_the_same_result(tmp_path: Path, how: int,
                                                 extra: tuple[str, ...]) -> None:
    proc = _check(tmp_path, *extra)
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

    resumed = _check(tmp_path, *extra)
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
    from lifecheck.explore.bfs import _Run

    run = _Run(system, Options(checkpoint=path), None)
    run.start()
    for _ in range(4):
        run.level()
    save_checkpoint(path, run.signature, run.snapshot())
    resumed = explore(system, Options(checkpoint=path))
    assert resumed.states == full.states
    assert (resumed.transitions, resumed.depth) == (full.transitions, full.depth)
    assert list(resumed.parents) == list(full.parents) and list(resumed.via) == list(full.via)


@pytest.mark.parametrize("engine, kind", [("bfs", ""), ("auto", "vector ")])
def test_resuming_a_team_run_in_process_gives_the_same_exploration(tmp_path: Path, engine: str,
                                                                   kind: str) -> None:
    """A team's checkpoint holds every worker's partition; a new team (new processes,
    so another salt for Python's hash) takes them up and owns the states it saved.
    Workers of either kind: bfs explorers, or vector engines (the default)."""
    from lifecheck.explore.parallel import _ForkedWorkers, explore_parallel
    from lifecheck.explore.team import TeamSearch

    system = Spec("p", Philosophers(n=6), holds()).system()
    options = Options(check_liveness=False)
    full = explore(system, options)
    path = str(tmp_path / "team.ckpt")
    saving = Options(check_liveness=False, checkpoint=path, engine=engine)
    with _ForkedWorkers(system, saving, 2) as team:
        run = TeamSearch(system, saving, team)
        run.start()
        for _ in range(4):
            run.advance(None)
        save_checkpoint(path, run.signature, run.snapshot())
        partial = run.count
    resumed = explore_parallel(system, saving, 2)
    assert 0 < partial < 862 and resumed.resumed_at == partial
    assert (resumed.distinct_states, resumed.transitions, resumed.depth) == \
        (full.distinct_states, full.transitions, full.depth)
    assert resumed.distinct_states == 862
    assert resumed.fingerprints == bool(kind)
    with pytest.raises(ModelError, match=f"engine: saved '{kind}team of 2', now '{kind}team of 3'"):
        explore_parallel(system, saving, 3)


def test_a_checkpoint_of_another_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.ckpt"
    save_checkpoint(str(path), ("something", "else"), {})
    result = check_spec(Spec("p", Philosophers(n=4), holds()), Options(checkpoint=str(path)))
    assert result.verdict == "error" and "belongs to another run" in result.error


COUNTER = '''
from lifecheck import Model, Spec, action, always, durable, holds, require

class Count(Model):
    n = durable(0)

    @action
    def up(self):
        require(self.n < 50)
        self.n += 1

    @always
    def small(self):
        return self.n < {limit}

SPECS = [Spec("count", Count(), holds(), deadlock=False)]
'''


def _partial_run(system: Any, path: str, options: Options) -> None:
    from lifecheck.explore.bfs import _Run

    run = _Run(system, options, None)
    run.start()
    for _ in range(4):
        run.level()
    save_checkpoint(path, run.signature, run.snapshot())


def test_a_checkpoint_is_not_resumed_once_a_property_changed(tmp_path: Path) -> None:
    """Regression: a property edited between a kill and the resume gave the old verdict."""
    from lifecheck.modelling.spec import load_specs

    file = tmp_path / "count_spec.py"
    file.write_text(COUNTER.format(limit=100))
    path = str(tmp_path / "count.ckpt")
    _partial_run(load_specs(str(file))[0].system(), path,
                 Options(checkpoint=path, check_deadlock=False))
    file.write_text(COUNTER.format(limit=10))  # now violated at depth 10
    (spec,) = load_specs(str(file))
    result = check_spec(spec, Options(checkpoint=path, check_deadlock=False))
    assert result.verdict == "error"
    assert "not resumed" in result.error and "count_spec.py changed" in result.error
    Path(path).unlink()
    assert check_spec(spec, Options(checkpoint=path, check_deadlock=False)).verdict == "violated"


def test_an_exact_checkpoint_is_not_resumed_with_fingerprints(tmp_path: Path) -> None:
    """Regression: resuming an exact run's checkpoint with --fingerprints crashed."""
    system = Spec("p", Philosophers(n=5), holds()).system()
    path = str(tmp_path / "run.ckpt")
    _partial_run(system, path, Options(checkpoint=path))
    with pytest.raises(ModelError, match=r"not resumed: fingerprints: saved False, now True"):
        explore(system, Options(checkpoint=path, fingerprints=True))


def test_a_corrupt_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.ckpt"
    path.write_bytes(b"not a pickle")
    with pytest.raises(ModelError, match="cannot be read"):
        explore(Spec("p", Philosophers(n=4), holds()).system(), Options(checkpoint=str(path)))


VECTOR_SPEC = (
    "from lifecheck import Spec, holds\n"
    "from lifecheck.models.classic.philosophers import Philosophers\n"
    "SPECS = [Spec('philosophers/n=12', Philosophers(n=12), holds(), properties=[])]\n"
)


def test_a_killed_vector_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    spec = tmp_path / "spec.py"
    spec.write_text(VECTOR_SPEC)
    command = [sys.executable, "-m", "lifecheck", "check", str(spec), "--json", "--engine",
               "vector", "--checkpoint", str(tmp_path / "ckpt"), "--checkpoint-every", "0"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    ckpt = tmp_path / "ckpt" / "philosophers_n=12.ckpt"
    deadline = time.monotonic() + 120
    while not ckpt.exists() or ckpt.stat().st_size < 2_000_000:  # well into the run
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    (row,) = json.loads(resumed.stdout)
    assert (row["distinct_states"], row["transitions"] + 1) == (1_118_878, 9_415_129)
    assert row["verdict"] == "holds"
    assert 0 < row["resumed_at_states"] < 1_118_878, "the second run resumed, it did not start over"
    assert not ckpt.exists()


def test_resuming_a_vector_run_in_process_gives_the_same_exploration(tmp_path: Path) -> None:
    from lifecheck.explore.vector import VectorRun as _VectorRun
    from lifecheck.explore.vector import explore_vector
    from lifecheck.modelling.footprint import learner_for

    system = Spec("p", Philosophers(n=6), holds()).system()
    options = Options(check_liveness=False)
    full = explore_vector(system, options)
    path = str(tmp_path / "run.ckpt")
    saving = Options(check_liveness=False, checkpoint=path, checkpoint_every=0)
    run = _VectorRun(system, learner_for(system), saving, None)
    run.start()
    for _ in range(5):
        out = run.level(*run.frontier)
        run.frontier = (np.concatenate([r for r, _ in out]), np.concatenate([f for _, f in out]))
    signature = run_signature(system, saving, "vector")
    save_checkpoint(path, signature, run.snapshot())
    resumed = explore_vector(system, saving)
    assert resumed.resumed_at == run.count > 0
    assert (resumed.distinct_states, resumed.transitions, resumed.depth, resumed.coverage) == \
        (full.distinct_states, full.transitions, full.depth, full.coverage)
    assert list(resumed.parents) == list(full.parents) and list(resumed.via) == list(full.via)
    # A bfs checkpoint is not resumed by the vector explorer, nor the other way round.
    with pytest.raises(ModelError, match="belongs to another run"):
        explore(system, Options(checkpoint=path))


def test_a_fingerprinted_vector_checkpoint_is_not_resumed_exactly(tmp_path: Path) -> None:
    """An exact run compares rows it must have kept from the first state on."""
    from lifecheck.explore.vector import VectorRun as _VectorRun
    from lifecheck.explore.vector import explore_vector
    from lifecheck.modelling.footprint import learner_for

    system = Spec("p", Philosophers(n=6), holds()).system()
    path = str(tmp_path / "run.ckpt")
    saving = Options(check_liveness=False, checkpoint=path, checkpoint_every=0)
    run = _VectorRun(system, learner_for(system), saving, None)
    run.start()
    save_checkpoint(path, run_signature(system, saving, "vector"), run.snapshot())
    with pytest.raises(ModelError, match=r"not resumed: exact: saved False, now True"):
        explore_vector(system, replace(saving, exact=True))


@pytest.mark.parametrize("engine", ["bfs", "vector"])
def test_a_thin_run_saves_and_resumes_between_its_levels(engine: str, tmp_path: Path) -> None:
    """Levels of one state: the bfs explorer runs them in one loop, the vector explorer
    through its thin path; a checkpoint due is still saved at the next level boundary
    (here every one), and a resumed run reaches the same counts and parents."""
    from lifecheck.explore.vector import explore_vector
    from lifecheck.models.classic.token_ring import TokenRing

    run = explore if engine == "bfs" else explore_vector
    system = Spec("ring", TokenRing(n=3, rounds=500), holds()).system()
    full = run(system, Options(check_liveness=False))
    path = tmp_path / "ring.ckpt"

    def interrupt(progress: Any) -> None:  # Ctrl-C, a while into the run
        if progress.states > 750:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(system, Options(check_liveness=False, checkpoint=str(path), checkpoint_every=0,
                            progress=interrupt, progress_every=0))
    resumed = run(system, Options(check_liveness=False, checkpoint=str(path), checkpoint_every=0))
    assert (resumed.distinct_states, resumed.transitions, resumed.depth) == \
        (full.distinct_states, full.transitions, full.depth) == (1_499, 1_498, 1_498)
    assert 700 < resumed.resumed_at <= 770  # (saved at a boundary just before the interrupt)
    assert list(resumed.parents) == list(full.parents) and resumed.level_starts == full.level_starts
