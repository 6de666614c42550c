"""Segment commit: moving full segments to tiered storage (Apache RocketMQ, tieredstore).

Two models, one per incident (lifecycles.md section 2).

**Segment commit** (:class:`SegmentCommit` and its designs). A broker appends
messages to local segments of fixed capacity and acknowledges each one once it
is on local disk. When the active segment is full, the broker seals it, calls an
asynchronous commit (upload of the bytes past the segment's committed position)
and rolls over to the next segment; a flush service also commits the active
segment now and then. Retention deletes local sealed segments it considers
uploaded. In the shipped design ("fire and forget") the future of the commit
triggered by a full segment is never looked at (apache/rocketmq#8409): if that
commit fails, the tail of the segment is never uploaded, and once retention
deletes the local file those messages are gone. Fix (a) handles the result and
retries; fix (b) runs a background task that re-commits every sealed segment
whose committed position is below its size. Both let retention delete a segment
only once its committed position equals its size. A crash between "seal" and
"commit succeeded" drops the in-memory retry of fix (a); fix (a) is complete only
with a start-up scan, which is fix (b)'s scan run once (:class:`RetryAndRecover`).

What survives a crash, as in RocketMQ: the local segment files, and each
segment's metadata (sealed flag and committed position: ``FileSegmentMetadata``,
persisted by the metadata store). In-flight commits and their callbacks are in
memory (the :class:`~models.components.executor.Executor`). The remote store
survives everything (:class:`~models.components.remote_store.RemoteStore`).

**Index upload** (:class:`IndexUpload`). An index service writes index entries
into local index files and uploads sealed files in the background, part by part,
then marks the remote file complete. On shutdown the shipped service stopped its
upload thread without uploading the last file, and the fetcher served whatever a
remote file held, complete or not (apache/rocketmq#8653). The fix flushes and
uploads the last file and waits for it, and the fetcher trusts only remote files
whose metadata says complete.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lifecheck import (
    FrozenMap,
    Model,
    Process,
    action,
    always,
    durable,
    final,
    leads_to,
    parameter,
    require,
    role,
    sometimes,
    volatile,
)
from lifecheck.components.executor import Executor
from lifecheck.components.remote_store import RemoteStore

REMOTE = "remote"
"""The fault kind of a failed request to the remote store (``Fail(kind="remote")``)."""


# ======================================================================================
# Segment commit
# ======================================================================================

@dataclass(frozen=True)
class Segment:
    """One segment as the broker's disk records it: the file and its persisted metadata."""

    size: int = 0
    """Messages appended to the local file."""
    sealed: bool = False
    """The metadata says full: no more appends; retention may consider it."""
    committed: int = 0
    """The committed position in the metadata: messages known to be in the remote store."""
    local: bool = True
    """The local file still exists (retention deletes it)."""

    def __repr__(self) -> str:
        flags = ("sealed, " if self.sealed else "") + ("" if self.local else "deleted, ")
        return f"<{flags}size {self.size}, committed {self.committed}>"


@dataclass(frozen=True)
class Commit:
    """The asynchronous commit of one segment: upload everything past its committed position.

    The range is read when the task runs, not when it is submitted, as
    ``FileSegment#commitAsync`` takes its buffers under its commit lock: two
    commits of one segment never upload the same message twice.
    """

    segment: int


class Broker(Process):
    """The broker process: its segments are on disk, its commits in flight are in memory."""

    started = volatile(False, "recovered its metadata since it was last (re)started")
    segments = durable(lambda m: FrozenMap({i: Segment() for i in range(m.segments)}),
                       "segment number -> the local file with its metadata (sealed, committed)")


