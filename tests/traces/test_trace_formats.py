"""Traces as data: ``check --json`` against its schema, ITF files against the ITF spec,
``lifecheck replay``, and the laws that tie them to the traces the checker replays."""

from __future__ import annotations

import dataclasses
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecheck import FrozenMap
from lifecheck.cli import main
from lifecheck.encoding import SAFE_INT, from_data, to_data, to_itf
from lifecheck.explore.verdict import check_spec
from lifecheck.modelling.spec import load_specs
from lifecheck.typed_values import same_typed
from tests.snapshot import assert_snapshot

SPECS = Path(__file__).parent / "specs_for_traces.py"
SCHEMAS = files("lifecheck") / "schema"
RESULT_SCHEMA = json.loads((SCHEMAS / "result.schema.json").read_text())
ITF_SCHEMA = json.loads((SCHEMAS / "itf.schema.json").read_text())


def valid_json(data: Any) -> None:
    jsonschema.Draft202012Validator(RESULT_SCHEMA).validate(data)


def valid_itf(doc: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(ITF_SCHEMA).validate(doc)
    for state in doc["states"]:  # ADR-015: every state defines every variable, and no other
        assert set(state) - {"#meta"} == set(doc["vars"])
    assert [s["#meta"]["index"] for s in doc["states"]] == list(range(len(doc["states"])))
    if "loop" in doc:
        assert 0 <= doc["loop"] < len(doc["states"])


def check_json(capsys: Any, *args: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["check", *args, "--json"])
    data = json.loads(capsys.readouterr().out)
    valid_json(data)
    return code, data


def without_timing(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "seconds": 0, "states_per_second": 0}


@pytest.mark.parametrize("name", ["job/holds", "job/fails", "job/typo"])
def test_check_json_is_valid_and_snapshotted(capsys, name):
    code, (row,) = check_json(capsys, f"{SPECS}::{name}")
    assert row["schema"] == "lifecheck-result" and row["version"] == 3
    assert code == {"job/holds": 0, "job/fails": 0, "job/typo": 2}[name]
    snapshot = json.dumps(without_timing(row), indent=2, sort_keys=True) + "\n"
    assert_snapshot(f"json_{name.replace('/', '_')}.json", snapshot)


def test_violated_json_has_typed_values_full_states_and_a_lasso(capsys):
    _, (row,) = check_json(capsys, f"{SPECS}::job/fails")
    assert row["expected"] == {"verdict": "violated", "properties": ["NeverDone", "Finishes"]}
    assert row["faults"] == [{"fault": "Crash", "key": "crash", "max": 1, "roles": [],
                              "when": None}]
    assert row["bounds"] == {"max_depth": None, "max_states": None, "max_seconds": None,
                             "max_memory_mb": None}
    safety, lasso = row["violations"]
    states = safety["trace"]["states"]
    assert len(states) == len(safety["trace"]["steps"]) + 1
    assert states[0]["worker1.seen"] == {"#set": []}
    assert states[1]["worker1.seen"] == {"#set": [{"#tup": ["start", {"#bigint": str(2**60)}]}]}
    assert states[2]["worker1.done"] is True and states[0]["worker1.done"] is False
    assert states[2]["worker1.ledger"] == {"#map": [["none", None],
                                                    [{"#tup": ["worker1", 1]}, {"#float": "0.5"}]]}
    assert {"field": "worker1.ledger", "key": "none", "after": None} in safety["trace"]["steps"][1]["changes"]
    assert safety["observed"] == [{"field": "worker1.done", "value": True}]
    assert lasso["trace"]["loop_start"] == 1 and lasso["trace"]["replay_key"] == "0.0.1.0"
    assert lasso["trace"]["states"][-1] == lasso["trace"]["states"][1]


def test_error_json_names_the_problem_spec_step_and_replay_key(capsys):
    code, (row,) = check_json(capsys, f"{SPECS}::job/typo")
    assert code == 2 and row["verdict"] == "error"
    error = row["error"]
    assert error["spec"] == "job/typo" and error["step"] == 1
    assert "phsae" in error["problem"] and error["message"].startswith("spec job/typo, step 1: ")
    assert error["replay_key"] == "0" and error["trace"]["states"][0]["worker1.phase"] == "idle"


def test_error_json_names_the_action_where_it_is_known(capsys):
    code, (row,) = check_json(capsys, f"{SPECS}::job/leaky")
    error = row["error"]
    assert code == 2
    assert (error["action"], error["step"], error["replay_key"]) == ("finish of worker1", 2, "0.0")
    assert error["problem"].startswith("field 'worker1.phase' was given a list")
    assert [s["action"] for s in error["trace"]["steps"]] == ["start"]


def test_error_json_gives_the_users_source_line(capsys):
    code, (row,) = check_json(capsys, f"{SPECS}::job/raising")
    source = row["error"]["source"]
    line = next(n for n, text in enumerate(SPECS.read_text().splitlines(), 1) if '["missing"]' in text)
    assert code == 2 and Path(source["file"]).name == SPECS.name and source["line"] == line
    assert row["error"]["replay"] == [0, 0, 0]


def test_error_detail_reads_the_source_line_off_the_message():
    from lifecheck.errors import ModelError
    from lifecheck.result import ErrorDetail

    detail = ErrorDetail.of(ModelError("go raised ValueError (at models/job.py:42)", action="go", step=3,
                                       replay_key=[0, 1, 0, 2]))
    assert (detail.file, detail.line, detail.action, detail.step, detail.replay) == (
        "models/job.py", 42, "go", 3, [0, 1, 0, 2])


def test_itf_export_writes_one_valid_file_per_counterexample(tmp_path, capsys):
    out = tmp_path / "traces"
    assert main(["check", f"{SPECS}::job/fails", "--itf", str(out), "-q"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["job_fails--Finishes.itf.json", "job_fails--NeverDone.itf.json"]
    lasso = json.loads((out / names[0]).read_text())
    safety = json.loads((out / names[1]).read_text())
    for doc in (lasso, safety):
        valid_itf(doc)
        assert doc["#meta"]["format"] == "ITF"
    assert lasso["loop"] == 1 and "loop" not in safety
    assert safety["states"][1]["worker1.seen"] == {"#set": [{"#tup": ["start", {"#bigint": str(2**60)}]}]}
    assert safety["states"][0]["worker1.done"] is False
    assert safety["states"][2]["#meta"]["step"]["action"] == "finish"
    assert_snapshot("itf_job_fails_Finishes.itf.json", (out / names[0]).read_text())


def test_itf_files_of_specs_whose_names_read_alike_stay_apart(tmp_path):
    from lifecheck.cli.exports import itf_files

    (result,) = [check_spec(s) for s in load_specs(f"{SPECS}::job/fails")]
    twin = dataclasses.replace(result, spec="job_fails")
    names = [path.name for path, _ in itf_files(str(tmp_path), [result, twin])]
    assert len(set(names)) == 4 and "job_fails--NeverDone-2.itf.json" in names


def test_itf_export_never_replaces_a_file(tmp_path, capsys):
    out = tmp_path / "traces"
    out.mkdir()
    mine = out / "job_fails--NeverDone.itf.json"
    mine.write_text("mine")
    assert main(["check", f"{SPECS}::job/fails", "--itf", str(out), "-q"]) == 2
    assert "will not overwrite" in capsys.readouterr().err
    assert mine.read_text() == "mine" and sorted(p.name for p in out.iterdir()) == [mine.name]


def test_replay_prints_the_trace_check_printed(capsys):
    main(["check", f"{SPECS}::job/fails"])
    checked = capsys.readouterr().out
    assert main(["replay", f"{SPECS}::job/fails", "0.0.1.0", "--loop", "1"]) == 0
    replayed = capsys.readouterr().out
    body = replayed.splitlines()[2:]
    assert "\n".join("  " + line for line in body) in checked  # check indents it once more


def test_replay_json_and_itf(tmp_path, capsys):
    itf = tmp_path / "t.itf.json"
    assert main(["replay", f"{SPECS}::job/fails", "0.0.0", "--json", "--itf", str(itf)]) == 0
    doc = json.loads(capsys.readouterr().out)
    valid_json(doc)
    assert doc["schema"] == "lifecheck-trace" and doc["trace"]["replay"] == [0, 0, 0]
    valid_itf(json.loads(itf.read_text()))


def test_replay_marks_a_stutter_with_loop_at_the_last_step(capsys):
    assert main(["replay", f"{SPECS}::job/fails", "0.0.0", "--loop", "2", "--json"]) == 0
    trace = json.loads(capsys.readouterr().out)["trace"]
    assert (trace["loop_start"], trace["stutter"]) == (2, True)


def test_simulate_json_traces_have_the_same_shape(capsys):
    main(["simulate", f"{SPECS}::job/fails", "--walks", "20", "--json"])
    (sim,) = json.loads(capsys.readouterr().out)
    traces = [f["trace"] for f in sim["violations"] if f["trace"]]
    assert traces
    for trace in traces:
        jsonschema.Draft202012Validator(RESULT_SCHEMA["$defs"]["trace"] | {"$defs": RESULT_SCHEMA["$defs"]}
                                        ).validate(trace)


@pytest.mark.parametrize(("args", "says"), [
    (["job/nope", "0"], "no spec named 'job/nope'"),
    (["job/fails", "0.7"], "step 1: the key takes step #7, but the state after step 0 has"),
    (["job/fails", "3"], "does not start at an initial state"),
    (["job/fails", "0.a"], "is not a key"),
    (["job/fails", "0.0", "--loop", "0"], "--loop 0: the last state is not the state after step 0"),
    (["job/fails", "0.0", "--loop", "5"], "--loop 5 is not a step of the trace (0..1)"),
])
def test_replay_refuses_what_does_not_replay(capsys, args, says):
    assert main(["replay", f"{SPECS}::{args[0]}", *args[1:]]) == 2
    assert says in capsys.readouterr().err


# -- the laws -----------------------------------------------------------------------------------

ATOMS = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70),
                  st.floats(allow_nan=False), st.text(max_size=4), st.binary(max_size=3))
VALUES = st.recursive(ATOMS, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(tuple),
    st.frozensets(st.one_of(st.integers(), st.text(max_size=2), st.booleans()), max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=2), st.tuples(st.integers())), inner,
                    max_size=3).map(FrozenMap)), max_leaves=8)


@given(VALUES)
def test_a_value_reads_back_from_json_with_its_type(value):
    data = to_data(value)
    text = json.dumps(data)
    jsonschema.Draft202012Validator(RESULT_SCHEMA["$defs"]["value"] | {"$defs": RESULT_SCHEMA["$defs"]}
                                    ).validate(data)
    assert same_typed(from_data(json.loads(text)), value)
    assert all(abs(n) <= SAFE_INT for n in _bare_ints(json.loads(text)))


@given(VALUES)
def test_a_value_is_a_valid_itf_expression(value):
    doc = {"vars": ["x"], "states": [{"#meta": {"index": 0}, "x": to_itf(value)}]}
    valid_itf(json.loads(json.dumps(doc)))


def _bare_ints(data: Any) -> list[int]:
    if isinstance(data, bool):
        return []
    if isinstance(data, int):
        return [data]
    if isinstance(data, list):
        return [n for item in data for n in _bare_ints(item)]
    if isinstance(data, dict):
        return [n for item in data.values() for n in _bare_ints(item)]
    return []
