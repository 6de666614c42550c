"""Long runs: a progress line while they run, and a memory budget that ends them cleanly."""

import pytest

from lifecheck import Bounds, Options, Spec, check_spec, holds
from lifecheck.explore.bfs import explore
from lifecheck.explore.exploration import resident_bytes
from lifecheck.models.classic.philosophers import Philosophers


def test_progress_reports_grow_and_describe_the_run():
    reports = []
    system = Spec("p", Philosophers(n=6), holds()).system()
    exploration = explore(system, Options(progress=reports.append, progress_every=0.0))
    assert reports, "a run of 862 states reports at least once at every 256 expansions"
    assert [r.states for r in reports] == sorted(r.states for r in reports)
    assert all(0 < r.states <= exploration.distinct_states and r.rss_bytes > 0 for r in reports)
    assert all(r.depth <= exploration.depth for r in reports)


def test_memory_budget_makes_the_run_incomplete_not_a_crash():
    spec = Spec("p", Philosophers(n=6), holds(), bounds=Bounds(max_memory_mb=1))
    result = check_spec(spec)
    assert result.verdict == "incomplete"
    assert "memory budget 1 MiB reached" in result.incomplete_reason
    assert "memory<=1 MiB" in result.bounds


def test_resident_memory_is_measured():
    assert resident_bytes() > 10 * 2**20


def test_the_vector_explorer_reports_progress_and_keeps_to_its_budgets():
    reports = []
    system = Spec("p", Philosophers(n=6), holds()).system()
    options = Options(progress=reports.append, progress_every=0.0, engine="vector",
                      check_liveness=False)
    from lifecheck.explore.vector import explore_vector

    exploration = explore_vector(system, options)
    assert reports and all(0 < r.states <= exploration.distinct_states for r in reports)
    assert [r.states for r in reports] == sorted(r.states for r in reports)
    for bounds, words in [(Bounds(max_memory_mb=1), "memory budget 1 MiB reached"),
                          (Bounds(max_seconds=0), "time bound 0s reached")]:
        spec = Spec("p", Philosophers(n=6), holds(), bounds=bounds)
        result = check_spec(spec, Options(bounds=bounds, engine="vector", check_liveness=False))
        assert result.verdict == "incomplete"
        assert words in result.incomplete_reason


def test_a_team_of_workers_reports_progress_and_keeps_to_its_budgets():
    """The coordinator runs the same search loop as one process: the progress line,
    and the memory and time bounds, which count the workers' memory too."""
    from lifecheck.explore.parallel import explore_parallel

    reports = []
    system = Spec("p", Philosophers(n=6), holds()).system()
    options = Options(progress=reports.append, progress_every=0.0, check_liveness=False)
    exploration = explore_parallel(system, options, 2)
    assert exploration.distinct_states == 862
    assert reports and [r.states for r in reports] == sorted(r.states for r in reports)
    assert all(0 < r.states <= 862 and r.rss_bytes > 0 for r in reports)
    assert reports[-1].states == 862 and reports[-1].depth == exploration.depth
    own = resident_bytes()
    assert reports[-1].rss_bytes > own, "the workers' memory is counted with the coordinator's"
    for bounds, words in [(Bounds(max_memory_mb=1), "memory budget 1 MiB reached"),
                          (Bounds(max_seconds=0), "time bound 0s reached")]:
        spec = Spec("p", Philosophers(n=6), holds(), bounds=bounds)
        result = check_spec(spec, Options(bounds=bounds, workers=2, check_liveness=False))
        assert result.verdict == "incomplete"
        assert words in result.incomplete_reason


@pytest.mark.parametrize("how", [{"engine": "bfs"}, {"engine": "vector"}, {"workers": 2}],
                         ids=["bfs", "vector", "two-workers"])
def test_every_engine_stops_where_it_checks_its_bounds_when_asked(how: dict) -> None:
    """``Options.stop_requested`` (Ctrl-C on the command line) ends a run as a bound
    does: incomplete, with the reason given and the figures reached."""
    polls = []

    def stop() -> str:
        polls.append(1)
        return "interrupted by a test" if len(polls) >= 2 else ""

    spec = Spec("p", Philosophers(n=8), holds())
    result = check_spec(spec, Options(stop_requested=stop, check_liveness=False, **how))
    assert (result.verdict, result.incomplete_reason) == ("incomplete", "interrupted by a test")
    assert 0 < result.stats.distinct_states < 9_403 and result.stats.depth > 0
    assert len(polls) == 2, "the run stopped at the first poll that asked it to"
