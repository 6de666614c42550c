"""`lifecheck bench`: exact counts enforced, rows with every field, SPIN beside lifecheck."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import lifecheck.cli.bench as bench_module
from lifecheck import Options, Spec, check_spec, holds
from lifecheck.cli.bench import FIELDS, Benchmark, plans, run_bench
from lifecheck.explore.engines import engine_for
from lifecheck.models.classic.philosophers import Philosophers

ROOT = Path(__file__).resolve().parents[2]


def _bench_file(tmp_path: Path, counts: tuple[int, int], promela: bool = False,
                engines: str = "") -> Path:
    if promela:
        shutil.copy(ROOT / "bench" / "philosophers.pml", tmp_path / "philosophers.pml")
    (tmp_path / "small.py").write_text(
        "from lifecheck import Spec, holds\n"
        "from lifecheck.models.classic.philosophers import Philosophers\n"
        f"SPECS = [Spec('philosophers/n=5', Philosophers(n=5), holds(), properties=[],\n"
        f"              known_counts={counts!r})]\n"
        + ("PROMELA = {'philosophers/n=5': ('philosophers.pml', {'N': 5})}\n" if promela else "")
        + (f"ENGINES = {{'philosophers/n=5': {engines}}}\n" if engines else ""))
    return tmp_path / "small.py"


def _rows(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


# Philosophers n=5: 261 states, 876 successors + the initial state (SPIN agrees below).
COUNTS = (261, 877)


def test_rows_have_every_field_and_the_counts_match(tmp_path: Path, capsys) -> None:
    status = run_bench([str(_bench_file(tmp_path, COUNTS, engines='("bfs", "vector")'))],
                       as_json=True, spin=False, repeat=1)
    rows = _rows(capsys.readouterr().out)
    assert status == 0
    default = engine_for(Spec("p", Philosophers(n=5), holds()).system(), Options()).name
    assert [(r["engine"], r.get("default", False)) for r in rows] == [
        (default, True), ("bfs", False), ("vector", False)]
    for row in rows:
        assert set(FIELDS) <= set(row)
        assert (row["distinct_states"], row["transitions"]) == COUNTS
        assert row["states_per_second"] > 0 and row["peak_rss_bytes"] > 0
        assert row["process_seconds"] > 0  # `lifecheck check` ran, and counted the same
    assert rows[2]["bytes_per_state"] == 16.0  # 8-byte fingerprint + parent + step index


def test_a_team_row_counts_the_same_and_keeps_20_bytes_a_state(tmp_path: Path, capsys) -> None:
    """"2 workers": the team ``lifecheck check --workers 2`` uses unasked (vector workers
    here), timed in process and as a whole command that must count the same."""
    status = run_bench([str(_bench_file(tmp_path, COUNTS, engines='("vector", "2 workers")'))],
                       as_json=True, spin=False, repeat=1)
    rows = _rows(capsys.readouterr().out)
    assert status == 0
    assert [r["engine"] for r in rows][-2:] == ["vector", "2 workers"]
    team = rows[-1]
    assert (team["distinct_states"], team["transitions"]) == COUNTS
    assert team["process_seconds"] > 0 and team["peak_rss_bytes"] > 0
    assert team["bytes_per_state"] == 20.0  # fingerprint + parent (worker, index) + step index


def test_an_exact_row_counts_the_same(tmp_path: Path, capsys) -> None:
    """"exact": ``lifecheck check --exact``, in process and as a whole command."""
    status = run_bench([str(_bench_file(tmp_path, COUNTS, engines='("exact",)'))],
                       as_json=True, spin=False, repeat=1)
    rows = _rows(capsys.readouterr().out)
    assert status == 0
    assert [r["engine"] for r in rows][-1] == "exact"
    assert (rows[-1]["distinct_states"], rows[-1]["transitions"]) == COUNTS
    assert rows[-1]["process_seconds"] > 0


@pytest.mark.parametrize(("default", "named", "rows"), [
    ("bfs", ("bfs", "vector"), [("bfs", True), ("bfs", False), ("vector", False)]),
    ("bfs", ("vector",), [("vector", False)]),  # bfs where the file cannot afford it: left out
    ("vector", ("vector",), [("vector", True), ("vector", False)]),
    ("auto", (), [("auto", True), ("vector", False)]),
])
def test_the_default_engine_is_measured_where_it_is_affordable(
        monkeypatch: pytest.MonkeyPatch, default: str, named: tuple[str, ...],
        rows: list[tuple[str, bool]]) -> None:
    monkeypatch.setattr(bench_module, "_default_engine", lambda spec: default)
    bench = Benchmark(Spec("p", Philosophers(n=3), holds()), ROOT / "bench", engines=named)
    assert [(p.engine, p.default) for p in plans(bench)] == rows
    assert [(p.engine, p.default) for p in plans(bench, ("default", "bfs"))] == [
        (default, True), ("bfs", False)]


def test_whole_processes_alternate_between_the_tools_and_the_median_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """lifecheck, SPIN, lifecheck, SPIN, ...: a noisy spell on a shared machine then hits
    both; the figures here are made up (no test times anything)."""
    calls: list[str] = []
    ours = iter([3.0, 1.0, 2.0])
    theirs = iter([0.5, 0.25, 0.75])

    class FakeTwin:
        compile_seconds = 4.0

        def __init__(self, *args: object) -> None:
            pass

        def __enter__(self) -> FakeTwin:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def run(self) -> dict:
            calls.append("SPIN")
            return {"states": COUNTS[0], "transitions": COUNTS[1], "seconds": 0.1,
                    "stored_bytes": 1000, "peak_rss_bytes": 2**20,
                    "process_seconds": next(theirs)}

    def fake_check(bench: object, plan: object, row: dict) -> float:
        calls.append("lifecheck")
        return next(ours)

    monkeypatch.setattr(bench_module, "SpinTwin", FakeTwin)
    monkeypatch.setattr(bench_module, "_time_check", fake_check)
    monkeypatch.setattr(bench_module.shutil, "which", lambda name: "/usr/bin/spin")
    status = run_bench([str(_bench_file(tmp_path, COUNTS, promela=True, engines='("vector",)'))],
                       as_json=True, repeat=3, engines=["vector"])
    rows = _rows(capsys.readouterr().out)
    assert status == 0
    assert calls == ["lifecheck", "SPIN"] * 3
    assert rows[0]["process_seconds"] == 2.0 and rows[1]["process_seconds"] == 0.5
    assert rows[1]["build_seconds"] == 4.0 and "build_seconds" not in rows[0]
    assert rows[0]["ratio"]["process"] == 4.0  # ours over SPIN's: above 1, we take longer


def test_a_count_that_differs_fails_loudly(tmp_path: Path, capsys) -> None:
    status = run_bench([str(_bench_file(tmp_path, (262, 877)))], as_json=True, spin=False)
    assert status == 1
    assert "MISMATCH on philosophers/n=5" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("spin") is None, reason="SPIN is installed by ./dev and .ci/run")
def test_spin_counts_the_same_states_in_the_same_run(tmp_path: Path, capsys) -> None:
    results = tmp_path / "RESULTS.md"
    status = run_bench([str(_bench_file(tmp_path, COUNTS, promela=True, engines='("vector",)'))],
                       as_json=True, results=str(results), repeat=1, engines=["vector"])
    rows = _rows(capsys.readouterr().out)
    assert status == 0
    assert [r["tool"] for r in rows] == ["lifecheck", "SPIN"]
    assert rows[0]["distinct_states"] == rows[1]["distinct_states"] == 261
    assert rows[0]["ratio"]["speed"] > 0 and rows[0]["ratio"]["process"] > 0
    assert rows[1]["build_seconds"] > 0 and rows[1]["process_seconds"] > 0
    table = results.read_text()
    assert "| philosophers/n=5 | lifecheck (vector) | 261 | 877 |" in table
    assert "| philosophers/n=5 | SPIN | 261 | 877 |" in table
    assert "median of 1 runs" in table


@pytest.mark.skipif(shutil.which("spin") is None, reason="SPIN is installed by ./dev and .ci/run")
@pytest.mark.parametrize("sizes", [(1, 1, 0), (2, 2, 1), (2, 3, 2), (3, 2, 1)])
def test_the_crash_benchmark_and_its_promela_twin_count_the_same(
        sizes: tuple[int, int, int]) -> None:
    """Distinct states and transitions alike, so the crash step must be offered in the same
    states by both (the bench holds the large instance to SPIN's counts as well)."""
    from lifecheck.cli.bench_spin import SpinTwin
    from lifecheck.modelling.loader import import_spec_file

    crash = import_spec_file(ROOT / "bench" / "crash_extraction.py")
    spec = crash.crash_spec(*sizes)
    result = check_spec(spec, Options(check_liveness=False))
    assert result.verdict == "holds", result.error
    with SpinTwin(spec.name, ROOT / "bench" / "crash_extraction.pml",
                  crash.twin_defines(spec)) as twin:
        theirs = twin.run()
    assert (theirs["states"], theirs["transitions"]) == (
        result.stats.distinct_states, result.stats.transitions + 1)


def test_every_benchmark_of_the_repository_checks_its_first_levels() -> None:
    """The benchmarks are run by hand, not by the suite: a model change once left the
    extraction benchmark without a budget for the faults it calls, unnoticed until a
    bench run died. Each is checked here on its first 3,000 states, liveness off."""
    from lifecheck import Bounds
    from lifecheck.cli.bench import load_benchmarks

    benchmarks = load_benchmarks([str(ROOT / "bench")])
    assert len(benchmarks) >= 6
    for bench in benchmarks:
        result = check_spec(bench.spec, Options(bounds=Bounds(max_depth=12, max_states=3000),
                                                check_liveness=False))
        assert result.error == "", (bench.spec.name, result.error)


def test_a_benchmark_whose_model_is_wrong_is_reported_as_bad_input(tmp_path: Path) -> None:
    from lifecheck.errors import ModelError

    (tmp_path / "bad.py").write_text(
        "from lifecheck import Model, Spec, action, durable, fault, holds\n"
        "class Bad(Model):\n"
        "    x = durable(0)\n"
        "    @action\n"
        "    def go(self):\n"
        "        fault('startup')\n"
        "SPECS = [Spec('bad', Bad(), holds(), properties=[])]\n")
    with pytest.raises(ModelError, match=r"benchmark bad: .*no budget for faults of kind 'startup'"):
        run_bench([str(tmp_path / "bad.py")], as_json=True, spin=False)


def test_a_benchmark_whose_name_groups_others_is_refused(tmp_path: Path) -> None:
    """`lifecheck check FILE::NAME` also checks the specs named NAME/...: timing it would
    time them too, so the bench says so instead of printing a flattering or unflattering
    figure that is not the benchmark's."""
    from lifecheck.errors import ModelError

    (tmp_path / "grouped.py").write_text(
        "from lifecheck import Spec, holds\n"
        "from lifecheck.models.classic.philosophers import Philosophers\n"
        "SPECS = [Spec('p/n=3', Philosophers(n=3), holds(), properties=[]),\n"
        "         Spec('p/n=3/invariant', Philosophers(n=3), holds())]\n"
        "ENGINES = {'p/n=3': ('vector',), 'p/n=3/invariant': ('vector',)}\n")
    with pytest.raises(ModelError, match=r"benchmark p/n=3: .* checks p/n=3/invariant as well"):
        run_bench([f"{tmp_path / 'grouped.py'}::p/n=3"], as_json=True, spin=False, repeat=1)


def _suite(tmp_path: Path, folder: str = "specs") -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "tiny.py").write_text(
        "from lifecheck import Spec, holds\n"
        "from lifecheck.models.classic.philosophers import Philosophers\n"
        "SPECS = [Spec('philosophers/n=3', Philosophers(n=3), holds(), properties=[]),\n"
        "         Spec('philosophers/n=5', Philosophers(n=5), holds(), properties=[])]\n")
    (tmp_path / "suite.py").write_text(f"SUITE = {folder!r}\n")
    return tmp_path / "suite.py"


