"""The undo-log update: its verdicts on each file system.

Two files updated in place under an undo log (models/undo_log.py). The record is
written but not fsynced in the shipped design; the fix fsyncs it, and its directory,
before the first overwrite. Expected verdicts, one power loss at any point:

| file system   | record not fsynced | record fsynced first |
|---------------|--------------------|----------------------|
| ext4-ordered  | violated           | holds                |
| btrfs         | violated           | holds                |
| posix         | violated           | holds                |
| ext4-journal  | holds              | holds                |
| sequential    | holds              | holds                |

Only a file system that keeps the overwrite behind the creation of the undo file
(data journaling, or the sequential model designers tend to assume) saves the
shipped design. Bounds: one writer, one update, one power loss.
"""

from lifecheck import PowerLoss, Spec, holds, violated
from lifecheck.components import PERSISTENCE_MODELS
from lifecheck.models.undo_log import SyncedUndoLog, UndoLog

POWER_LOSS = PowerLoss(max=1)
ORDERED = ("ext4-journal", "sequential")

SPECS = [
    *(Spec(f"undo-log/unsynced/{fs}", UndoLog(file_system=fs),
           holds() if fs in ORDERED else violated("FilesAgree"),
           faults=[POWER_LOSS],
           covers=f"1 writer, 1 update of 2 files, 1 power loss at any step, {fs}")
      for fs in PERSISTENCE_MODELS),
    *(Spec(f"undo-log/fsynced/{fs}", SyncedUndoLog(file_system=fs), holds(),
           faults=[POWER_LOSS],
           covers=f"1 writer, 1 update of 2 files, 1 power loss at any step, {fs}")
      for fs in PERSISTENCE_MODELS),
]