class SegmentCommit(Model):
    """What every segment-commit design shares: appending, sealing, running commits, properties.

    A design says what it does with the commit of a full segment
    (:meth:`commit_full_segment`), what counts as uploaded for retention
    (:meth:`considered_uploaded`) and what a restart recovers (:meth:`recover`).
    """

    segments = parameter(2, "segments the broker fills, one after the other",
                         check=lambda n: isinstance(n, int) and n >= 1)
    capacity = parameter(2, "messages per segment", check=lambda n: isinstance(n, int) and n >= 1)
    brokers = role(Broker, count=1)
    executor = Executor()
    remote = RemoteStore(kind=REMOTE)
    acked = durable(0, "messages acknowledged to producers: the outside world remembers them")

    # -- the design's choices ---------------------------------------------------------------
    def commit_full_segment(self, b: Broker, i: int) -> None:
        raise NotImplementedError

    def considered_uploaded(self, b: Broker, i: int) -> bool:
        raise NotImplementedError

    def recover(self, b: Broker) -> None:
        """What a (re)start does besides loading the metadata (default: nothing more)."""

    # -- helpers --------------------------------------------------------------------------
    def key(self, i: int) -> str:
        return f"seg{i}"

    def messages(self, i: int, start: int, end: int) -> tuple[int, ...]:
        """Message ids at positions [start, end) of segment i (ids count from 0 across segments)."""
        return tuple(range(i * self.capacity + start, i * self.capacity + end))

    def active(self, b: Broker) -> int | None:
        """The segment being appended to: the first one not sealed (None: all are full)."""
        return next((i for i, s in b.segments.items() if not s.sealed), None)

    def set_segment(self, b: Broker, i: int, **changes: object) -> None:
        b.segments = b.segments.set(i, replace(b.segments[i], **changes))

    def fully_uploaded(self, b: Broker, i: int) -> bool:
        """Ground truth, not the broker's belief: the remote object holds every message."""
        seg = b.segments[i]
        return all(self.remote.holds(self.key(i), m) for m in self.messages(i, 0, seg.size))

    def readable(self, m: int) -> bool:
        """Message m is on some broker's local disk or in the remote store."""
        i = m // self.capacity
        return any(s.segments[i].local for s in self.brokers) or self.remote.holds(self.key(i), m)

    # -- the broker -----------------------------------------------------------------------
    @action(Broker)
    def start(self, b: Broker) -> None:
        """(Re)start: load segments and metadata from disk; the design may recover more."""
        require(not b.started)
        self.recover(b)
        b.started = True

    @action(Broker)
    def append(self, b: Broker) -> None:
        """A producer's message is written to the active segment and acknowledged."""
        require(b.started)
        i = self.active(b)
        require(i is not None and b.segments[i].size < self.capacity)
        self.set_segment(b, i, size=b.segments[i].size + 1)
        self.acked += 1

    @action(Broker)
    def seal(self, b: Broker) -> None:
        """The active segment is full: seal it, commit it asynchronously, roll to the next."""
        require(b.started)
        i = self.active(b)
        require(i is not None and b.segments[i].size == self.capacity)
        self.set_segment(b, i, sealed=True)
        self.commit_full_segment(b, i)

    @action(Broker)
    def flush(self, b: Broker) -> None:
        """The periodic commit of the active segment; its result is not looked at (harmless:
        the segment stays local and its seal commits it again).

        Like the commit lock in ``FileSegment``, it is skipped while a commit of the
        segment is still in flight.
        """
        require(b.started)
        i = self.active(b)
        require(i is not None)
        seg = b.segments[i]
        require(seg.committed < seg.size and not self.executor.is_busy(Commit(i)))
        self.executor.submit(Commit(i), reply=False)

    @action(Broker)
    def run_task(self, b: Broker) -> None:
        """A commit runs: upload the messages past the committed position, in one request.

        On success the segment's committed position moves in the same step:
        RocketMQ persists it right after the upload, and on start reconciles a
        stale position with the remote file's size (``recoverFileSize``), so a crash
        between the two ends where this step does.
        """
        task = self.executor.start()
        i = task.work.segment
        seg = b.segments[i]
        tail = self.messages(i, seg.committed, seg.size)
        assert seg.local or not tail, f"segment {i}'s commit has to read a deleted local file"
        ok = True  # nothing past the committed position: done without a request
        if tail:
            ok = self.remote.append(self.key(i), tail)
            if ok:
                self.set_segment(b, i, committed=seg.size)
        self.executor.finish(task, ok)

    @action(Broker, segment=lambda m: range(m.segments))
    def retention(self, b: Broker, segment: int) -> None:
        """Delete a local sealed segment that the design considers uploaded."""
        require(b.started)
        seg = b.segments[segment]
        require(seg.local and seg.sealed and self.considered_uploaded(b, segment))
        self.set_segment(b, segment, local=False)

    # -- properties -----------------------------------------------------------------------
    @always
    def no_lost_message(self) -> bool:
        """Every message acknowledged to a producer is readable from local disk or the remote store."""
        return all(self.readable(m) for m in range(self.acked))

    @leads_to(lambda m: any(s.sealed and not m.fully_uploaded(b, i)
                            for b in m.brokers for i, s in b.segments.items()))
    def eventually_uploaded(self) -> bool:
        """Every sealed segment is eventually fully uploaded to the remote store.

        Precisely: whenever a sealed segment is not all in the remote store,
        eventually every sealed segment is. Checked under weak fairness with
        finitely many faults (the budgets), so it asks that every sealed segment
        be uploaded once the remote store stops failing and the broker stops
        crashing.
        """
        return all(not s.sealed or self.fully_uploaded(b, i)
                   for b in self.brokers for i, s in b.segments.items())

    @sometimes
    def all_offloaded(self) -> bool:
        """Every segment full, uploaded and deleted locally: the whole lifecycle can happen."""
        return all(not s.local and s.size == self.capacity
                   for b in self.brokers for s in b.segments.values())

    @final
    def idle(self) -> bool:
        """Producers are done, every segment is sealed and no commit is in flight.

        Stopping here is legitimate even with a segment that never got uploaded:
        a broker idling is not a deadlock, and EventuallyUploaded reports it.
        """
        return all(b.started and all(s.sealed for s in b.segments.values()) for b in self.brokers) \
            and self.executor.idle()