def test_a_suite_is_checked_whole_by_the_default_engine_and_by_bfs(tmp_path: Path,
                                                                   capsys) -> None:
    """A bench file's SUITE: the folder checked as `lifecheck check FOLDER` and with
    `--engine bfs`, whole processes; the rows sum the specs' counts (transitions with the
    initial states, as every row counts them) and the default's says how it fares."""
    results = tmp_path / "RESULTS.md"
    status = run_bench([str(_suite(tmp_path))], as_json=True, spin=False, repeat=1,
                       results=str(results))
    rows = _rows(capsys.readouterr().out)
    assert status == 0
    assert [(r["engine"], r.get("default", False)) for r in rows] == [
        (Options().engine, True), ("bfs", False)]
    three = check_spec(Spec("p", Philosophers(n=3), holds(), properties=[]), Options(engine="bfs"))
    for row in rows:
        assert row["model"] == "specs/ (2 specs)" and row["suite"] is True
        assert row["distinct_states"] == three.stats.distinct_states + COUNTS[0]
        assert row["transitions"] == three.stats.transitions + 1 + COUNTS[1]
        assert row["process_seconds"] > 0 and row["peak_rss_bytes"] > 0
    versus = rows[0]["versus_bfs"]
    assert versus["process"] == round(rows[0]["process_seconds"] / rows[1]["process_seconds"], 3)
    assert set(versus) == {"process", "search", "timed_specs", "slower", "slowest"}
    text = results.read_text()
    assert "| specs/ (2 specs) | lifecheck (bfs) |" in text
    assert "specs/ (2 specs): default/bfs: process " in text


