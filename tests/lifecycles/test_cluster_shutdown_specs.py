"""Pinned outcomes of every cluster-shutdown spec (lifecycles.md section 4), the incident
in the shipped design's counterexample, the timing that makes it show only sometimes,
recovery after a crash mid-snapshot, and broken variants showing each property has teeth.
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import Bounds, Crash, Fail, Options, Spec, action, check_spec, holds, require
from lifecheck.components.channel import END, Channel
from lifecheck.explore.bfs import explore
from lifecheck.modelling.compile import ModelSystem
from lifecheck.models.cluster_shutdown import (
    ABANDONED,
    ACTIVE,
    ARCHIVE,
    CLOSE_SESSION,
    CLOSED_BY_REQUEST,
    CLOSED_WITH_ARCHIVE,
    CM,
    SHUTDOWN,
    SNAPSHOTTING,
    TERMINATE,
    ConsensusModule,
    Fixed,
    Shipped,
)
from specs.cluster_shutdown import SPECS
from tests.pinned import PinnedSpecs, steps

ABANDONED_ONLY = frozenset({"NoAbandonedSession"})
NODE_CRASH = Crash(max=1, roles=("consensus",))

# name -> (verdict, violated properties, distinct states, depth)
PINNED: dict[str, tuple[str, frozenset[str], int, int]] = {
    "cluster-shutdown/shipped/no-crash": ("violated", ABANDONED_ONLY, 24, 17),
    "cluster-shutdown/shipped/crash": ("violated", ABANDONED_ONLY, 220, 24),
    "cluster-shutdown/shipped/client-not-owned": ("holds", frozenset(), 29, 18),
    "cluster-shutdown/fixed/no-crash": ("holds", frozenset(), 29, 18),
    "cluster-shutdown/fixed/crash": ("holds", frozenset(), 250, 25),
    "cluster-shutdown/fixed/2-crashes": ("holds", frozenset(), 1286, 31),
    "cluster-shutdown/archive-client-last/no-crash": ("violated", ABANDONED_ONLY, 25, 17),
}

SHUTDOWN_UNTIL_GRACE = [
    "consensusmodule1 start", "env operator_requests_shutdown", "consensusmodule1 take_snapshot",
    "consensusmodule1 write_snapshot_part", "consensusmodule1 write_snapshot_part",
    "consensusmodule1 mark_snapshot_complete", "consensusmodule1 tell_services",
    "servicecontainer1 service_polls", "servicecontainer2 service_polls",
    "consensusmodule1 collect_ack(service='servicecontainer1')",
    "consensusmodule1 collect_ack(service='servicecontainer2')", "consensusmodule1 grace_period",
]
ARCHIVE_SEES_THE_STREAM_END = ["env archive_polls", "consensusmodule1 close_archive",
                               "consensusmodule1 close_driver"]

GUARD_SKIPS = "guard skips the close: the module owns its client"

# The shortest counterexample to NoAbandonedSession, per violated spec.
ABANDONED_TRACES: dict[str, list[str]] = {
    "cluster-shutdown/shipped/no-crash": [
        *SHUTDOWN_UNTIL_GRACE, f"consensusmodule1 close_archive_client -> {GUARD_SKIPS}",
        "consensusmodule1 close_messaging_client", *ARCHIVE_SEES_THE_STREAM_END],
    "cluster-shutdown/archive-client-last/no-crash": [
        *SHUTDOWN_UNTIL_GRACE, "consensusmodule1 close_messaging_client",
        "consensusmodule1 close_archive_client", *ARCHIVE_SEES_THE_STREAM_END],
}
ABANDONED_TRACES["cluster-shutdown/shipped/crash"] = ABANDONED_TRACES["cluster-shutdown/shipped/no-crash"]

PINS = PinnedSpecs(SPECS, PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()


def changed(step: Any) -> dict[str, tuple[Any, Any]]:
    return {c.field: (c.before, c.after) for c in step.changes}


@pytest.mark.parametrize("name", list(ABANDONED_TRACES))
def test_abandoned_session_counterexample(name: str) -> None:
    (v,) = [v for v in result_of(name).violations if v.property == "NoAbandonedSession"]
    assert steps(v.trace) == ABANDONED_TRACES[name]
    polled = v.trace.steps[-3]
    assert changed(polled)[f"archive.sessions[{CM!r}]"] == ("open", ABANDONED)


def test_in_the_shipped_trace_the_close_guard_skips_the_archive_client() -> None:
    (v,) = result_of("cluster-shutdown/shipped/no-crash").violations
    guard, messaging = v.trace.steps[12], v.trace.steps[13]
    assert guard.label == f"close_archive_client -> {GUARD_SKIPS}"
    # Nothing but the phase moves: no close-session request, the client stays connected.
    assert changed(guard) == {f"{CM}.phase": ("close archive client", "close messaging client")}
    # Closing the messaging client is what ends the request stream the archive then sees end.
    assert changed(messaging)[f"net.queues[{(CM, ARCHIVE)!r}]"][1] == (END,)


def test_the_shipped_counterexample_is_the_shortest() -> None:
    (spec,) = [s for s in SPECS if s.name == "cluster-shutdown/shipped/no-crash"]
    for depth, found in ((16, False), (17, True)):
        result = check_spec(spec, Options(bounds=Bounds(max_depth=depth)))
        assert ("NoAbandonedSession" in result.violated_properties) is found, depth


# -- the timing: the shipped design closes cleanly in some interleavings ----------------

def closed_sessions(model: Any, faults: tuple = ()) -> set[tuple[str, ...]]:
    """The archive's session states in every state where the node has closed."""
    system = ModelSystem(model, faults)
    found: set[tuple[str, ...]] = set()

    def note(_: int, state: Any) -> None:
        seen = system.describe(state)
        if seen[f"{CM}.exited"] and seen[f"{CM}.phase"] == "closed":
            found.add(tuple(seen["archive.sessions"].values()))

    explore(system, Options(), note)
    return found


