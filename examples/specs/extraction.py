"""Extraction at a size no exhaustive check finishes: for ``lifecheck simulate``.

Two brokers share the working directory and unpack an archive of three files,
with a power loss, two crashes and a failed start-up in any order. Without a
lock (the atomic-rename designs) the brokers' steps interleave freely, and every
state with unsynced writes has a power loss with dozens of outcomes (ext4 may keep
any subset of the files' data): breadth-first search, bounded here to a minute, gets
about ten steps deep (some 50,000 states) and ends ``incomplete``; the shortest
counterexample is 11 steps deep. Random walks find it in seconds (a walk takes one
random outcome of each power loss rather than listing them all)::

    lifecheck check examples/specs/extraction.py
    lifecheck simulate examples/specs/extraction.py --walks 1000 --seed 0

(The marker design takes a lock, which serialises the brokers' unpacking, so
its state space stays narrow enough for the bounded search to reach its
23-step counterexample too, though not to finish.)

Only safety properties are checked: liveness needs the complete state graph,
which is what cannot be had at this size.
"""

from lifecheck import Bounds, Crash, Fail, PowerLoss, Spec, holds, violated
from lifecheck.models.extraction import AtomicRename, MarkerFile

FILES, BROKERS = 3, 2
FAULTS = [PowerLoss(max=1), Crash(max=2), Fail(max=1, kind="startup")]
SAFETY = ["NoPartialLoad", "NoLeak", "NoClobber"]
MINUTE = Bounds(max_seconds=60)
SIZE = f"{BROKERS} brokers, {FILES} files, 1 power loss, 2 crashes and 1 failed start-up, in any order"

SPECS = [
    Spec("extraction/rename/3-files/2-brokers/power-loss",
         AtomicRename(files=FILES, brokers=BROKERS), violated("NoPartialLoad"),
         faults=FAULTS, properties=SAFETY, bounds=MINUTE,
         covers=f"{SIZE}: the rename survives the power loss, the unsynced files do not"),
    Spec("extraction/marker/3-files/2-brokers/power-loss",
         MarkerFile(files=FILES, brokers=BROKERS), violated("NoPartialLoad"),
         faults=FAULTS, properties=SAFETY, bounds=MINUTE,
         covers=f"{SIZE}: the marker survives the power loss, the unsynced files do not"),
    Spec("extraction/rename-fsync/3-files/2-brokers/power-loss",
         AtomicRename(files=FILES, brokers=BROKERS, fsync=True), holds(),
         faults=FAULTS, properties=SAFETY, bounds=MINUTE,
         covers=f"{SIZE}: the fixed design, where no walk should find anything"),
]
