"""HDFS NameNode checkpoint under each persistence model (ALICE, OSDI 2014, Figure 4(J)).

The NameNode writes and fsyncs the new image and its digest, renames the digest into
place, then the image, with no directory fsync between (models/applications/hdfs.py).

| ext4-ordered | ext4-journal | btrfs    | posix    | sequential |
|--------------|--------------|----------|----------|------------|
| holds        | holds        | violated | violated | holds      |

ALICE reports this protocol vulnerable only under its btrfs model: the image's rename
can reach the disk without the digest's, and the NameNode refuses to start. ext4's
journal keeps the two renames in order. (posix, which ALICE's table does not have,
promises neither.)
Bounds: one NameNode, one checkpoint, one power loss at any step.
"""

from lifecheck import PowerLoss, Spec, holds, violated
from lifecheck.components import PERSISTENCE_MODELS
from lifecheck.models.applications.hdfs import Checkpoint

SPECS = [
    Spec(f"hdfs/checkpoint/{fs}", Checkpoint(file_system=fs),
         violated("ImageVerifiesOnStart") if fs in ("btrfs", "posix") else holds(),
         faults=[PowerLoss(max=1)],
         covers=f"one NameNode checkpoint (image, digest, renames), 1 power loss at any "
                f"step, {fs}")
    for fs in PERSISTENCE_MODELS
]
