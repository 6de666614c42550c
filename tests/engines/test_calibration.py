"""Calibration against TLC: nine models of the TLA+ Examples with TLC's counts.

Each model is written from the ``.tla`` and ``.cfg`` of the public tlaplus/Examples
repository (commit ``32a32c7b``); the counts are those its ``manifest.json`` files
record for TLC's run of the ``.cfg`` (``distinctStates``, ``totalStates``,
``stateDepth``). Together they use what the issue asked to calibrate: several initial
states, ``CONSTRAINT`` and ``ACTION_CONSTRAINT``, crash flags, and strong fairness.

How TLC's figures convert (read from TLC's source, ``ModelChecker.doNext`` and
``getStatesGenerated``; ``docs/calibration.md`` has the whole account and the table):

- distinct states: the same meaning, no conversion (a state outside the constraints is
  not kept by either tool);
- states generated = the initial states + lifecheck's ``transitions``: both count every
  successor of every kept state, duplicates, self-loops and steps that leave the
  constraints included, and TLC adds the initial states it generated;
- depth: TLC counts the states of the longest shortest path, lifecheck its steps, so
  TLC's depth is lifecheck's + 1 (the hour clock: 1 and 0, every state initial).

TLC generates a successor per disjunct and per ``\\E`` witness that holds, even where
two of them reach the same state; the models branch the same way, and say where.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lifecheck import Options, Spec, Strong, Weak, check_spec, holds, violated
from lifecheck.models.classic.alternating_bit import AlternatingBit
from lifecheck.models.classic.asynch_interface import AsynchInterface
from lifecheck.models.classic.hour_clock import HourClock
from lifecheck.models.classic.inner_fifo import InnerFIFO
from lifecheck.models.classic.nbac_crash import NBACCrash
from lifecheck.models.classic.simple_allocator import SimpleAllocator
from lifecheck.models.classic.tcp import TCP, no_retransmission, single_active_open
from lifecheck.models.classic.twophase import TwoPhaseCommit
from lifecheck.models.classic.twophase_btm import TwoPhaseBTM
from lifecheck.result import Result

DOC = Path(__file__).resolve().parents[2] / "docs" / "calibration.md"
ALLOCATOR_FAIRNESS = [Weak("return_all"), Strong("allocate")]  # WF Return(c, alloc[c]), SF Allocate(c)


@dataclass(frozen=True)
class Calibration:
    cfg: str  #: the TLC model in tlaplus/Examples/specifications
    spec: Callable[[], Spec]
    tlc: tuple[int, int, int]  #: TLC's distinct states, states generated, depth
    initial: int  #: lifecheck's initial states (TLC generates each once too)
    small: bool = True  #: cheap enough to check again on two workers


CALIBRATIONS = [
    Calibration("SpecifyingSystems/HourClock/HourClock.cfg",
                lambda: Spec("HourClock", HourClock(), holds()), (12, 24, 1), 12),
    Calibration("SpecifyingSystems/AsynchronousInterface/AsynchInterface.cfg",
                lambda: Spec("AsynchInterface", AsynchInterface(), holds()), (12, 30, 2), 6),
    Calibration("SpecifyingSystems/FIFO/MCInnerFIFO.cfg",
                lambda: Spec("MCInnerFIFO", InnerFIFO(messages=("m1", "m2", "m3")), holds(),
                             properties=["TypeOk"], constraint=lambda m: len(m.q) <= 3),
                (3864, 9660, 11), 36),
    # The model's own bound (3) never binds below the constraint's (2): every send onto
    # a queue of 2 is enabled, leaves the constraint and is dropped, as in TLC.
    Calibration("SpecifyingSystems/TLC/MCAlternatingBit.cfg",
                lambda: Spec("MCAlternatingBit", AlternatingBit(msg_q_len=3, ack_q_len=3), holds(),
                             properties=["ABTypeInv"],
                             constraint=lambda m: len(m.msg_q) <= 2 and len(m.ack_q) <= 2),
                (240, 1392, 10), 8),
    Calibration("tcp/MCtcp.cfg",
                lambda: Spec("MCtcp", TCP(), holds(), properties=["TypeOK", "Inv"],
                             constraint=no_retransmission, action_constraint=single_active_open),
                (1182, 6322, 14), 2),
    Calibration("nbacc_ray97/nbacc_ray97.cfg",
                lambda: Spec("nbacc_ray97", NBACCrash(n=2), holds()), (3016, 49592, 7), 16,
                small=False),
    Calibration("transaction_commit/2PCwithBTM.cfg",
                lambda: Spec("2PCwithBTM", TwoPhaseBTM(), holds()), (1245, 5841, 15), 1),
    Calibration("allocator/SimpleAllocator.cfg",
                lambda: Spec("SimpleAllocator", SimpleAllocator(), holds(),
                             fairness=ALLOCATOR_FAIRNESS),
                (400, 1633, 6), 1),
    Calibration("transaction_commit/TwoPhase.cfg",
                lambda: Spec("TwoPhase", TwoPhaseCommit(rms=3), holds()), (288, 1146, 11), 1),
]
BY_CFG = {c.cfg: c for c in CALIBRATIONS}
_results: dict[str, Result] = {}


def bfs_result(c: Calibration) -> Result:
    """The bfs explorer's result (liveness included), once per test session."""
    if c.cfg not in _results:
        _results[c.cfg] = check_spec(c.spec())
    return _results[c.cfg]