def test_the_shipped_design_abandons_the_session_only_sometimes() -> None:
    # Closed with the archive: the node closed the archive before it saw the stream end.
    assert closed_sessions(Shipped()) == {(CLOSED_WITH_ARCHIVE,), (ABANDONED,)}


def test_the_fix_never_abandons_the_session() -> None:
    assert closed_sessions(Fixed(), (NODE_CRASH,)) == {(CLOSED_BY_REQUEST,), (CLOSED_WITH_ARCHIVE,)}


# -- walking one behaviour ---------------------------------------------------------------

def walk(system: ModelSystem, *moves: str) -> Any:
    state = system.init_states()[0]
    for move in moves:
        (state,) = [out for s, out in system.successors(state) if f"{s.who()} {s.label()}" == move]
    return state


def test_the_fixed_close_path_puts_close_session_ahead_of_the_streams_end() -> None:
    system = ModelSystem(Fixed())
    state = walk(system, *SHUTDOWN_UNTIL_GRACE, "consensusmodule1 close_archive_client")
    seen = system.describe(state)
    assert seen["net.queues"][(CM, ARCHIVE)] == (CLOSE_SESSION, END)
    assert seen[f"{CM}.archive_client"] == "closed"
    state = walk(system, *SHUTDOWN_UNTIL_GRACE, "consensusmodule1 close_archive_client",
                 "consensusmodule1 close_messaging_client", "env archive_polls", "env archive_polls")
    assert system.describe(state)["archive.sessions"][CM] == CLOSED_BY_REQUEST


MID_SNAPSHOT = ["consensusmodule1 start", "env operator_requests_shutdown",
                "consensusmodule1 take_snapshot", "consensusmodule1 write_snapshot_part"]


def test_a_crash_mid_snapshot_restarts_from_the_last_complete_snapshot() -> None:
    system = ModelSystem(Fixed(), (NODE_CRASH,))
    state = walk(system, *MID_SNAPSHOT, "consensusmodule1 crash", "consensusmodule1 start")
    seen = system.describe(state)
    assert dict(seen["archive.recordings"]) == {0: 1}  # the partial recording stays on disk, unread
    assert (seen[f"{CM}.recording_log"], seen[f"{CM}.recovered_from"]) == (None, None)
    assert dict(seen["archive.sessions"]) == {CM: "open"}  # a new session: the old one died with the node
    assert (seen[f"{CM}.phase"], seen[f"{CM}.toggle"]) == (ACTIVE, "neutral")  # the request was lost
    # The operator asks again; the new snapshot is recording 1, and a later start recovers from it.
    again = [*SHUTDOWN_UNTIL_GRACE[1:6]]
    state = walk(system, *MID_SNAPSHOT, "consensusmodule1 crash", "consensusmodule1 start", *again)
    assert system.describe(state)[f"{CM}.recording_log"] == 1


def test_a_crash_late_in_the_shutdown_relaunches_the_terminated_services() -> None:
    system = ModelSystem(Fixed(), (NODE_CRASH,))
    state = walk(system, *SHUTDOWN_UNTIL_GRACE, "consensusmodule1 crash")
    seen = system.describe(state)
    assert (seen["servicecontainer1.phase"], seen["archive.running"]) == ("terminated", False)
    assert seen[f"{CM}.recording_log"] == 0  # the shutdown snapshot was complete
    seen = system.describe(walk(system, *SHUTDOWN_UNTIL_GRACE, "consensusmodule1 crash",
                                "consensusmodule1 start"))
    assert (seen["servicecontainer1.phase"], seen["servicecontainer2.phase"]) == ("running", "running")
    assert seen[f"{CM}.recovered_from"] == 0


