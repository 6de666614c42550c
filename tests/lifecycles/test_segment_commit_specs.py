"""Pinned outcomes of every segment-commit and index-upload spec (lifecycles.md section 2), the
steps the designs hinge on, and broken variants showing that each property has teeth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from lifecheck import Bounds, Crash, Fail, Options, Spec, action, check_spec, holds, require, violated
from lifecheck.components.executor import Reply, Task
from lifecheck.components.remote_store import RemoteObject
from lifecheck.modelling.compile import ModelSystem
from lifecheck.models.segment_commit import (
    BackgroundRecommit,
    Broker,
    Commit,
    FireAndForget,
    IndexService,
    IndexUpload,
    RetryAndRecover,
    RetryOnFailure,
    Segment,
)
from lifecheck.result import Result
from specs.segment_commit import SPECS
from tests.pinned import PinnedSpecs, steps, violation

LOST = frozenset({"NoLostMessage", "EventuallyUploaded"})
NONE: frozenset[str] = frozenset()

# name -> (verdict, violated properties, distinct states, depth)
PINNED: dict[str, tuple[str, frozenset[str], int, int]] = {
    "segment-commit/fire-and-forget/remote-failures": ("violated", LOST, 562, 17),
    "segment-commit/fire-and-forget/crash": ("violated", LOST, 377, 15),
    "segment-commit/retry/remote-failures": ("holds", NONE, 1472, 19),
    "segment-commit/retry/crash": ("violated", frozenset({"EventuallyUploaded"}), 3265, 20),
    "segment-commit/retry-and-recover/crash": ("holds", NONE, 3079, 20),
    "segment-commit/background-recommit/remote-failures": ("holds", NONE, 538, 17),
    "segment-commit/background-recommit/crash": ("holds", NONE, 1257, 18),
    "index-upload/shipped/remote-failures":
        ("violated", frozenset({"ShutdownComplete", "FetcherSeesCompleteFiles"}), 120, 10),
    "index-upload/shutdown-fix/remote-failures":
        ("violated", frozenset({"FetcherSeesCompleteFiles"}), 186, 13),
    "index-upload/fetcher-fix/remote-failures": ("violated", frozenset({"ShutdownComplete"}), 72, 10),
    "index-upload/fixed/remote-failures": ("holds", NONE, 120, 13),
    "index-upload/fixed/crash": ("holds", NONE, 465, 15),
}

FILL_SEG0 = ["broker1 start", "broker1 append", "broker1 append", "broker1 seal"]
FILL_BOTH = [*FILL_SEG0, "broker1 append", "broker1 append", "broker1 seal"]
FAILED_COMMIT = "broker1 run_task -> Commit(segment=0), remote fails"

# The shortest counterexample of each safety violation, per spec.
SAFETY_TRACES: dict[tuple[str, str], list[str]] = {
    # The incident: the full segment's commit fails, nobody reads the result (the task
    # was submitted without a reply), and retention deletes the only copy.
    ("segment-commit/fire-and-forget/remote-failures", "NoLostMessage"):
        [*FILL_SEG0, FAILED_COMMIT, "broker1 retention(segment=0)"],
    # The crash between seal and commit: the commit dies with the process, the segment
    # is sealed, no commit is in flight, so retention takes it for uploaded.
    ("segment-commit/fire-and-forget/crash", "NoLostMessage"):
        [*FILL_SEG0, "broker1 crash", "broker1 start", "broker1 retention(segment=0)"],
    # The shipped shutdown stops the upload thread; the last (only) file stays local.
    ("index-upload/shipped/remote-failures", "ShutdownComplete"):
        ["indexservice1 put_key", "indexservice1 shutdown"],
    ("index-upload/fetcher-fix/remote-failures", "ShutdownComplete"):
        ["indexservice1 put_key", "indexservice1 shutdown"],
    # File 0 is sealed and one of its two entries is up: the fetcher serves the half.
    ("index-upload/shipped/remote-failures", "FetcherSeesCompleteFiles"):
        ["indexservice1 put_key", "indexservice1 put_key", "indexservice1 upload_part",
         "fetcher1 fetch(file=0)"],
    ("index-upload/shutdown-fix/remote-failures", "FetcherSeesCompleteFiles"):
        ["indexservice1 put_key", "indexservice1 put_key", "indexservice1 upload_part",
         "fetcher1 fetch(file=0)"],
}

# EventuallyUploaded: every counterexample ends idle (a stutter) with a sealed segment
# that nothing will ever commit again.
LIVENESS_STEMS: dict[str, list[str]] = {
    "segment-commit/fire-and-forget/remote-failures":
        [*FILL_BOTH, "broker1 run_task -> Commit(segment=0)",
         "broker1 run_task -> Commit(segment=1), remote fails",
         "broker1 retention(segment=0)", "broker1 retention(segment=1)"],
    "segment-commit/fire-and-forget/crash":
        [*FILL_BOTH, "broker1 crash", "broker1 start",
         "broker1 retention(segment=0)", "broker1 retention(segment=1)"],
    # Fix (a) keeps both segments on disk (no message lost) but its retries died in the crash.
    "segment-commit/retry/crash": [*FILL_BOTH, "broker1 crash", "broker1 start"],
}

PINS = PinnedSpecs(SPECS, PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()


@pytest.mark.parametrize(("name", "prop"), list(SAFETY_TRACES))
def test_safety_counterexample(name: str, prop: str) -> None:
    assert steps(violation(result_of(name), prop).trace) == SAFETY_TRACES[name, prop]


def test_the_ignored_commit_result_is_the_step_the_loss_hinges_on() -> None:
    trace = violation(result_of("segment-commit/fire-and-forget/remote-failures"),
                      "NoLostMessage").trace
    failed = trace.steps[4]
    assert failed.fault == "remote" and failed.choices == ("Commit(segment=0)", "remote fails")
    # The task was fire and forget: it leaves the queue and no reply is kept for anyone.
    assert [(c.field, c.before, c.after) for c in failed.changes] == [
        ("executor.pending", (Task("broker1", Commit(0), reply=False),), ())]
    deleted = trace.steps[5].changes
    assert [(c.field, c.after) for c in deleted] == [
        ("broker1.segments[0]", Segment(size=2, sealed=True, committed=0, local=False))]


@pytest.mark.parametrize("name", list(LIVENESS_STEMS))
def test_eventually_uploaded_counterexample_ends_idle_with_a_segment_never_uploaded(
        name: str) -> None:
    trace = violation(result_of(name), "EventuallyUploaded").trace
    assert trace.stutter and trace.loop_start == len(trace.steps)
    assert steps(trace) == LIVENESS_STEMS[name]


def test_the_fire_and_forget_counterexample_is_the_shortest() -> None:
    (spec,) = [s for s in SPECS if s.name == "segment-commit/fire-and-forget/remote-failures"]
    for depth, found in ((5, False), (6, True)):
        result = check_spec(spec, Options(bounds=Bounds(max_depth=depth)))
        assert ("NoLostMessage" in result.violated_properties) is found, depth


# -- walking the designs: the branches the counterexamples do not show ----------------------

def _walk(system: ModelSystem, *moves: str) -> Any:
    state = system.init_states()[0]
    for move in moves:
        found = [out for s, out in system.successors(state) if f"{s.who()} {s.label()}" == move]
        assert len(found) == 1, (move, [f"{s.who()} {s.label()}"
                                        for s, _ in system.successors(state)])
        state = found[0]
    return state


REMOTE_FAILS = (Fail(kind="remote", max=2),)
NO_REMOTE_FAILURE = Fail(kind="remote", max=0)  # every request succeeds


def test_fire_and_forget_loses_the_tail_after_the_last_successful_commit() -> None:
    system = ModelSystem(FireAndForget(), REMOTE_FAILS)
    seen = system.describe(_walk(
        system, "broker1 start", "broker1 append", "broker1 flush",
        "broker1 run_task -> Commit(segment=0)",  # the flush uploads message 0
        "broker1 append", "broker1 seal", FAILED_COMMIT, "broker1 retention(segment=0)"))
    assert seen["remote.objects"]["seg0"] == RemoteObject((0,))
    assert seen["broker1.segments"][0] == Segment(size=2, sealed=True, committed=1, local=False)
    assert seen["acked"] == 2  # message 1 was acknowledged and is nowhere now


def test_retry_resubmits_a_failed_commit_from_its_callback() -> None:
    system = ModelSystem(RetryOnFailure(), REMOTE_FAILS)
    failed = _walk(system, *FILL_SEG0, FAILED_COMMIT)
    assert system.describe(failed)["executor.replies"] == (Reply("broker1", Commit(0), False),)
    assert "broker1 retention(segment=0)" not in [f"{s.who()} {s.label()}"
                                                  for s, _ in system.successors(failed)]
    retried = _walk(system, *FILL_SEG0, FAILED_COMMIT,
                    "broker1 commit_done -> broker1:Commit(segment=0) -> False")
    assert system.describe(retried)["executor.pending"] == (Task("broker1", Commit(0)),)


def test_retry_and_recover_commits_again_on_start_after_a_crash() -> None:
    system = ModelSystem(RetryAndRecover(), (Crash(max=1), NO_REMOTE_FAILURE))
    state = _walk(system, *FILL_SEG0, "broker1 crash")
    assert system.describe(state)["executor.pending"] == ()
    state = _walk(system, *FILL_SEG0, "broker1 crash", "broker1 start")
    assert system.describe(state)["executor.pending"] == (Task("broker1", Commit(0)),)


def test_background_recommit_picks_up_a_sealed_segment_after_a_crash() -> None:
    system = ModelSystem(BackgroundRecommit(), (Crash(max=1), NO_REMOTE_FAILURE))
    state = _walk(system, *FILL_SEG0, "broker1 crash", "broker1 start", "broker1 recommit")
    assert system.describe(state)["executor.pending"] == (Task("broker1", Commit(0), reply=False),)


def test_a_crash_mid_upload_leaves_an_open_object_the_fixed_fetcher_ignores() -> None:
    system = ModelSystem(IndexUpload(flush_on_shutdown=True, fetcher_checks=True),
                         (Crash(max=1), NO_REMOTE_FAILURE))
    moves = ["indexservice1 put_key", "indexservice1 put_key", "indexservice1 upload_part",
             "indexservice1 crash", "fetcher1 fetch(file=0)"]
    seen = system.describe(_walk(system, *moves))
    assert seen["remote.objects"]["index0"] == RemoteObject((0,))
    assert seen["fetcher1.served"] is None
    # The restarted upload starts the object afresh rather than appending to the leftover.
    seen = system.describe(_walk(system, *moves, "indexservice1 upload_part"))
    assert seen["remote.objects"]["index0"] == RemoteObject((0,))
    assert seen["indexservice1.parts_done"] == 1


def test_the_fixed_shutdown_uploads_the_last_file_before_it_returns() -> None:
    system = ModelSystem(IndexUpload(flush_on_shutdown=True, fetcher_checks=True),
                         (NO_REMOTE_FAILURE,))
    state = _walk(system, "indexservice1 put_key", "indexservice1 shutdown")
    assert "indexservice1 stopped" not in [f"{s.who()} {s.label()}"
                                           for s, _ in system.successors(state)]
    seen = system.describe(_walk(system, "indexservice1 put_key", "indexservice1 shutdown",
                                 "indexservice1 upload_part", "indexservice1 complete_upload",
                                 "indexservice1 stopped"))
    assert dict(seen["remote.objects"]) == {"index0": RemoteObject((0,), complete=True)}
    assert seen["indexservice1.phase"] == "stopped"


# -- the properties have teeth: broken variants must violate them -----------------------------

def check(model: Any, prop: str, faults: Any, *also: str) -> Result:
    """Check one property of a broken variant: it must be violated (with exactly ``also``);
    without a budget for failed requests, none fails."""
    if not any(isinstance(f, Fail) for f in faults):
        faults = [*faults, NO_REMOTE_FAILURE]
    result = check_spec(Spec(f"broken/{prop}", model, violated(prop, *also), faults=faults,
                             properties=[prop]))
    assert result.matches, (result.verdict, result.violated_properties, result.error)
    return result


class RetentionAfterAnyCommit(BackgroundRecommit):
    """Broken on purpose: retention trusts a segment as soon as some commit succeeded."""

    def considered_uploaded(self, b: Broker, i: int) -> bool:
        return b.segments[i].committed > 0


def test_no_lost_message_catches_retention_that_trusts_a_partial_commit() -> None:
    # The seal's commit of message 1 then finds the local file gone: the model's assertion.
    result = check(RetentionAfterAnyCommit(), "NoLostMessage", [], "AssertionInAction")
    assert steps(violation(result, "NoLostMessage").trace) == [
        "broker1 start", "broker1 append", "broker1 flush", "broker1 run_task -> Commit(segment=0)",
        "broker1 append", "broker1 seal", "broker1 retention(segment=0)"]


@dataclass(frozen=True)
class Retry(Commit):
    """The second attempt at a segment's commit."""


