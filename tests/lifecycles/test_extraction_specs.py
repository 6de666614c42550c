"""Pinned outcomes of every extraction spec (lifecycles.md section 1), and checks that the
properties have teeth: small broken variants of the designs must violate them.
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import Bounds, Crash, Fail, Options, Spec, action, check_spec, holds, require
from lifecheck.modelling.compile import ModelSystem
from lifecheck.models.extraction import TARGET, TMP, AtomicRename, Broker, UnpackInPlace
from specs.extraction import SPECS
from tests.pinned import PinnedSpecs, steps

NO_STARTUP_FAILURE = Fail(kind="startup", max=0)  # (the model's load can fail; not here)

STUCK = frozenset({"NoPartialLoad", "EventuallyStarts"})

# name -> (verdict, violated properties, distinct states, depth)
PINNED: dict[str, tuple[str, frozenset[str], int, int]] = {
    "extraction/in-place/crash": ("violated", STUCK, 103, 14),
    "extraction/in-place/power-loss": ("violated", STUCK, 157, 19),
    "extraction/in-place/2-brokers/crash": ("violated", STUCK, 448, 17),
    "extraction/marker/crash": ("holds", frozenset(), 86, 15),
    "extraction/marker/power-loss": ("violated", STUCK, 164, 21),
    "extraction/marker/2-brokers/crash": ("holds", frozenset(), 316, 18),
    "extraction/rename/crash": ("holds", frozenset(), 64, 13),
    "extraction/rename/power-loss": ("violated", STUCK, 114, 19),
    "extraction/rename/2-brokers/crash": ("holds", frozenset(), 1397, 22),
    "extraction/rename-fsync/crash": ("holds", frozenset(), 64, 13),
    "extraction/rename-fsync/power-loss": ("holds", frozenset(), 300, 18),
    "extraction/rename-fsync/2-brokers/power-loss": ("holds", frozenset(), 915, 22),
    # Symmetric twins: the brokers interchangeable, about half the states.
    "extraction/rename/2-brokers/crash/symmetric": ("holds", frozenset(), 714, 22),
    "extraction/rename-fsync/2-brokers/power-loss+crash/symmetric": ("holds", frozenset(), 1569, 20),
    # The power-loss column under the other persistence models (1 power loss, no crash).
    "extraction/in-place/power-loss/ext4-journal": ("violated", STUCK, 93, 19),
    "extraction/in-place/power-loss/btrfs": ("violated", STUCK, 253, 19),
    "extraction/in-place/power-loss/posix": ("violated", STUCK, 253, 19),
    "extraction/in-place/power-loss/sequential": ("violated", STUCK, 93, 19),
    "extraction/marker/power-loss/ext4-journal": ("holds", frozenset(), 76, 21),
    "extraction/marker/power-loss/btrfs": ("violated", STUCK, 364, 21),
    "extraction/marker/power-loss/posix": ("violated", STUCK, 364, 21),
    "extraction/marker/power-loss/sequential": ("holds", frozenset(), 76, 21),
    "extraction/rename/power-loss/ext4-journal": ("holds", frozenset(), 56, 19),
    "extraction/rename/power-loss/btrfs": ("violated", STUCK, 138, 19),
    "extraction/rename/power-loss/posix": ("violated", STUCK, 138, 19),
    "extraction/rename/power-loss/sequential": ("holds", frozenset(), 56, 19),
    "extraction/rename-fsync/power-loss/ext4-journal": ("holds", frozenset(), 39, 12),
    "extraction/rename-fsync/power-loss/btrfs": ("holds", frozenset(), 39, 12),
    "extraction/rename-fsync/power-loss/posix": ("holds", frozenset(), 47, 12),
    "extraction/rename-fsync/power-loss/sequential": ("holds", frozenset(), 39, 12),
}

KILLED_AFTER_MKDIR = ["broker1 lock", "broker1 boot", "broker1 crash",
                      "broker1 lock", "broker1 boot", "broker1 load"]
UNPACK_ALL = ["broker1 unpack_create", "broker1 unpack_write"] * 3


def _power_loss(directory: str, *, files: bool = True, marker: bool = False,
                rename: bool = False) -> str:
    """The power loss that keeps every directory operation and loses all file data."""
    kept = [f"mkdir {directory}"]
    if files:
        kept += [f"create {directory}/f{i}" for i in (1, 2, 3)]
    if marker:
        kept.append(f"create {directory}/.success")
    if rename:
        kept.append(f"rename {directory} -> /tmp/plugin")
    label = "env power_loss -> kept: " + ", ".join(kept)
    if files:
        label += "; lost: " + ", ".join(f"append {directory}/f{i}" for i in (1, 2, 3))
    return label


# The shortest counterexample to NoPartialLoad, per violated spec.
PARTIAL_LOAD_TRACES: dict[str, list[str]] = {
    "extraction/in-place/crash": KILLED_AFTER_MKDIR,
    "extraction/in-place/2-brokers/crash": KILLED_AFTER_MKDIR,
    "extraction/in-place/power-loss": [
        "broker1 lock", "broker1 boot", _power_loss("/tmp/plugin", files=False),
        "broker1 lock", "broker1 boot", "broker1 load"],
    # All five operations (mkdir, three creates, the marker) survive; no file data does.
    "extraction/marker/power-loss": [
        "broker1 lock", "broker1 boot", *UNPACK_ALL, "broker1 write_marker",
        _power_loss("/tmp/plugin", marker=True),
        "broker1 lock", "broker1 boot", "broker1 load"],
    # mkdir, three creates and the rename survive; no file data does.
    "extraction/rename/power-loss": [
        "broker1 boot", *UNPACK_ALL, "broker1 rename",
        _power_loss("/tmp/plugin.tmp-broker1", rename=True),
        "broker1 boot", "broker1 load"],
}

# EventuallyStarts: the same stem up to the bad fault, then a loop of fail-and-restart.
STUCK_LOOP = ["broker1 lock", "broker1 boot", "broker1 load", "broker1 restart"]
LIVELOCKS: dict[str, tuple[list[str], list[str]]] = {
    "extraction/in-place/crash": (KILLED_AFTER_MKDIR[:3], STUCK_LOOP),
    "extraction/in-place/power-loss": (PARTIAL_LOAD_TRACES["extraction/in-place/power-loss"][:3],
                                       STUCK_LOOP),
    "extraction/marker/power-loss": (PARTIAL_LOAD_TRACES["extraction/marker/power-loss"][:10],
                                     STUCK_LOOP),
    "extraction/rename/power-loss": (PARTIAL_LOAD_TRACES["extraction/rename/power-loss"][:9],
                                     ["broker1 boot", "broker1 load", "broker1 restart"]),
}

PINS = PinnedSpecs(SPECS, PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()


@pytest.mark.parametrize("name", list(PARTIAL_LOAD_TRACES))
def test_partial_load_counterexample(name: str) -> None:
    (v,) = [v for v in result_of(name).violations if v.property == "NoPartialLoad"]
    assert steps(v.trace) == PARTIAL_LOAD_TRACES[name]
    last = v.trace.steps[-1]
    assert [(c.field, c.after) for c in last.changes if c.field.endswith("complete_files")] \
        == [("broker1.complete_files", 0)]


@pytest.mark.parametrize("name", list(LIVELOCKS))
def test_stuck_forever_counterexample(name: str) -> None:
    (v,) = [v for v in result_of(name).violations if v.property == "EventuallyStarts"]
    stem, loop = LIVELOCKS[name]
    trace = v.trace
    assert not trace.stutter  # a livelock (fail, restart, fail), not a deadlock
    assert steps(trace)[:trace.loop_start] == stem
    assert steps(trace)[trace.loop_start:] == loop


def test_two_brokers_in_place_both_fail_forever() -> None:
    (v,) = [v for v in result_of("extraction/in-place/2-brokers/crash").violations
            if v.property == "EventuallyStarts"]
    trace = v.trace
    assert steps(trace)[:trace.loop_start] == KILLED_AFTER_MKDIR[:3]
    loop = steps(trace)[trace.loop_start:]
    # broker1 fails forever; broker2 starves: weak fairness lets it, since its lock step
    # is disabled each time broker1 holds the lock (step "broker1 lock" is in the loop).
    assert loop == [f"broker1 {a}" for a in ("lock", "boot", "load", "restart")]


def test_the_in_place_crash_counterexample_is_the_shortest() -> None:
    (spec,) = [s for s in SPECS if s.name == "extraction/in-place/crash"]
    for depth, found in ((5, False), (6, True)):
        result = check_spec(spec, Options(bounds=Bounds(max_depth=depth)))
        assert ("NoPartialLoad" in result.violated_properties) is found, depth


# -- the properties have teeth: broken variants must violate them ------------------------

class AlwaysReunpack(UnpackInPlace):
    """Broken on purpose: never trusts an existing directory, so it deletes a loaded one."""

    @action(Broker)
    def boot(self, b: Broker) -> None:
        require(b.phase == "locked")
        if self.fs.exists(TARGET):
            self.fs.rmtree(TARGET)
        self.fs.mkdir(TARGET)
        b.phase = "unpack"


def test_no_clobber_catches_a_broker_deleting_a_loaded_directory() -> None:
    result = check_spec(Spec("clobber", AlwaysReunpack(files=1, brokers=2), holds(),
                             faults=[NO_STARTUP_FAILURE]))
    (v,) = [v for v in result.violations if v.property == "NoClobber"]
    assert steps(v.trace) == ["broker1 lock", "broker1 boot", *UNPACK_ALL[:2],
                              "broker1 load", "broker2 lock", "broker2 boot"]


class FreshTempDirs(AtomicRename):
    """Broken on purpose: a new temporary directory per attempt, leftovers never removed."""

    @action(Broker)
    def boot(self, b: Broker) -> None:
        require(b.phase == "boot")
        n = 1
        while self.fs.exists(f"{self.tmp_dir(b)}-{n}"):
            n += 1
        self.fs.mkdir(f"{self.tmp_dir(b)}-{n}")
        b.phase = "load" if self.fs.exists(TARGET) else "unpack"

    def unpack_dir(self, b: Broker) -> str:
        prefix = self.tmp_dir(b).rpartition("/")[2] + "-"
        newest = max(int(n[len(prefix):]) for n in self.fs.listdir(TMP) if n.startswith(prefix))
        return f"{self.tmp_dir(b)}-{newest}"


def test_no_leak_catches_a_fresh_temporary_directory_per_attempt() -> None:
    result = check_spec(Spec("leak", FreshTempDirs(files=1), holds(), faults=[Crash(max=1)]))
    (v,) = [v for v in result.violations if v.property == "NoLeak"]
    assert steps(v.trace) == ["broker1 boot", "broker1 crash", "broker1 boot"]


# -- a branch no spec's coverage can show: the broker that loses the rename race ---------

def _walk(system: ModelSystem, *moves: str) -> Any:
    state = system.init_states()[0]
    for move in moves:
        (out,) = [out for s, out in system.successors(state)
                  if f"{s.process} {s.label()}" == move]
        state = out
    return state


def test_the_broker_that_loses_the_rename_race_discards_its_copy_and_loads_the_winner() -> None:
    system = ModelSystem(AtomicRename(files=1, brokers=2), [NO_STARTUP_FAILURE])
    unpack = ["boot", "unpack_create", "unpack_write"]
    state = _walk(system, *[f"broker{i} {a}" for i in (1, 2) for a in unpack],
                  "broker1 rename", "broker2 rename")
    seen = system.describe(state)
    assert set(seen["fs.tree"]) == {TMP, TARGET, f"{TARGET}/f1"}  # broker2's copy is gone
    assert seen["fs.tree"][f"{TARGET}/f1"] == f"{TARGET}.tmp-broker1/f1"  # broker1's file
    assert (seen["broker1.phase"], seen["broker2.phase"]) == ("load", "load")
    final = system.describe(_walk(system, *[f"broker{i} {a}" for i in (1, 2) for a in unpack],
                                  "broker1 rename", "broker2 rename",
                                  "broker1 load", "broker2 load"))
    assert (final["broker1.phase"], final["broker2.phase"]) == ("running", "running")