class FireAndForget(SegmentCommit):
    """The shipped design: the commit of a full segment is fired and its future forgotten.

    Retention treats a sealed segment as uploaded once the commit it triggered is
    no longer in flight (the future is done); it never learns what that commit
    returned, and nothing commits a sealed segment again.
    """

    def commit_full_segment(self, b: Broker, i: int) -> None:
        self.executor.submit(Commit(i), reply=False)

    def considered_uploaded(self, b: Broker, i: int) -> bool:
        return not self.executor.is_busy(Commit(i))


class CommittedRetention(SegmentCommit):
    """What both fixes share: retention waits until the committed position equals the size."""

    def considered_uploaded(self, b: Broker, i: int) -> bool:
        seg = b.segments[i]
        return seg.committed == seg.size


class RetryOnFailure(CommittedRetention):
    """Fix (a): handle the commit's result; on failure, commit again.

    The retry lives in the callback, in memory: a crash between the seal and a
    successful commit leaves a sealed segment that nobody commits again.
    """

    def commit_full_segment(self, b: Broker, i: int) -> None:
        self.executor.submit(Commit(i), reply=True)

    @action(Broker)
    def commit_done(self, b: Broker) -> None:
        """The callback of a full segment's commit: retry if it failed."""
        done = self.executor.take_reply()
        if not done.outcome:
            self.executor.submit(done.work, reply=True)


class RetryAndRecover(RetryOnFailure):
    """Fix (a) made crash-safe: on start, commit every sealed segment not fully committed."""

    def recover(self, b: Broker) -> None:
        for i, seg in b.segments.items():
            if seg.sealed and seg.committed < seg.size:
                self.executor.submit(Commit(i), reply=True)