def test_a_suite_whose_runs_disagree_fails_loudly(tmp_path: Path, capsys, monkeypatch) -> None:
    import lifecheck.cli.bench_suite as suite_module

    real = suite_module._check_folder

    def off_by_one(suite: Any, flags: list[str]) -> dict:
        got = real(suite, flags)
        if flags:  # the bfs run: one state fewer for one spec
            got["specs"]["philosophers/n=5"]["distinct_states"] -= 1
        return got

    monkeypatch.setattr(suite_module, "_check_folder", off_by_one)
    assert run_bench([str(_suite(tmp_path))], as_json=True, spin=False, repeat=1) == 1
    assert "MISMATCH on specs/: philosophers/n=5: lifecheck (auto)" in capsys.readouterr().err


def test_a_suite_that_names_no_folder_is_bad_input(tmp_path: Path) -> None:
    from lifecheck.errors import SpecError

    with pytest.raises(SpecError, match="SUITE names 'nowhere', which is not a folder of specs"):
        run_bench([str(_suite(tmp_path, "nowhere"))], as_json=True, spin=False, repeat=1)


def test_a_spec_counts_as_slower_only_past_the_noise_and_when_long_enough() -> None:
    """Spec by spec, the medians of the searches: a spec the default takes 1.5 times as
    long on counts as slower; one within the machine's spread (1.05) does not, nor one
    whose bfs search is too short to time (0.01 s), however slow."""
    from lifecheck.cli.bench_suite import NOISE, TIMED, _versus

    def run(times: dict[str, float]) -> dict:
        return {"specs": {name: {"seconds": t} for name, t in times.items()}}

    bfs = {"slow": 0.2, "even": 0.2, "short": TIMED / 5}
    auto = {"slow": 0.3, "even": 0.2 * (1 + NOISE / 2), "short": TIMED}
    runs = {"default": [run(auto), run({**auto, "slow": 0.5}), run(auto)], "bfs": [run(bfs)] * 3}
    versus = _versus({"process_seconds": 2.0, "seconds": 0.6}, {"process_seconds": 1.0,
                                                                "seconds": 0.3}, runs)
    assert versus["slower"] == [("slow", 1.5)]
    assert versus["timed_specs"] == 2
    assert versus["slowest"] == {"spec": "slow", "ratio": 1.5}
    assert (versus["process"], versus["search"]) == (2.0, 2.0)


def test_a_spec_whose_runs_overlap_bfs_runs_is_noise_not_slower() -> None:
    """Medians 1.2 apart, but the default's fastest run is faster than bfs's slowest:
    the same code timed on a noisy machine (a spec of a few hundred states runs the
    same explorer either way). Only a spec every run of which is slower counts."""
    from lifecheck.cli.bench_suite import _versus

    def run(seconds: float) -> dict:
        return {"specs": {"spec": {"seconds": seconds}}}

    overlapping = {"default": [run(0.12), run(0.09), run(0.12)], "bfs": [run(0.1), run(0.1), run(0.11)]}
    apart = {"default": [run(0.12), run(0.13), run(0.12)], "bfs": [run(0.1), run(0.1), run(0.11)]}
    total = ({"process_seconds": 1.0, "seconds": 0.1}, {"process_seconds": 1.0, "seconds": 0.1})
    assert _versus(*total, overlapping)["slower"] == []
    assert _versus(*total, overlapping)["slowest"] == {"spec": "spec", "ratio": 1.2}
    assert _versus(*total, apart)["slower"] == [("spec", 1.2)]
