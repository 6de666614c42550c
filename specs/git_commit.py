"""Git commit under each persistence model (ALICE, OSDI 2014, Figure 1 and Figure 4(G)).

Git stores the new commit object (temporary file, fsync, rename to its name), then
moves the branch: it creates ``refs/heads/main.lock``, appends the commit id and
renames the lock over the ref, without an fsync of the lock (models/applications/git.py).
ALICE, Figure 1: "if the appends are not persisted before the rename, any further
commits to the repository fail"; Git "expects total ordering from the file system".

| ext4-ordered | ext4-journal | btrfs    | posix    | sequential |
|--------------|--------------|----------|----------|------------|
| violated     | holds        | violated | violated | holds      |

On ext4 (data=ordered) the rename of the lock can reach the disk before its appended
contents: the branch is empty. On btrfs, which reorders directory operations, the
branch can also name an object whose rename was lost. ALICE reports Git
vulnerabilities under both its ext4-ordered and its btrfs models. Only the file
systems that keep every operation in order save it.
Bounds: one git process, one commit, one power loss at any step.
"""

from lifecheck import PowerLoss, Spec, holds, violated
from lifecheck.components import PERSISTENCE_MODELS
from lifecheck.models.applications.git import Commit

SPECS = [
    Spec(f"git/commit/{fs}", Commit(file_system=fs),
         violated("RepositoryOpens") if fs in ("ext4-ordered", "btrfs", "posix") else holds(),
         faults=[PowerLoss(max=1)],
         covers=f"git commit of one commit (object, then branch), 1 power loss at any step, {fs}")
    for fs in PERSISTENCE_MODELS
]
