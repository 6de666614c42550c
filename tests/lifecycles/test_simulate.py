"""Random simulation (``lifecheck simulate``): finds bugs in spaces too large to exhaust, proves nothing.

The walks find the shipped designs' bugs with the checker's counterexample
shape, repeat exactly under a seed, say every time that they are not a proof,
and find the power-loss bug of a configuration whose exhaustive check does not
get near it.
"""

from __future__ import annotations

import json
import random
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecheck.cli import main as cli
from lifecheck.contract import Bounds, Options, Step
from lifecheck.explore.verdict import check_spec
from lifecheck.modelling.spec import load_specs
from lifecheck.render.simulation import NOT_A_PROOF, render_simulation, simulation_json
from lifecheck.walks.simulate import (
    RATES,
    Mix,
    draw_mix,
    next_step,
    simulate_spec,
)
from tests.snapshot import assert_snapshot

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
LARGE = ROOT / "examples" / "specs" / "extraction.py"


def spec(path: Path, name: str):
    return load_specs(f"{path}::{name}")[0]


def steps_of(violation) -> list[tuple[str | None, str]]:
    return [(s.process, s.action) for s in violation.trace.steps]


def test_walks_find_the_shipped_extraction_bug_with_the_checkers_counterexample():
    s = spec(SPECS / "extraction.py", "extraction/in-place/crash")
    sim = simulate_spec(s, walks=200, depth=60, seconds=None, seed=0)
    assert sim.violated == ["NoPartialLoad"] and not sim.unexpected
    ours = sim.findings["NoPartialLoad"].violation
    theirs = next(v for v in check_spec(s).violations if v.property == "NoPartialLoad")
    assert steps_of(ours) == steps_of(theirs)
    assert sim.not_checked == ["EventuallyStarts"]  # liveness: not for random walks


def test_walks_find_lost_messages_in_the_shipped_segment_commit():
    s = spec(SPECS / "segment_commit.py", "segment-commit/fire-and-forget/remote-failures")
    sim = simulate_spec(s, walks=200, depth=60, seconds=None, seed=0)
    found = sim.findings["NoLostMessage"].violation
    theirs = next(v for v in check_spec(s).violations if v.property == "NoLostMessage")
    assert Counter(steps_of(found)) == Counter(steps_of(theirs))
    assert sim.reached == {"AllOffloaded": sim.reached["AllOffloaded"]}  # a sometimes-property seen


def test_the_same_seed_gives_the_same_report_and_another_seed_other_walks():
    s = spec(SPECS / "segment_commit.py", "segment-commit/fire-and-forget/crash")
    first = render_simulation(simulate_spec(s, walks=80, depth=40, seconds=None, seed=7), timing=False)
    again = render_simulation(simulate_spec(s, walks=80, depth=40, seconds=None, seed=7), timing=False)
    other = render_simulation(simulate_spec(s, walks=80, depth=40, seconds=None, seed=8), timing=False)
    assert first == again and first != other


def test_a_fixed_design_gives_no_violation_and_the_report_says_it_proves_nothing():
    s = spec(SPECS / "extraction.py", "extraction/rename-fsync/power-loss")
    sim = simulate_spec(s, walks=60, depth=60, seconds=None, seed=0)
    text = render_simulation(sim, timing=False)
    assert not sim.findings
    assert "no violation found (not a proof)" in text and NOT_A_PROOF in text
    assert_snapshot("simulate_rename_fsync.txt", text + "\n")


def test_the_report_of_a_violation_reads_like_the_checkers():
    s = spec(SPECS / "extraction.py", "extraction/in-place/crash")
    text = render_simulation(simulate_spec(s, walks=40, depth=40, seconds=None, seed=0), timing=False)
    assert_snapshot("simulate_in_place.txt", text + "\n")


def test_a_configuration_too_large_to_check_is_not_too_large_to_simulate():
    s = spec(LARGE, "extraction/rename/3-files/2-brokers/power-loss")
    # Exhaustive search, given a second, is nowhere near the bug's depth.
    bounded = check_spec(s, Options(bounds=Bounds(max_seconds=1), check_liveness=False))
    assert bounded.verdict == "incomplete" and bounded.stats.depth < 15
    # Walks find it: two brokers, three files, a power loss after a rename of unsynced files.
    sim = simulate_spec(s, walks=40, depth=200, seconds=None, seed=0)
    assert sim.violated == ["NoPartialLoad"]
    # Shortened to the shortest there is: one broker unpacks all 3 files and renames, the power
    # fails keeping the names but some data, a broker boots and loads.
    trace = sim.findings["NoPartialLoad"].violation.trace
    assert [s.action for s in trace.steps] == (["boot"] + ["unpack_create", "unpack_write"] * 3
                                              + ["rename", "power_loss", "boot", "load"])