def as_tlc(c: Calibration, result: Result) -> tuple[int, int, int]:
    """lifecheck's figures in TLC's conventions: distinct, initial + transitions, depth + 1."""
    return (result.stats.distinct_states, c.initial + result.stats.transitions, result.stats.depth + 1)


@pytest.mark.parametrize("cfg", list(BY_CFG))
def test_bfs_counts_equal_tlcs(cfg: str) -> None:
    c = BY_CFG[cfg]
    spec = c.spec()
    assert len(spec.system().init_states()) == c.initial
    result = bfs_result(c)
    assert (result.error, result.verdict) == ("", "holds")  # TLC's result: success
    assert as_tlc(c, result) == c.tlc


@pytest.mark.parametrize("cfg", list(BY_CFG))
def test_vector_engine_counts_equal_tlcs_where_it_accepts_the_spec(cfg: str) -> None:
    c = BY_CFG[cfg]
    spec = c.spec()
    result = check_spec(spec, Options(engine="vector"))  # liveness included, as on bfs
    assert (result.error, result.verdict) == ("", "holds")
    assert as_tlc(c, result) == c.tlc


@pytest.mark.parametrize("cfg", [c.cfg for c in CALIBRATIONS if c.small])
def test_two_workers_count_as_tlc(cfg: str) -> None:
    c = BY_CFG[cfg]
    result = check_spec(c.spec(), Options(workers=2))  # liveness included, as on bfs
    assert (result.error, result.verdict) == ("", "holds")
    assert as_tlc(c, result) == c.tlc


def test_conventions_by_hand_on_the_asynchronous_interface() -> None:
    """Six initial states (3 values, 2 bits); from the six where ``rdy = ack`` a send
    to each of 3 values, from the six where they differ one receive: 6 + 18 + 6 = 30
    generated, and every state is at most one step from an initial one (TLC: depth 2)."""
    result = bfs_result(BY_CFG["SpecifyingSystems/AsynchronousInterface/AsynchInterface.cfg"])
    assert result.stats.transitions == 6 * 3 + 6 * 1
    assert result.stats.depth == 1


def test_steps_outside_the_constraints_count_as_generated_not_as_states() -> None:
    """TLC generates a step that leaves the constraint and drops its state: lifecheck
    counts it among the transitions and in ``outside``, not among the states."""
    for cfg, outside in [("SpecifyingSystems/TLC/MCAlternatingBit.cfg", 188),
                         ("SpecifyingSystems/FIFO/MCInnerFIFO.cfg", 1944), ("tcp/MCtcp.cfg", 3116)]:
        assert bfs_result(BY_CFG[cfg]).stats.outside == outside, cfg


def test_the_allocator_needs_strong_fairness_on_allocating() -> None:
    """TLC proves every property of ``SimpleAllocator.cfg`` under ``SF`` on allocating;
    with weak fairness alone two clients can keep a third from ever getting a resource."""
    strong = bfs_result(BY_CFG["allocator/SimpleAllocator.cfg"])
    assert strong.fairness == "weak fairness on return_all; strong fairness on allocate"
    assert len(strong.properties) == 2 + 3 + 6 + 3
    weak = check_spec(Spec("SimpleAllocator/weak", SimpleAllocator(),
                           violated(*(f"ClientsWillObtain(c{c},r{r})" for c in (1, 2, 3) for r in (1, 2)),
                                    *(f"InfOftenSatisfied(c{c})" for c in (1, 2, 3))),
                           fairness=[Weak("return_all", "allocate")]))
    assert weak.error == "" and weak.matches, weak.violated_properties


def test_the_table_in_the_docs_is_the_one_pinned_here() -> None:
    rows = [line for line in DOC.read_text().splitlines()
            if line.startswith("| ") and ".cfg" in line.split("|")[1]]
    assert len(rows) == len(CALIBRATIONS)
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        c = BY_CFG[cells[0]]
        assert [int(n) for n in cells[3].split(" / ")] == list(c.tlc), row
        ours = [int(n) for n in re.findall(r"\d+", cells[4])]
        result = bfs_result(c)
        assert ours == [result.stats.distinct_states, c.initial, result.stats.transitions,
                        result.stats.depth, 1], row
