"""HDFS NameNode: saving a checkpoint of the namespace image (ALICE Figure 4(J)).

The NameNode writes the new image to ``fsimage.ckpt_2`` and fsyncs it, writes its MD5
digest to a temporary file, fsyncs that and renames it to ``fsimage_2.md5``, then
renames the checkpoint to ``fsimage_2``, with no fsync of the directory in between
(HDFS names images by transaction id; ``seen_txid``'s own update-via-rename is left
out here). On start it loads the newest image and refuses it unless its digest file
is there and matches. ALICE reports this protocol vulnerable only under its btrfs
model, which reorders directory operations: the image's rename can reach the disk
without the digest's, and the NameNode then "cannot open" (fails to start).

The property: whenever no checkpoint is half way through, the newest image verifies.
"""

from __future__ import annotations

from lifecheck import Model, Process, action, always, final, parameter, require, role, volatile
from lifecheck.components import FileSystem

CURRENT = "/hdfs/name/current"
CKPT = f"{CURRENT}/fsimage.ckpt_2"
MD5_TMP = f"{CURRENT}/fsimage_2.md5.tmp"


def image(version: int) -> str:
    return f"{CURRENT}/fsimage_{version}"


def md5_file(version: int) -> str:
    return f"{image(version)}.md5"


def digest(content: str) -> str:
    return f"md5({content})"


class NameNode(Process):
    """The NameNode; a crash forgets where the checkpoint was."""

    step = volatile("start", "start, ckpt_create, ..., done (see Checkpoint.program)")


class Checkpoint(Model):
    """One checkpoint: image 2 saved next to image 1."""

    file_system = parameter("ext4-ordered", "the persistence model of the disk")
    namenodes = role(NameNode)
    # Image 1 and its digest, durably.
    fs = FileSystem(dirs=(CURRENT,), files={image(1): "image 1", md5_file(1): digest("image 1")},
                    persistence=lambda m: m.file_system)

    program = ("start", "ckpt_create", "ckpt_write", "ckpt_sync", "md5_create", "md5_write",
               "md5_sync", "md5_rename", "image_rename", "done")

    def _next(self, n: NameNode) -> None:
        n.step = self.program[self.program.index(n.step) + 1]

    def newest_image(self) -> int:
        """The highest version with an image file (0: none)."""
        return max((v for v in (1, 2) if self.fs.exists(image(v))), default=0)

    def image_verifies(self) -> bool:
        """What the NameNode checks on start: the newest image has its digest, and it matches."""
        version = self.newest_image()
        if not version:
            return False
        content = self.fs.read_or(image(version))
        return bool(content) and self.fs.read_or(md5_file(version)) == digest(content)

    @action(NameNode)
    def start(self, n: NameNode) -> None:
        """Start: load the newest image (the property checks it); checkpoint unless done."""
        require(n.step == "start")
        if self.fs.exists(image(2)):
            n.step = "done"
            return
        for leftover in (CKPT, MD5_TMP, md5_file(2)):
            if self.fs.exists(leftover):
                self.fs.unlink(leftover)
        self._next(n)

    @action(NameNode)
    def ckpt_create(self, n: NameNode) -> None:
        require(n.step == "ckpt_create")
        self.fs.create(CKPT)
        self._next(n)

    @action(NameNode)
    def ckpt_write(self, n: NameNode) -> None:
        require(n.step == "ckpt_write")
        self.fs.append(CKPT, "image 2")
        self._next(n)

    @action(NameNode)
    def ckpt_sync(self, n: NameNode) -> None:
        require(n.step == "ckpt_sync")
        self.fs.fsync(CKPT)
        self._next(n)

    @action(NameNode)
    def md5_create(self, n: NameNode) -> None:
        require(n.step == "md5_create")
        self.fs.create(MD5_TMP)
        self._next(n)

    @action(NameNode)
    def md5_write(self, n: NameNode) -> None:
        require(n.step == "md5_write")
        self.fs.append(MD5_TMP, digest("image 2"))
        self._next(n)

    @action(NameNode)
    def md5_sync(self, n: NameNode) -> None:
        require(n.step == "md5_sync")
        self.fs.fsync(MD5_TMP)
        self._next(n)

    @action(NameNode)
    def md5_rename(self, n: NameNode) -> None:
        require(n.step == "md5_rename")
        self.fs.rename(MD5_TMP, md5_file(2))
        self._next(n)

    @action(NameNode)
    def image_rename(self, n: NameNode) -> None:
        require(n.step == "image_rename")
        self.fs.rename(CKPT, image(2))
        self._next(n)

    @always
    def image_verifies_on_start(self) -> bool:
        """Whenever no checkpoint is half way through, the newest image verifies."""
        idle = all(n.step in ("ckpt_create", "done") for n in self.namenodes)
        return not idle or self.image_verifies()

    @final
    def finished(self) -> bool:
        return all(n.step == "done" for n in self.namenodes)