class BackgroundRecommit(CommittedRetention):
    """Fix (b): the full segment's commit stays fire and forget; a background task re-commits
    every sealed segment whose committed position is below its size.

    The scan reads the persisted metadata, so it picks up after a crash as well.
    """

    def commit_full_segment(self, b: Broker, i: int) -> None:
        self.executor.submit(Commit(i), reply=False)

    @action(Broker)
    def recommit(self, b: Broker) -> None:
        """The background scan: commit every sealed segment behind its size, unless in flight."""
        require(b.started)
        behind = [i for i, s in b.segments.items()
                  if s.sealed and s.committed < s.size and not self.executor.is_busy(Commit(i))]
        require(behind)
        for i in behind:
            self.executor.submit(Commit(i), reply=False)


# ======================================================================================
# Index upload on shutdown
# ======================================================================================

@dataclass(frozen=True)
class IndexFile:
    """A local index file and its upload status, as the index service's table records it."""

    entries: tuple[int, ...] = ()
    sealed: bool = False
    """No more entries go in: the file is full, or was closed by shutdown."""
    uploaded: bool = False
    """Its remote copy is complete, so the local file was destroyed.

    ``entries`` is kept after that only as the model's record of what the file
    held, which the properties compare against; no design code reads it.
    """

    def __repr__(self) -> str:
        status = "uploaded" if self.uploaded else "sealed" if self.sealed else "open"
        return f"<{status} {self.entries}>"


class IndexService(Process):
    """The broker's index service: files on disk, upload progress and phase in memory."""

    files = durable(FrozenMap(), "file number -> local index file; the last one, unless sealed, "
                                 "is written to")
    parts_done = volatile(0, "parts of the first sealed, not uploaded file already uploaded")
    phase = volatile("running", "running, stopping (fixed shutdown waits for uploads), stopped")


class Fetcher(Process):
    """Serves index queries from the files in tiered storage."""

    served = volatile(None, "(file, entries) it last returned from a remote file, or None")


