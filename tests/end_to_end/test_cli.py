"""The command line: exit codes, JSON fields, listing, atomic output files."""

import json
import subprocess
import sys
import textwrap

import pytest

from lifecheck.cli import main
from tests.traces.test_trace_formats import valid_json

SPEC_FILE = textwrap.dedent('''
    from lifecheck import (Crash, Model, Process, Spec, action, always, durable, final, holds,
                         require, role, violated, volatile)

    class Worker(Process):
        phase = volatile("idle")
        done = durable(False)

    class Job(Model):
        workers = role(Worker, count=1)

        @action(Worker)
        def start(self, w):
            require(w.phase == "idle" and not w.done)
            w.phase = "busy"

        @action(Worker)
        def finish(self, w):
            require(w.phase == "busy")
            w.done = True
            w.phase = "idle"

        @always
        def never_done(self):
            """Nobody finishes (a property made to fail)."""
            return not any(w.done for w in self.workers)

        @final
        def all_done(self):
            return all(w.done for w in self.workers)

    SPECS = [
        Spec("job/fails", Job(), violated("NeverDone"), faults=[Crash(max=1)]),
        Spec("job/wrong", Job(), holds()),
    ]
''')


@pytest.fixture
def spec_dir(tmp_path):
    (tmp_path / "job.py").write_text(SPEC_FILE)
    return tmp_path


def test_check_one_spec_exit_zero(spec_dir, capsys):
    assert main(["check", f"{spec_dir}::job/fails"]) == 0
    out = capsys.readouterr().out
    assert "job/fails: violated (NeverDone)" in out
    assert "1 of 1 specs gave the expected verdict" in out


def test_unexpected_verdict_exits_one(spec_dir, capsys):
    assert main(["check", str(spec_dir)]) == 1
    out = capsys.readouterr().out
    assert "UNEXPECTED" in out and "1 did NOT" in out


def test_json_output_fields(spec_dir, capsys):
    main(["check", f"{spec_dir}::job/fails", "--json"])
    data = json.loads(capsys.readouterr().out)
    valid_json(data)
    (row,) = data
    assert row["spec"] == "job/fails"
    assert row["verdict"] == "violated" and row["property"] == "NeverDone"
    assert row["expected"] == {"verdict": "violated", "properties": ["NeverDone"]}
    assert row["distinct_states"] > 0 and row["transitions"] >= row["distinct_states"] - 1
    steps = row["violations"][0]["trace"]["steps"]
    assert [(s["process"], s["action"]) for s in steps] == [("worker1", "start"), ("worker1", "finish")]
    assert row["coverage"]["crash"] > 0
    assert isinstance(row["seconds"], float) and row["depth"] >= 2


def test_out_file_written_whole(spec_dir, tmp_path, capsys):
    out = tmp_path / "out" / "results.json"
    main(["check", f"{spec_dir}::job/fails", "--out", str(out)])
    assert json.loads(out.read_text())[0]["spec"] == "job/fails"
    assert [p.name for p in out.parent.iterdir()] == ["results.json"]  # no temporary left


def test_list(spec_dir, capsys):
    assert main(["list", str(spec_dir)]) == 0
    out = capsys.readouterr().out
    assert "job/fails" in out and "job/wrong" in out


def test_missing_path_is_a_clear_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "no such spec file or folder" in err and "Traceback" not in err


def test_python_dash_m_checker(spec_dir):
    proc = subprocess.run([sys.executable, "-m", "lifecheck", "list", str(spec_dir)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "job/fails" in proc.stdout


@pytest.mark.parametrize("engine", ["vector", "auto", "bfs"])
def test_engine_choice_gives_the_same_verdict_and_counts(spec_dir, capsys, engine):
    main(["check", f"{spec_dir}::job/fails", "--json"])
    (bfs,) = json.loads(capsys.readouterr().out)
    assert main(["check", f"{spec_dir}::job/fails", "--json", "--engine", engine]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["verdict"], row["property"], row["distinct_states"], row["transitions"],
            row["violations"]) == (bfs["verdict"], bfs["property"], bfs["distinct_states"],
                                   bfs["transitions"], bfs["violations"])
