"""A broker moving full segments to tiered storage: the real uploader and retention.

The broker appends messages to local segment files of fixed capacity and
acknowledges each once it is in the file. A full segment is sealed, committed to
the object store asynchronously (upload every message past its committed
position) and the broker rolls over to the next. Retention deletes local sealed
segments it considers uploaded. What survives a crash is on disk: the segment
files, and each segment's metadata (sealed, committed position, size), written
atomically beside it. Commits in flight live in the executor, in memory.

Two designs, as :mod:`models.segment_commit` checks them:

* :class:`FireAndForgetBroker` (shipped, apache/rocketmq#8409): the future of a
  full segment's commit is dropped; retention deletes a sealed segment once no
  commit of it is in flight, whatever that commit returned;
* :class:`RecommitBroker` (fix b): a background scan re-commits every sealed
  segment whose committed position is below its size, and retention deletes a
  segment only when its committed position equals its size.

This module knows nothing of lifecheck.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .executor import SteppedExecutor
from .store import DiskObjectStore


class SegmentsFull(Exception):
    """No segment has room: the active one is full (roll it) or every segment is sealed."""


@dataclass
class Metadata:
    """A segment's persisted metadata (RocketMQ's ``FileSegmentMetadata``)."""

    size: int = 0
    sealed: bool = False
    committed: int = 0


def commit_name(segment: int) -> tuple[str, int]:
    """The executor's name for the commit of a segment."""
    return ("commit", segment)