class IndexUpload(Model):
    """Index service and fetcher; the shipped design by default.

    ``flush_on_shutdown``: shutdown seals the last file and waits until every file
    is uploaded (the fix of ``IndexStoreService#shutdown``). ``fetcher_checks``:
    the fetcher only serves remote files whose metadata says complete. An index
    file is uploaded one entry per request (a part), then completed.
    """

    entries = parameter(3, "index entries written before shutdown, at most",
                        check=lambda n: isinstance(n, int) and n >= 1)
    per_file = parameter(2, "entries per index file", check=lambda n: isinstance(n, int) and n >= 1)
    flush_on_shutdown = parameter(False, "the fix: shutdown uploads the last file and waits")
    fetcher_checks = parameter(False, "the fix: the fetcher only trusts complete remote files")
    indexer = role(IndexService, count=1)
    fetcher = role(Fetcher, count=1)
    remote = RemoteStore(kind=REMOTE)

    def key(self, f: int) -> str:
        return f"index{f}"

    def written(self, s: IndexService) -> int:
        return sum(len(f.entries) for f in s.files.values())

    def next_upload(self, s: IndexService) -> int | None:
        """The first sealed file not yet uploaded: files are uploaded in order."""
        return next((n for n, f in s.files.items() if f.sealed and not f.uploaded), None)

    def set_file(self, s: IndexService, n: int, **changes: object) -> None:
        s.files = s.files.set(n, replace(s.files[n], **changes))

    def trusts(self, obj: object) -> bool:
        return obj.complete or not self.fetcher_checks

    # -- the index service ------------------------------------------------------------------
    @action(IndexService)
    def put_key(self, s: IndexService) -> None:
        """Write an entry into the current file; a new file when there is none or it is sealed."""
        require(s.phase == "running" and self.written(s) < self.entries)
        entry = self.written(s)
        last = len(s.files) - 1
        if last < 0 or s.files[last].sealed:
            last += 1
            s.files = s.files.set(last, IndexFile())
        entries = (*s.files[last].entries, entry)
        self.set_file(s, last, entries=entries, sealed=len(entries) == self.per_file)

    @action(IndexService)
    def upload_part(self, s: IndexService) -> None:
        """Upload the next entry of the first sealed file; the first part starts the object
        afresh, so an upload cut short by a crash starts over."""
        require(s.phase in ("running", "stopping"))
        n = self.next_upload(s)
        require(n is not None and s.parts_done < len(s.files[n].entries))
        part = (s.files[n].entries[s.parts_done],)
        if s.parts_done == 0:
            ok = self.remote.put(self.key(n), part)
        else:
            ok = self.remote.append(self.key(n), part)
        if ok:
            s.parts_done += 1

    @action(IndexService)
    def complete_upload(self, s: IndexService) -> None:
        """Every part is up: mark the remote file complete, then destroy the local one."""
        require(s.phase in ("running", "stopping"))
        n = self.next_upload(s)
        require(n is not None and s.parts_done == len(s.files[n].entries))
        if self.remote.complete(self.key(n)):
            self.set_file(s, n, uploaded=True)
            s.parts_done = 0

    @action(IndexService)
    def shutdown(self, s: IndexService) -> None:
        """Graceful shutdown. Shipped: stop the upload thread at once. Fixed: seal the last
        file and keep uploading until every file is up."""
        require(s.phase == "running")
        if not self.flush_on_shutdown:
            s.phase = "stopped"
            return
        last = len(s.files) - 1
        if last >= 0 and not s.files[last].sealed:
            self.set_file(s, last, sealed=True)
        s.phase = "stopping"

    @action(IndexService)
    def stopped(self, s: IndexService) -> None:
        """The fixed shutdown returns once the table holds no file that is not uploaded."""
        require(s.phase == "stopping" and all(f.uploaded for f in s.files.values()))
        s.phase = "stopped"

    # -- the fetcher --------------------------------------------------------------------------
    @action(Fetcher, file=lambda m: range(m.entries))  # every file holds at least one entry
    def fetch(self, f: Fetcher, file: int) -> None:
        """Read an index file from tiered storage and serve its entries, if it is trusted."""
        ok, obj = self.remote.read(self.key(file))
        if ok and obj is not None and self.trusts(obj):
            f.served = (file, obj.data)

    # -- properties -----------------------------------------------------------------------
    def in_remote(self, entry: int) -> bool:
        return any(entry in obj.data and obj.complete for obj in self.remote.objects.values())

    @always
    def shutdown_complete(self) -> bool:
        """After a graceful shutdown completes, every index entry is in a complete remote file."""
        return all(s.phase != "stopped" or all(self.in_remote(e) for e in range(self.written(s)))
                   for s in self.indexer)

    @always
    def fetcher_sees_complete_files(self) -> bool:
        """The fetcher never returns data from a remote file that is only partly uploaded.

        What it served must be every entry the file holds: the index service's
        record is the judge, not the store's metadata, so an uploader that marks a
        file complete too early is caught as well.
        """
        for f in self.fetcher:
            if f.served is not None:
                file, data = f.served
                held = self.indexer[0].files.get(file)
                if held is None or not held.sealed or data != held.entries:
                    return False
        return True

    @leads_to(lambda m: any(s.phase == "stopping" for s in m.indexer))
    def shutdown_terminates(self) -> bool:
        """A shutdown that waits for uploads returns (under weak fairness, finitely many faults).

        A fix that waited for something that can never happen would hang the broker's
        shutdown; the shipped shutdown never waits, so it holds trivially there.
        """
        return all(s.phase != "stopping" for s in self.indexer)

    @sometimes
    def stopped_with_entries(self) -> bool:
        """A shutdown after the last file got entries (the incident's situation) is reachable."""
        return any(s.phase == "stopped" and self.written(s) == self.entries for s in self.indexer)
