"""Extraction (lifecycles.md section 1): the acceptance table for unpacking a plugin archive.

The seed table, with /tmp on ext4 (data=ordered, delayed allocation: the default
persistence model of the file system component):

| design                                   | process crash | power loss |
|------------------------------------------|---------------|------------|
| unpack in place (shipped)                | violated      | violated   |
| Fix A, marker file, no fsync             | holds         | violated   |
| Fix B, atomic rename, no fsync           | holds         | violated   |
| Fix B + fsync files, rename, fsync /tmp  | holds         | holds      |

What a power loss does depends on the file system (models.components.persistence).
The power-loss column under each persistence model, 1 broker, 3 files, 1 power loss:

| design                                   | ext4-ordered | ext4-journal | btrfs    | posix    | sequential |
|------------------------------------------|--------------|--------------|----------|----------|------------|
| unpack in place (shipped)                | violated     | violated     | violated | violated | violated   |
| Fix A, marker file, no fsync             | violated     | holds        | violated | violated | holds      |
| Fix B, atomic rename, no fsync           | violated     | holds        | violated | violated | holds      |
| Fix B + fsync files, rename, fsync /tmp  | holds        | holds        | holds    | holds    | holds      |

A file system that keeps every operation in order (data journaling, or the
sequential model) makes the two fixes without fsync safe: the marker or the rename
reaches the disk only after the files' data. ext4 in its default mode, btrfs and POSIX
do not promise that; only the fsync design holds everywhere.

Every violation is of NoPartialLoad and EventuallyStarts together: a broker that
loads an incomplete directory fails, and since the directory is still there on
every restart, it fails forever. NoLeak and NoClobber hold throughout.

Bounds: K = 3 files. A process crash spec allows 2 crashes; a power-loss spec that
expects a violation allows 1 power loss and no crash, so its counterexample shows
that the power loss alone breaks the design (every design that holds under crashes
would otherwise still hold up to the power loss); the fsync design is proved
against 1 power loss and 2 crashes in any order. Every spec also lets start-up
fail once for a reason of its own (``Fail(kind="startup")``), so the supervisor's
restart runs in the designs whose unpacking never fails.
"""

from lifecheck import Crash, Fail, PowerLoss, Spec, holds, violated
from lifecheck.components import PERSISTENCE_MODELS
from lifecheck.models.extraction import AtomicRename, MarkerFile, UnpackInPlace

K = 3
CRASHES = Crash(max=2)
POWER_LOSS = PowerLoss(max=1)
STARTUP_FAILS = Fail(max=1, kind="startup")
STUCK = violated("NoPartialLoad", "EventuallyStarts")
SAFETY = ["NoPartialLoad", "NoLeak", "NoClobber"]