class RetryOnce(RetryOnFailure):
    """Broken on purpose: a failed commit is retried once, then given up."""

    @action(Broker)
    def commit_done(self, b: Broker) -> None:
        done = self.executor.take_reply()
        if not done.outcome and not isinstance(done.work, Retry):
            self.executor.submit(Retry(done.work.segment), reply=True)


def test_eventually_uploaded_catches_a_retry_that_gives_up() -> None:
    result = check(RetryOnce(), "EventuallyUploaded", [Fail(kind="remote", max=2)])
    trace = result.violations[0].trace
    assert trace.stutter
    assert steps(trace) == [
        *FILL_BOTH, "broker1 run_task -> Commit(segment=0)",
        "broker1 run_task -> Commit(segment=1), remote fails", "broker1 retention(segment=0)",
        "broker1 commit_done -> broker1:Commit(segment=0) -> True",
        "broker1 commit_done -> broker1:Commit(segment=1) -> False",
        "broker1 run_task -> Retry(segment=1), remote fails",
        "broker1 commit_done -> broker1:Retry(segment=1) -> False"]
    # ... while no message is lost: retention still waits for the committed position.
    assert check_spec(Spec("retry-once", RetryOnce(), holds(), faults=[Fail(kind="remote", max=2)],
                           properties=["NoLostMessage"])).verdict == "holds"


