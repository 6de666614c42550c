"""The real tiered-storage broker held to the segment-commit models.

A real broker (examples/segment_commit/broker.py) appends to segment files on
local disk, commits them to an object store in a local directory that is told
to fail requests where the model's requests fail, and runs retention. The
shipped fire-and-forget design loses acknowledged messages, with the checker's
own counterexample, whether a commit fails or a crash drops it; the fixed
design (background re-commit) follows its model; and a broker of the wrong
design diverges.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future

import pytest

from examples.segment_commit.broker import FireAndForgetBroker, RecommitBroker, SegmentsFull
from examples.segment_commit.conformance import (
    FIRE_AND_FORGET,
    FIRE_AND_FORGET_CRASH,
    RECOMMIT,
    RECOMMIT_CRASH,
    SegmentCommitAdapter,
)
from examples.segment_commit.executor import SteppedExecutor
from examples.segment_commit.store import DiskObjectStore, StoreUnavailable
from lifecheck.conformance import Conformance, check_conformance, conformance_settings
from lifecheck.explore.verdict import check_spec

SETTINGS = conformance_settings(max_examples=25, stateful_step_count=30, database=None)


def checker_trace(conformance: Conformance, prop: str) -> list[tuple[str | None, str]]:
    violation = next(v for v in check_spec(conformance.spec).violations if v.property == prop)
    return [(s.process, s.action) for s in violation.trace.steps]


@pytest.mark.parametrize("conformance", [FIRE_AND_FORGET, FIRE_AND_FORGET_CRASH], ids=lambda c: c.name)
def test_the_shipped_broker_loses_messages_like_the_checker_says(conformance, tmp_path):
    found = check_conformance(conformance, workdir=tmp_path, settings=SETTINGS, seed=0)
    assert found is not None and found.property == "NoLostMessage"
    ours, theirs = found.actions(), checker_trace(conformance, "NoLostMessage")
    assert len(ours) == len(theirs) and Counter(ours) == Counter(theirs)
    assert ours[-1] == ("broker1", "retention")  # retention deleted the only copy
    assert "agreed with the model at every step" in str(found)


def test_the_failed_commit_in_the_trace_is_a_request_the_real_store_refused(tmp_path):
    found = check_conformance(FIRE_AND_FORGET, workdir=tmp_path, settings=SETTINGS, seed=0)
    assert found is not None
    failed = [s for s in found.violation.trace.steps if s.fault == "remote"]
    assert [s.action for s in failed] == ["run_task"]


@pytest.mark.parametrize("conformance", [RECOMMIT, RECOMMIT_CRASH], ids=lambda c: c.name)
def test_the_fixed_broker_follows_its_model(conformance, tmp_path):
    assert check_conformance(conformance, workdir=tmp_path, settings=SETTINGS, seed=0) is None


class FireAndForgetPosingAsFixed(SegmentCommitAdapter):
    """Drives the shipped broker where the model is the fixed design."""

    def __init__(self, system, workdir):
        super().__init__(system, workdir)
        self.design = FireAndForgetBroker


def test_a_broker_of_another_design_diverges(tmp_path):
    wrong = Conformance(RECOMMIT.spec, FireAndForgetPosingAsFixed, name="shipped broker, fixed model")
    found = check_conformance(wrong, workdir=tmp_path, settings=SETTINGS, seed=0)
    assert found is not None and found.property == "Conformance"
    assert "does not implement the design that was checked" in str(found)


# -- the real pieces on their own ---------------------------------------------------------------

def test_a_store_told_to_fail_refuses_that_many_requests_and_changes_nothing(tmp_path):
    store = DiskObjectStore(tmp_path)
    store.fail_next(2)
    for _ in range(2):
        with pytest.raises(StoreUnavailable):
            store.append("seg0", [b"m0"])
    assert store.contents("seg0") is None and store.failures_armed == 0
    store.append("seg0", [b"m0", b"m1"])
    store.append("seg0", [b"m2"])
    assert store.read("seg0") == [b"m0", b"m1", b"m2"]
    store.complete("seg0")
    with pytest.raises(ValueError, match="already complete"):
        store.append("seg0", [b"m3"])


def test_the_executor_runs_a_task_only_when_told_and_keeps_its_error_in_the_future():
    executor = SteppedExecutor()
    ran = []
    future: Future = executor.submit("a", ran.append, 1)
    assert executor.busy("a") and not future.done() and ran == []
    executor.run("a")
    assert ran == [1] and future.done() and not executor.busy("a")
    failing = executor.submit("b", lambda: 1 / 0)
    executor.run("b")
    assert isinstance(failing.exception(), ZeroDivisionError)
    with pytest.raises(LookupError):
        executor.run("b")


def broker(design, tmp_path, store):
    design.format(tmp_path / "segments", 2)
    return design(tmp_path / "segments", store, SteppedExecutor(), segments=2, capacity=2)


def test_the_shipped_broker_deletes_a_segment_whose_commit_failed(tmp_path):
    store = DiskObjectStore(tmp_path / "store")
    b = broker(FireAndForgetBroker, tmp_path, store)
    b.append(b"m0")
    b.append(b"m1")
    with pytest.raises(SegmentsFull):
        b.append(b"m2")  # the active segment is full: roll first
    b.roll()
    store.fail_next()
    b.executor.run(("commit", 0))
    assert b.delete_if_uploaded(0)  # the future is done, so retention deletes the only copy
    assert store.contents("seg0") is None


def test_the_fixed_broker_recommits_after_a_crash_and_only_then_deletes(tmp_path):
    store = DiskObjectStore(tmp_path / "store")
    b = broker(RecommitBroker, tmp_path, store)
    b.append(b"m0")
    b.append(b"m1")
    b.roll()  # the commit is in flight when the broker dies
    restarted = RecommitBroker(tmp_path / "segments", store, SteppedExecutor(), segments=2,
                               capacity=2)
    assert not restarted.delete_if_uploaded(0)
    assert restarted.recommit_scan() == [0]
    restarted.executor.run(("commit", 0))
    assert restarted.delete_if_uploaded(0)
    assert store.contents("seg0") == [b"m0", b"m1"]