# -- the command ---------------------------------------------------------------------------

def test_the_command_exits_0_when_what_it_finds_is_what_the_spec_expects(capsys):
    code = cli(["simulate", f"{SPECS / 'extraction.py'}::extraction/in-place/crash", "--walks", "50",
                "--depth", "40"])
    out = capsys.readouterr().out
    assert code == 0
    assert "violated (NoPartialLoad) by random simulation" in out and "NOT A PROOF" in out


def test_the_command_exits_1_when_a_walk_breaks_a_spec_expected_to_hold(tmp_path, capsys):
    specs = tmp_path / "wrong.py"
    specs.write_text(textwrap.dedent("""
        from lifecheck import Crash, Fail, Spec, holds
        from lifecheck.models.extraction import UnpackInPlace
        SPECS = [Spec("in-place/claimed-safe", UnpackInPlace(files=2), holds(),
                      faults=[Crash(max=1), Fail(max=1, kind="startup")])]
    """))
    code = cli(["simulate", str(specs), "--walks", "100", "--depth", "40", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1
    assert payload[0]["proof"] is False and payload[0]["unexpected"] == ["NoPartialLoad"]
    assert payload[0]["violations"][0]["trace"]["steps"][-1]["action"] == "load"


def test_the_command_refuses_bad_input_with_a_message(capsys):
    assert cli(["simulate", str(SPECS / "extraction.py"), "--walks", "0"]) == 2
    assert "at least one walk" in capsys.readouterr().err
    assert cli(["simulate", "no/such/specs.py"]) == 2
    assert "no such spec file" in capsys.readouterr().err


def test_a_time_limit_stops_the_walks_and_says_how_to_repeat_the_run(capsys):
    s = spec(SPECS / "extraction.py", "extraction/rename/2-brokers/crash")
    sim = simulate_spec(s, walks=10**6, depth=100, seconds=0.5, seed=0)
    assert sim.stopped_by == "time" and 0 < sim.walks < 10**6
    assert f"--walks {sim.walks}" in render_simulation(sim)
    assert simulation_json(sim)["stopped_by"] == "time"


# -- the swarm mix ---------------------------------------------------------------------------

STEPS = [Step("p1", "work"), Step("p1", "crash", fault="crash"), Step("p2", "rest"),
         Step("p1", "work", choices=("remote fails",), fault="remote"), Step(None, "power_loss",
                                                                             fault="power_loss")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(STEPS))), min_size=1, unique=True),
       st.dictionaries(st.sampled_from(["crash", "remote", "power_loss"]), st.sampled_from(RATES)),
       st.frozensets(st.sampled_from(["work", "rest"])), st.integers(0, 2**32))
def test_a_walk_never_injects_a_fault_its_mix_leaves_out(enabled, rates, left_out, seed):
    succs = [(STEPS[i], None) for i in enabled]
    mix = Mix(tuple(sorted(rates.items())), left_out)
    index = next_step(random.Random(seed), succs, mix)
    ordinary = [i for i, (s, _) in enumerate(succs) if not s.fault]
    if index is None:
        assert not ordinary and all(mix.rate(s.fault) == 0 for s, _ in succs)
        return
    chosen = succs[index][0]
    if chosen.fault:
        assert mix.rate(chosen.fault) > 0
    elif chosen.action in left_out:
        assert all(succs[i][0].action in left_out for i in ordinary)  # only when nothing else


def test_mixes_differ_between_walks_and_repeat_under_a_seed():
    kinds, actions = ["crash", "remote"], ["append", "seal", "retention"]
    mixes = [draw_mix(random.Random(f"0/{w}"), kinds, actions) for w in range(40)]
    assert len(set(mixes)) > 20
    assert mixes == [draw_mix(random.Random(f"0/{w}"), kinds, actions) for w in range(40)]


@pytest.mark.parametrize("target", ["extraction.py", "segment_commit.py"])
def test_every_walk_state_is_one_the_explorer_reaches(target):
    from lifecheck.explore.bfs import explore

    s = load_specs(str(SPECS / target))[0]
    system = s.system()
    reachable = set(explore(system, Options(check_liveness=False)).states)
    seen = []
    original = system.successors

    def recording(state):
        seen.append(state)
        return original(state)

    system.successors = recording  # type: ignore[method-assign]
    from lifecheck.walks.simulate import simulate

    simulate(system, walks=40, depth=50, seed=0, deadlock=s.deadlock)
    assert seen and all(state in reachable for state in seen)
