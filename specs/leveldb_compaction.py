"""LevelDB 1.15 compaction under each persistence model (ALICE, OSDI 2014, Figure 4(A)).

A compaction writes and fsyncs the new table and manifest, fsyncs the directory,
renames a fsynced temporary file over ``CURRENT``, then unlinks the old manifest and
log without another directory fsync (models/applications/leveldb.py).

| ext4-ordered | ext4-journal | btrfs    | posix    | sequential |
|--------------|--------------|----------|----------|------------|
| holds        | holds        | violated | violated | holds      |

On btrfs, which reorders directory operations, the unlink of the old manifest can
persist without the rename of ``CURRENT``: ``CURRENT`` names a manifest that is gone and
the database "cannot open" (ALICE counts three LevelDB-1.15 vulnerabilities under btrfs).
ALICE also reports LevelDB vulnerabilities under ext4-ordered that come from log
records torn inside one append, which this model of the compaction does not write.
Bounds: one process, one compaction, one power loss at any step.
"""

from lifecheck import PowerLoss, Spec, holds, violated
from lifecheck.components import PERSISTENCE_MODELS
from lifecheck.models.applications.leveldb import Compaction

SPECS = [
    Spec(f"leveldb/compaction/{fs}", Compaction(file_system=fs),
         violated("DatabaseOpens") if fs in ("btrfs", "posix") else holds(),
         faults=[PowerLoss(max=1)],
         covers=f"one compaction (table, manifest, CURRENT, unlinks), 1 power loss at any "
                f"step, {fs}")
    for fs in PERSISTENCE_MODELS
]