SPECS = [
    # -- the shipped design -------------------------------------------------------------
    Spec("extraction/in-place/crash", UnpackInPlace(files=K), STUCK,
         faults=[CRASHES, STARTUP_FAILS],
         covers="1 broker, 3 files, up to 2 crashes: killed after mkdir, every restart "
                "loads the empty directory and fails"),
    Spec("extraction/in-place/power-loss", UnpackInPlace(files=K), STUCK,
         faults=[POWER_LOSS, STARTUP_FAILS],
         covers="1 broker, 3 files, 1 power loss, no crash"),
    Spec("extraction/in-place/2-brokers/crash", UnpackInPlace(files=K, brokers=2), STUCK,
         faults=[CRASHES, STARTUP_FAILS],
         covers="2 brokers sharing /tmp, 3 files, up to 2 crashes: the lock keeps them from "
                "unpacking together but both load what a killed one left"),
    # -- Fix A: marker file -------------------------------------------------------------
    Spec("extraction/marker/crash", MarkerFile(files=K), holds(),
         faults=[CRASHES, STARTUP_FAILS],
         covers="1 broker, 3 files, up to 2 crashes at any step"),
    Spec("extraction/marker/power-loss", MarkerFile(files=K), STUCK,
         faults=[POWER_LOSS, STARTUP_FAILS],
         covers="1 broker, 3 files, 1 power loss: the marker's name survives, unsynced "
                "file data does not"),
    Spec("extraction/marker/2-brokers/crash", MarkerFile(files=K, brokers=2), holds(),
         faults=[CRASHES, STARTUP_FAILS],
         covers="2 brokers sharing /tmp, 3 files, up to 2 crashes"),
    # -- Fix B: atomic rename -----------------------------------------------------------
    Spec("extraction/rename/crash", AtomicRename(files=K), holds(),
         faults=[CRASHES, STARTUP_FAILS],
         covers="1 broker, 3 files, up to 2 crashes at any step"),
    Spec("extraction/rename/power-loss", AtomicRename(files=K), STUCK,
         faults=[POWER_LOSS, STARTUP_FAILS],
         covers="1 broker, 3 files, 1 power loss: the rename survives, unsynced file data "
                "does not"),
    Spec("extraction/rename/2-brokers/crash", AtomicRename(files=K, brokers=2), holds(),
         faults=[CRASHES, STARTUP_FAILS],
         covers="2 brokers racing to rename onto the target, 3 files, up to 2 crashes"),
    # -- Fix B with fsync ---------------------------------------------------------------
    Spec("extraction/rename-fsync/crash", AtomicRename(files=K, fsync=True), holds(),
         faults=[CRASHES, STARTUP_FAILS],
         covers="1 broker, 3 files, up to 2 crashes at any step"),
    Spec("extraction/rename-fsync/power-loss", AtomicRename(files=K, fsync=True), holds(),
         faults=[CRASHES, POWER_LOSS, STARTUP_FAILS],
         covers="1 broker, 3 files, 1 power loss and up to 2 crashes, in any order"),
    Spec("extraction/rename-fsync/2-brokers/power-loss",
         AtomicRename(files=K, brokers=2, fsync=True), holds(),
         faults=[POWER_LOSS, STARTUP_FAILS],
         covers="2 brokers racing, 3 files, 1 power loss (no crash: with a crash as well "
                "the check takes about a minute)"),
    # -- Symmetry: the two brokers are interchangeable, so safety is checked once per
    # arrangement (liveness is not reduced; the specs above check it) ------------------
    Spec("extraction/rename/2-brokers/crash/symmetric", AtomicRename(files=K, brokers=2), holds(),
         faults=[CRASHES, STARTUP_FAILS], properties=SAFETY, symmetry=("fleet",),
         covers="as extraction/rename/2-brokers/crash, safety properties, with the brokers "
                "interchangeable"),
    Spec("extraction/rename-fsync/2-brokers/power-loss+crash/symmetric",
         AtomicRename(files=2, brokers=2, fsync=True), holds(),
         faults=[POWER_LOSS, Crash(max=1), STARTUP_FAILS], properties=SAFETY, symmetry=("fleet",),
         covers="2 brokers racing, 2 files, 1 power loss and 1 crash in any order, safety "
                "properties, the brokers interchangeable"),
]

# -- The power-loss column under every other persistence model ---------------------------
IN_ORDER = ("ext4-journal", "sequential")
"""The models that keep every operation in program order."""

DESIGNS = (
    ("in-place", UnpackInPlace, {}, lambda fs: STUCK),
    ("marker", MarkerFile, {}, lambda fs: holds() if fs in IN_ORDER else STUCK),
    ("rename", AtomicRename, {}, lambda fs: holds() if fs in IN_ORDER else STUCK),
    ("rename-fsync", AtomicRename, {"fsync": True}, lambda fs: holds()),
)

SPECS += [
    Spec(f"extraction/{design}/power-loss/{fs}", model(files=K, file_system=fs, **extra),
         expect(fs), faults=[POWER_LOSS, STARTUP_FAILS],
         covers=f"1 broker, 3 files, 1 power loss, /tmp on {fs}")
    for design, model, extra, expect in DESIGNS
    for fs in PERSISTENCE_MODELS if fs != "ext4-ordered"
]