class ShutdownForgetsItsOwnFile(IndexUpload):
    """Broken on purpose: shutdown seals the last file but waits only for the files before it."""

    @action(IndexService)
    def stopped(self, s: IndexService) -> None:
        require(s.phase == "stopping")
        last = len(s.files) - 1
        require(all(f.uploaded for n, f in s.files.items() if n != last))
        s.phase = "stopped"


def test_shutdown_complete_catches_a_shutdown_that_skips_the_file_it_sealed() -> None:
    result = check(ShutdownForgetsItsOwnFile(flush_on_shutdown=True, fetcher_checks=True),
                   "ShutdownComplete", [])
    assert steps(result.violations[0].trace) == [
        "indexservice1 put_key", "indexservice1 shutdown", "indexservice1 stopped"]


class CompleteTooEarly(IndexUpload):
    """Broken on purpose: the uploader marks a file complete after its first part."""

    @action(IndexService)
    def complete_upload(self, s: IndexService) -> None:
        require(s.phase in ("running", "stopping"))
        n = self.next_upload(s)
        require(n is not None and s.parts_done >= 1)
        if self.remote.complete(self.key(n)):
            self.set_file(s, n, uploaded=True)
            s.parts_done = 0


def test_fetcher_sees_complete_files_judges_by_the_contents_not_the_flag() -> None:
    result = check(CompleteTooEarly(flush_on_shutdown=True, fetcher_checks=True),
                   "FetcherSeesCompleteFiles", [])
    assert steps(result.violations[0].trace) == [
        "indexservice1 put_key", "indexservice1 put_key", "indexservice1 upload_part",
        "indexservice1 complete_upload", "fetcher1 fetch(file=0)"]


class WaitWithoutSealing(IndexUpload):
    """Broken on purpose: shutdown waits for every file but never seals the last one."""

    @action(IndexService)
    def shutdown(self, s: IndexService) -> None:
        require(s.phase == "running")
        s.phase = "stopping"


def test_shutdown_terminates_catches_a_shutdown_waiting_for_a_file_nobody_uploads() -> None:
    result = check(WaitWithoutSealing(flush_on_shutdown=True, fetcher_checks=True),
                   "ShutdownTerminates", [])
    trace = result.violations[0].trace
    # Nothing but the fetcher's reads (of a file that never appears) happens, forever.
    assert steps(trace) == ["indexservice1 put_key", "indexservice1 shutdown",
                            "fetcher1 fetch(file=0)"]
    assert trace.loop_start == 2 and not trace.stutter
