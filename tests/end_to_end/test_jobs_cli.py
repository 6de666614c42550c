"""``lifecheck check --jobs N``: specs checked side by side print what a sequential run prints."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from lifecheck.cli import main
from lifecheck.cli.interrupt import EXIT_INTERRUPTED, Interruption
from lifecheck.cli.jobs import check_side_by_side
from lifecheck.modelling.spec import load_specs
from lifecheck.result import Result
from tests.end_to_end.test_long_runs_cli import BIG, _command, _interrupt_when_running, spec_file

__all__ = ["spec_file"]  # (a fixture, used by name)

# Specs of every kind of outcome: holds, violated with a counterexample, a modelling
# error, an unexpected verdict, and a counterexample holding a value of a class defined
# inside a function (pickle cannot name it, so its result cannot come back from a child).
MIXED = '''
from dataclasses import dataclass

from lifecheck import Model, Spec, action, always, durable, holds, violated
from lifecheck.models.classic.philosophers import Philosophers
from lifecheck.models.classic.token_ring import TokenRing


def local_model():
    @dataclass(frozen=True)
    class Tag:
        n: int

    class Tagged(Model):
        tag = durable(Tag(0))

        @action
        def bump(self):
            self.tag = Tag((self.tag.n + 1) % 4)

        @always
        def small(self):
            return self.tag.n < 3

    return Tagged()


class Broken(Model):
    x = durable(0)

    @action
    def step(self):
        self.x = [self.x]  # a mutable value: a modelling error


SPECS = [
    Spec("philosophers/n=5", Philosophers(n=5), holds()),
    Spec("ring", TokenRing(n=3, rounds=4), holds()),
    Spec("local/violated", local_model(), violated("Small")),
    Spec("broken", Broken(), holds()),
    Spec("philosophers/n=3", Philosophers(n=3), holds()),
    Spec("local/unexpected", local_model(), holds()),
]
'''


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.py"
    path.write_text(MIXED)
    return path


def _run(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("jobs", ["2", "3", "8"])
def test_side_by_side_prints_what_one_at_a_time_prints(mixed: Path, capsys: Any, tmp_path: Path,
                                                        jobs: str) -> None:
    code, out, err = _run(capsys, str(mixed), "--no-timing")
    table = tmp_path / "one.md"
    _run(capsys, str(mixed), "--no-timing", "--table", str(table))
    assert code == 2, "the broken spec is an error"
    assert "broken: error" in out and "local/violated: violated" in out and "ring: holds" in out
    assert "local/unexpected: violated (Small)  [expected holds: UNEXPECTED]" in out
    got = _run(capsys, str(mixed), "--no-timing", "--jobs", jobs)
    assert got == (code, out, err)
    side = tmp_path / "side.md"
    _run(capsys, str(mixed), "--no-timing", "-j", jobs, "--table", str(side))
    assert side.read_text() == table.read_text()


def test_side_by_side_json_is_the_same(mixed: Path, capsys: Any) -> None:
    def rows(*args: str) -> list[dict]:
        code, out, _ = _run(capsys, str(mixed), "--json", *args)
        assert code == 2
        return [{k: v for k, v in row.items() if k not in ("seconds", "states_per_second")}
                for row in json.loads(out)]

    assert rows("-j", "2") == rows()


def test_a_result_pickle_cannot_carry_is_checked_again_here(mixed: Path) -> None:
    """The counterexample holds a Tag, a class defined inside a function: the child
    cannot send it, so this process checks that spec itself."""
    specs = load_specs(str(mixed))
    here: list[str] = []

    def check_one(spec: Any, stop: Any) -> Result:
        from lifecheck import check_spec
        here.append(spec.name)  # (the parent sees only its own calls)
        return check_spec(spec)

    shown: list[str] = []
    with Interruption() as interruption:
        results = check_side_by_side(specs, 2, interruption, check_one, lambda r: shown.append(r.spec))
    assert [r.spec for r in results] == shown == [s.name for s in specs]
    # Each is checked here once; in which order depends on which child answers first.
    assert sorted(here) == ["local/unexpected", "local/violated"]
    assert results[2].verdict == "violated" and results[2].violations[0].trace is not None


def test_a_child_that_fails_is_reported_with_its_traceback(mixed: Path) -> None:
    specs = load_specs(str(mixed))[:2]

    def check_one(spec: Any, stop: Any) -> Result:
        raise ValueError(f"a bug while checking {spec.name}")

    with Interruption() as interruption, \
            pytest.raises(RuntimeError, match=r"(?s)checking (philosophers/n=5|ring) failed in its own "
                                              r"process:.*ValueError: a bug while checking"):
        check_side_by_side(specs, 2, interruption, check_one, lambda r: None)


def test_a_child_killed_from_outside_is_an_error_result(mixed: Path) -> None:
    specs = load_specs(str(mixed))[:2]

    def check_one(spec: Any, stop: Any) -> Result:
        import os
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        raise AssertionError("unreachable")

    with Interruption() as interruption:
        results = check_side_by_side(specs, 2, interruption, check_one, lambda r: None)
    assert [r.verdict for r in results] == ["error", "error"]
    assert "ended without a result" in results[0].error and results[0].spec == "philosophers/n=5"


def test_jobs_with_workers_is_refused_clearly(mixed: Path, capsys: Any) -> None:
    code, out, err = _run(capsys, str(mixed), "-j", "2", "--workers", "2")
    assert code == 2 and out == ""
    assert "--jobs checks several specs at once" in err and "use one or the other" in err
    with pytest.raises(SystemExit) as exit_:
        main(["check", str(mixed), "-j", "0"])
    assert exit_.value.code == 2 and "--jobs/-j: must be above 0" in capsys.readouterr().err


def test_ctrl_c_stops_every_spec_being_checked_and_starts_no_other(spec_file: Path) -> None:
    """BIG and the specs beside it are stopped at their next safe point, each reported
    incomplete; what had finished is reported as it finished."""
    code, out, err, notice = _interrupt_when_running(
        _command(str(spec_file), "--exact", "--jobs", "2"))
    assert code == EXIT_INTERRUPTED
    assert f"{BIG}: incomplete  [expected holds: UNEXPECTED]" in out
    assert "incomplete: interrupted by Ctrl-C (SIGINT); this is not a proof" in out
    assert "philosophers/n=3: holds" in out, "the spec beside it had finished"
    assert out.index(BIG) < out.index("philosophers/n=3"), "results come in the specs' order"
    assert "Traceback" not in err
    assert notice[0].startswith(f"lifecheck: interrupted while checking {BIG}: incomplete after ")
    assert notice[-1].startswith("  smaller model parameters"), notice
    cut = [line for line in notice if line.startswith("lifecheck: interrupted while checking")]
    assert len(cut) == out.count("incomplete: interrupted by Ctrl-C (SIGINT)")


def test_sigterm_to_the_command_alone_stops_its_children(spec_file: Path, tmp_path: Path) -> None:
    import os
    import subprocess

    proc = subprocess.Popen([*_command(f"{spec_file}", "--exact", "-j", "2", "--progress",
                                       "--no-timing")],
                            cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    first = proc.stderr.readline()  # type: ignore[union-attr]
    assert "states/s" in first, first + proc.stderr.read()  # type: ignore[union-attr]
    os.kill(proc.pid, signal.SIGTERM)  # (not the group: the children must be told)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "incomplete: interrupted by SIGTERM; this is not a proof" in out
    assert "Traceback" not in err


def test_one_spec_with_jobs_runs_here(mixed: Path, capsys: Any, monkeypatch: Any) -> None:
    """Nothing to run beside it: no process is forked (and the live line stays live)."""
    import lifecheck.cli.check as check_cli

    monkeypatch.setattr(check_cli, "check_side_by_side",
                        lambda *a, **k: pytest.fail("forked for one spec"))
    code, out, _ = _run(capsys, f"{mixed}::philosophers/n=3", "-j", "4", "--no-timing")
    assert code == 0 and "philosophers/n=3: holds" in out


if sys.platform != "linux":  # pragma: no cover
    pytestmark = pytest.mark.skip("forked children")


def test_after_ctrl_c_every_spec_checked_is_reported_in_order_with_gaps(tmp_path: Path) -> None:
    """Each worker keeps to one file's specs; a signal can then leave a spec not started
    between two that were checked: both of those are reported, in the specs' order."""
    head = ("from lifecheck import Spec, holds\n"
            "from lifecheck.models.classic.philosophers import Philosophers\n")
    (tmp_path / "a.py").write_text(head + "SPECS = [Spec('a/big', Philosophers(n=12), holds()),\n"
                                          "         Spec('a/small', Philosophers(n=3), holds())]\n")
    (tmp_path / "b.py").write_text(head + "SPECS = [Spec('b/big', Philosophers(n=12), holds())]\n")
    code, out, _, notice = _interrupt_when_running(_command(str(tmp_path), "--exact", "-j", "2"))
    assert code == EXIT_INTERRUPTED
    assert "a/small" not in out, "not started: its file's worker was still on a/big"
    assert out.index("a/big: incomplete") < out.index("b/big: incomplete")
    assert [line.split(":")[1] for line in notice if "interrupted while checking" in line] == \
        [" interrupted while checking a/big", " interrupted while checking b/big"]
    assert "lifecheck: 1 spec not checked" in notice
