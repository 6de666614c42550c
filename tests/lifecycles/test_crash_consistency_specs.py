"""Pinned outcomes of the crash-consistency specs: the undo log and ALICE's protocols.

Each design is checked under every persistence model; the shortest counterexamples
that motivate the persistence models are pinned step by step, power-loss label
included (it names the operations kept and lost).
"""

from __future__ import annotations

import pytest

from specs.git_commit import SPECS as GIT_SPECS
from specs.hdfs_checkpoint import SPECS as HDFS_SPECS
from specs.leveldb_compaction import SPECS as LEVELDB_SPECS
from specs.undo_log import SPECS as UNDO_LOG_SPECS
from tests.pinned import PinnedSpecs, steps, violation

AGREE = frozenset({"FilesAgree"})
GIT = frozenset({"RepositoryOpens"})
LEVELDB = frozenset({"DatabaseOpens"})
HDFS = frozenset({"ImageVerifiesOnStart"})
NONE: frozenset[str] = frozenset()

# name -> (verdict, violated properties, distinct states, depth)
PINNED = {
    "undo-log/unsynced/ext4-ordered": ("violated", AGREE, 45, 13),
    "undo-log/unsynced/ext4-journal": ("holds", NONE, 25, 10),
    "undo-log/unsynced/btrfs": ("violated", AGREE, 45, 13),
    "undo-log/unsynced/posix": ("violated", AGREE, 45, 13),
    "undo-log/unsynced/sequential": ("holds", NONE, 25, 10),
    "undo-log/fsynced/ext4-ordered": ("holds", NONE, 28, 11),
    "undo-log/fsynced/ext4-journal": ("holds", NONE, 27, 11),
    "undo-log/fsynced/btrfs": ("holds", NONE, 28, 11),
    "undo-log/fsynced/posix": ("holds", NONE, 28, 11),
    "undo-log/fsynced/sequential": ("holds", NONE, 27, 11),
    "git/commit/ext4-ordered": ("violated", GIT, 41, 17),
    "git/commit/ext4-journal": ("holds", NONE, 32, 14),
    "git/commit/btrfs": ("violated", GIT, 36, 14),
    "git/commit/posix": ("violated", GIT, 103, 17),
    "git/commit/sequential": ("holds", NONE, 32, 14),
    "leveldb/compaction/ext4-ordered": ("holds", NONE, 44, 16),
    "leveldb/compaction/ext4-journal": ("holds", NONE, 44, 16),
    "leveldb/compaction/btrfs": ("violated", LEVELDB, 91, 30),
    "leveldb/compaction/posix": ("violated", LEVELDB, 163, 30),
    "leveldb/compaction/sequential": ("holds", NONE, 44, 16),
    "hdfs/checkpoint/ext4-ordered": ("holds", NONE, 26, 10),
    "hdfs/checkpoint/ext4-journal": ("holds", NONE, 26, 10),
    "hdfs/checkpoint/btrfs": ("violated", HDFS, 28, 11),
    "hdfs/checkpoint/posix": ("violated", HDFS, 45, 11),
    "hdfs/checkpoint/sequential": ("holds", NONE, 26, 10),
}

PINS = PinnedSpecs([*UNDO_LOG_SPECS, *GIT_SPECS, *LEVELDB_SPECS, *HDFS_SPECS], PINNED)
result_of = PINS.result_of
(test_every_spec_is_pinned_and_names_are_unique, test_spec_outcome,
 test_holds_specs_cover_every_action) = PINS.tests()

UPDATE = ["writer1 recover", "writer1 log_create", "writer1 log_write",
          "writer1 write_a"]


@pytest.mark.parametrize("fs", ["ext4-ordered", "btrfs", "posix"])
def test_the_in_place_overwrite_overtakes_the_undo_file(fs: str) -> None:
    """The shortest counterexample: the overwrite of a is kept, the undo file lost."""
    v = violation(result_of(f"undo-log/unsynced/{fs}"), "FilesAgree")
    assert steps(v.trace) == [
        *UPDATE, "env power_loss -> kept: overwrite /data/a; lost: create /data/undo, "
                 "append /data/undo",
        "writer1 recover"]


def test_git_branch_renamed_before_its_contents_reach_the_disk() -> None:
    """ALICE Figure 1: the lock file's append is lost, its rename over the branch kept."""
    v = violation(result_of("git/commit/ext4-ordered"), "RepositoryOpens")
    lock = "/repo/.git/refs/heads/main.lock"
    assert steps(v.trace)[-2:] == [
        "env power_loss -> kept: rename /repo/.git/objects/tmp_obj -> /repo/.git/objects/c1, "
        f"create {lock}, rename {lock} -> /repo/.git/refs/heads/main; lost: append {lock}",
        "git1 start"]


def test_btrfs_persists_the_unlink_of_the_old_manifest_before_the_new_current() -> None:
    v = violation(result_of("leveldb/compaction/btrfs"), "DatabaseOpens")
    assert steps(v.trace)[-2:] == [
        "env power_loss -> kept: unlink /db/MANIFEST-000001; "
        "lost: rename /db/CURRENT.tmp -> /db/CURRENT",
        "compactor1 open"]


def test_btrfs_persists_the_image_rename_before_the_digest_rename() -> None:
    v = violation(result_of("hdfs/checkpoint/btrfs"), "ImageVerifiesOnStart")
    current = "/hdfs/name/current"
    assert steps(v.trace)[-2:] == [
        f"env power_loss -> kept: rename {current}/fsimage.ckpt_2 -> {current}/fsimage_2; "
        f"lost: rename {current}/fsimage_2.md5.tmp -> {current}/fsimage_2.md5",
        "namenode1 start"]