def test_a_crash_loses_the_modules_messages_in_flight_and_ends_its_streams() -> None:
    system = ModelSystem(Fixed(), (NODE_CRASH,))
    state = walk(system, *SHUTDOWN_UNTIL_GRACE[:7], "consensusmodule1 crash")
    queues = system.describe(state)["net.queues"]
    # The terminate messages died with the embedded driver; the services see the module's end.
    assert dict(queues) == {(CM, "servicecontainer1"): (END,), (CM, "servicecontainer2"): (END,)}


# -- the properties have teeth: broken variants must violate them ------------------------

class TellsServicesDuringSnapshot(Fixed):
    """Broken on purpose: tells the services to terminate as the snapshot begins."""

    @action(ConsensusModule)
    def take_snapshot(self, cm: ConsensusModule) -> None:
        require(cm.phase == ACTIVE and cm.toggle == SHUTDOWN)
        cm.snapshot = self.archive.start_recording(cm.name)
        for name in self.service_names():
            self.net.send(name, TERMINATE)
        cm.phase = SNAPSHOTTING


def test_snapshot_before_terminate_catches_services_told_too_early() -> None:
    result = check_spec(Spec("early", TellsServicesDuringSnapshot(), holds()))
    (v,) = result.violations
    assert v.property == "SnapshotBeforeTerminate"
    assert steps(v.trace) == [*SHUTDOWN_UNTIL_GRACE[:3], "servicecontainer1 service_polls"]


class RecoversFromNewestRecording(Fixed):
    """Broken on purpose: recovers from the archive's newest recording, complete or not."""

    def recovery_snapshot(self) -> int | None:
        return max(self.archive.recordings, default=None)


class MarksSnapshotCompleteFirst(Fixed):
    """Broken on purpose: marks the snapshot complete in the recording log as it begins."""

    @action(ConsensusModule)
    def take_snapshot(self, cm: ConsensusModule) -> None:
        require(cm.phase == ACTIVE and cm.toggle == SHUTDOWN)
        cm.snapshot = self.archive.start_recording(cm.name)
        cm.recording_log = cm.snapshot
        cm.phase = SNAPSHOTTING


@pytest.mark.parametrize("model", [RecoversFromNewestRecording(), MarksSnapshotCompleteFirst()],
                         ids=["newest-recording", "marked-first"])
def test_recover_from_complete_snapshot_catches_recovery_from_a_partial_one(model: Any) -> None:
    result = check_spec(Spec("partial", model, holds(), faults=[NODE_CRASH]))
    (v,) = result.violations
    assert v.property == "RecoverFromCompleteSnapshot"
    assert steps(v.trace) == [*SHUTDOWN_UNTIL_GRACE[:3], "consensusmodule1 crash", "consensusmodule1 start"]
    assert changed(v.trace.steps[-1])[f"{CM}.recovered_from"] == (None, 0)
    # Without a crash nothing ever recovers from a half-written snapshot.
    assert check_spec(Spec("no-crash", model, holds())).verdict == "holds"


class LossyFixed(Fixed):
    """The fix over a channel that can lose messages (Aeron's streams do not)."""

    net = Channel(loss="loss", lose_outbox_on_crash=True, hosts={ARCHIVE: CM})


def test_shutdown_terminates_catches_a_lost_terminate_message() -> None:
    """Aeron's streams are reliable; over a lossy channel the module would wait forever."""
    result = check_spec(Spec("lossy", LossyFixed(), holds(), faults=[Fail(kind="loss", max=1)],
                             properties=["ShutdownTerminates"]))
    assert set(result.violated_properties) == {"ShutdownTerminates", "Deadlock"}
    (v,) = [v for v in result.violations if v.property == "ShutdownTerminates"]
    assert v.trace.stutter  # stuck waiting for an ack that cannot come
    lost = "consensusmodule1 tell_services -> net: 'terminate' to servicecontainer2 lost (loss)"
    assert steps(v.trace) == [*SHUTDOWN_UNTIL_GRACE[:6], lost,
                              "servicecontainer1 service_polls",
                              "consensusmodule1 collect_ack(service='servicecontainer1')"]


def test_a_lost_close_session_request_abandons_the_session_even_with_the_fix() -> None:
    result = check_spec(Spec("lossy", LossyFixed(), holds(), faults=[Fail(kind="loss", max=1)],
                             properties=["NoAbandonedSession"]))
    (v,) = [v for v in result.violations if v.property == "NoAbandonedSession"]
    assert ("consensusmodule1 close_archive_client -> net: 'close-session' to archive lost (loss)"
            in steps(v.trace))