class Broker:
    """Local segments, their metadata, the commit task and retention; a design fills in the rest.

    Constructing a broker is starting it: it loads the segments' metadata from disk.
    """

    def __init__(self, root: Path, store: DiskObjectStore, executor: SteppedExecutor, *,
                 segments: int, capacity: int) -> None:
        self.root = root
        self.store = store
        self.executor = executor
        self.capacity = capacity
        self.root.mkdir(parents=True, exist_ok=True)
        self.meta = {i: self._load_meta(i) for i in range(segments)}
        self.recover()

    @classmethod
    def format(cls, root: Path, segments: int) -> None:
        """Lay out a fresh broker's disk: one empty file per segment, as an install allocates."""
        root.mkdir(parents=True, exist_ok=True)
        for i in range(segments):
            (root / f"{i:08d}.log").touch()

    @classmethod
    def on_disk(cls, root: Path, segments: int) -> dict[int, tuple[int, bool, int, bool]]:
        """What the disk holds per segment, as a starting broker would find it: (size, sealed,
        committed, local file exists); the size is the file's while it exists."""
        out = {}
        for i in range(segments):
            log, meta_file = root / f"{i:08d}.log", root / f"{i:08d}.meta"
            meta = Metadata(**json.loads(meta_file.read_text())) if meta_file.exists() else Metadata()
            size = len(log.read_bytes().splitlines()) if log.exists() else meta.size
            out[i] = (size, meta.sealed, meta.committed, log.exists())
        return out

    # -- files ----------------------------------------------------------------------------
    def log_path(self, i: int) -> Path:
        return self.root / f"{i:08d}.log"

    def meta_path(self, i: int) -> Path:
        return self.root / f"{i:08d}.meta"

    def key(self, i: int) -> str:
        return f"seg{i}"

    def _load_meta(self, i: int) -> Metadata:
        path = self.meta_path(i)
        return Metadata(**json.loads(path.read_text())) if path.exists() else Metadata()

    def _save_meta(self, i: int) -> None:
        """Write the metadata atomically: a crash leaves the old or the new, never half."""
        path, tmp = self.meta_path(i), self.meta_path(i).with_suffix(".meta.tmp")
        tmp.write_text(json.dumps(asdict(self.meta[i])))
        os.replace(tmp, path)

    def read_messages(self, i: int, start: int, end: int) -> list[bytes]:
        return self.log_path(i).read_bytes().splitlines()[start:end]

    # -- producing ------------------------------------------------------------------------
    def active(self) -> int | None:
        """The segment being appended to: the first one not sealed."""
        return next((i for i, m in self.meta.items() if not m.sealed), None)

    def append(self, message: bytes) -> int:
        """Write the message to the active segment; returning is the acknowledgement."""
        i = self.active()
        if i is None or self.meta[i].size == self.capacity:
            raise SegmentsFull("no room: roll the active segment first" if i is not None
                               else "every segment is sealed")
        with open(self.log_path(i), "ab") as f:
            f.write(message + b"\n")
        self.meta[i].size += 1
        self._save_meta(i)
        return i * self.capacity + self.meta[i].size - 1

    def roll(self) -> int:
        """Seal the full active segment, commit it asynchronously, roll to the next."""
        i = self.active()
        if i is None or self.meta[i].size < self.capacity:
            raise SegmentsFull("the active segment is not full")
        self.meta[i].sealed = True
        self._save_meta(i)
        self.commit_full_segment(i)
        return i

    def flush(self) -> bool:
        """The periodic commit of the active segment, skipped while a commit of it is in flight.

        Its result is not looked at, harmlessly: the segment stays local, and its
        seal commits it again.
        """
        i = self.active()
        if i is None:
            return False
        m = self.meta[i]
        if m.committed >= m.size or self.executor.busy(commit_name(i)):
            return False
        self.executor.submit(commit_name(i), self.commit, i)
        return True

    # -- the commit task ----------------------------------------------------------------------
    def commit(self, i: int) -> int:
        """Upload the messages past the committed position in one request, then persist the
        new position. Raises when the request fails; the position stays."""
        m = self.meta[i]
        end = m.size
        tail = self.read_messages(i, m.committed, end) if m.committed < end else []
        if tail:
            self.store.append(self.key(i), tail)
            m.committed = end
            self._save_meta(i)
        return end

    # -- retention ----------------------------------------------------------------------------
    def delete_if_uploaded(self, i: int) -> bool:
        """Retention of one segment: delete the local file of a sealed segment considered uploaded."""
        m = self.meta[i]
        if not (self.log_path(i).exists() and m.sealed and self.considered_uploaded(i)):
            return False
        self.log_path(i).unlink()
        return True

    def retention(self) -> list[int]:
        """One pass of the retention loop."""
        return [i for i in self.meta if self.delete_if_uploaded(i)]

    # -- the design's choices -------------------------------------------------------------------
    def recover(self) -> None:
        """What a start does besides loading the metadata."""

    def commit_full_segment(self, i: int) -> None:
        raise NotImplementedError

    def considered_uploaded(self, i: int) -> bool:
        raise NotImplementedError


class FireAndForgetBroker(Broker):
    """Shipped: the commit of a full segment is fired and its future dropped."""

    def commit_full_segment(self, i: int) -> None:
        self.executor.submit(commit_name(i), self.commit, i)  # the future is ignored

    def considered_uploaded(self, i: int) -> bool:
        return not self.executor.busy(commit_name(i))  # done, however it went


class RecommitBroker(Broker):
    """Fix (b): a background scan re-commits sealed segments behind their size; retention
    waits for the committed position to reach the size."""

    def commit_full_segment(self, i: int) -> None:
        self.executor.submit(commit_name(i), self.commit, i)

    def considered_uploaded(self, i: int) -> bool:
        m = self.meta[i]
        return m.committed == m.size

    def recommit_scan(self) -> list[int]:
        """The background task: commit every sealed segment behind its size, unless in flight.

        It reads the persisted metadata, so after a crash it picks up what the
        dead process had in flight.
        """
        behind = [i for i, m in self.meta.items()
                  if m.sealed and m.committed < m.size and not self.executor.busy(commit_name(i))]
        for i in behind:
            self.executor.submit(commit_name(i), self.commit, i)
        return behind
