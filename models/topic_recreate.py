"""Topic recreate: consumer offsets across deleting and recreating a topic (Fluvio).

An admin creates and deletes a topic by name. Each creation is a new incarnation
of the topic: a fresh partition log whose first message is at offset 0. A consumer
reads the log, commits its read position (the offset of the next message it will
read) to an offset store, and whenever it (re)connects resolves where to start
from the committed offset and the log's end offset, asserting start <= end.

The shipped design keys committed offsets by topic name and never deletes them.
When the topic is deleted and created again, the consumer's offset from the old
incarnation is still there: against a new log shorter than it, the assertion fails
and the consumer panics (Fluvio's incident: stored offset 72, new topic of 2
messages); against a new log that has grown past it, the consumer silently starts
in the middle and skips messages it never read. The fixes:

* (a) :class:`DeleteOffsets`: the controller deletes the topic's offsets after
  deleting the topic. Two steps, and a controller killed between them leaves the
  stale offsets behind, exactly as if the fix were not there.
* (b) :class:`OffsetsPerIncarnation`: an offset is kept under the incarnation's
  unique id, not the topic's name, so a new incarnation can never find an old
  incarnation's offset, whatever crashed when.
* (c) :class:`ValidateOnResolve`: resolve treats start > end as a stale offset and
  starts the consumer from the beginning of the log instead of panicking. No panic
  any more, but a stale offset that happens to be <= end still looks valid and the
  consumer skips.

What the model leaves out, and why it does not matter here: message contents (a
message is its offset), partitions (one per topic), the consumer's group protocol
(one consumer id per consumer), auto-commit on close (a consumer that stops forgets
what it did not commit, the harder case). A commit is one atomic step on the
consumer's stream, which the broker serves only while the partition the stream
reads still exists: the broker ends the stream of a deleted topic.

Ghost fields (``seen``, ``resolved``, ``panic``, and the offset store's origins)
record history for the properties; the design never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from lifecheck import (
    Model,
    Process,
    action,
    always,
    durable,
    final,
    parameter,
    require,
    role,
    sometimes,
    volatile,
)
from lifecheck.components.kv_store import KeyValueStore

TOPIC = "orders"
"""The one topic name the admin creates and deletes again."""


@dataclass(frozen=True)
class Partition:
    """The topic's (one) partition while it exists: which incarnation, and its log's end offset.

    The log holds the messages at offsets ``0 .. end - 1``; the next message
    produced gets offset ``end``.
    """

    incarnation: int
    end: int = 0


@dataclass(frozen=True)
class Resolve:
    """Ghost: what a consumer's resolve used. ``offset_from`` is the incarnation in which the
    committed offset it started from was committed (None: it started at the beginning)."""

    incarnation: int
    offset_from: int | None


@dataclass(frozen=True)
class Panic:
    """The ``assert start <= end`` that failed in resolve, with the two offsets it compared."""

    start: int
    end: int


class Controller(Process):
    """The cluster controller, serving the admin's create and delete requests one at a time."""

    cleanup = volatile(None, "fix (a): the topic whose offsets the delete handler has still to "
                             "delete; in memory, so a crash forgets it")


class Producer(Process):
    """Appends to the topic while it exists. Keeps nothing of its own that matters here."""


class Consumer(Process):
    """A consumer with its own consumer id. Its stream and position live in memory."""

    session = volatile(None, "the incarnation its open stream reads (None: not connected)")
    position = volatile(0, "offset of the next message it will read")
    committed = volatile(0, "the offset this session last committed or resolved: nothing new "
                            "to commit while position equals it")
    resolved = volatile(None, "ghost: the Resolve of this session's connect (None: none yet); "
                              "lost with the session, like the session itself")
    seen = durable((0, frozenset()), "ghost: (incarnation, offsets of it this consumer has read); "
                                     "only the latest incarnation read is kept, the one NoSkip asks "
                                     "about; durable, since what was read was processed")
    panic = durable(None, "ghost: the Panic of the resolve whose assertion failed; the "
                          "consumer died there and stays dead (every restart would fail the same way)")


class TopicRecreate(Model):
    """The shipped design: offsets keyed by topic name, never deleted with the topic.

    Every fix subclasses this and changes one thing: the key of an offset
    (:meth:`offset_key`), what deleting a topic does next (:meth:`topic_deleted`),
    or how resolve treats an offset past the end (:meth:`stale`).
    """

    incarnations = parameter(2, "N: the admin creates the topic at most N times (incarnations 1..N)",
                             check=lambda n: isinstance(n, int) and n >= 1)
    messages = parameter(2, "messages produced into each incarnation, at most",
                         check=lambda n: isinstance(n, int) and n >= 0)
    consumers = parameter(1, "consumers, each with its own consumer id",
                          check=lambda n: isinstance(n, int) and n >= 1)

    controller = role(Controller)
    producer = role(Producer)
    readers = role(Consumer, count="consumers")
    offsets = KeyValueStore()
    """The offset store: replicated, so committed offsets survive any crash."""

    topic = durable(None, "the topic as the cluster knows it: its Partition, or None while it "
                          "does not exist; in the controller's metadata store and the broker's log")
    created = durable(0, "incarnations created so far; the next one's unique id is created + 1, "
                         "kept with the metadata so an id is never reused after a crash")

    # -- what the designs differ in -------------------------------------------------------
    def offset_key(self, c: Consumer, incarnation: int) -> tuple[Any, ...]:
        """Where a consumer's offset for the topic is kept. Shipped: by name, for every incarnation."""
        return (TOPIC, c.name)

    def topic_deleted(self, ctl: Controller) -> None:
        """What the delete handler does after deleting the topic. Shipped: nothing."""

    def stale(self, c: Consumer, start: int, end: int) -> int | None:
        """Resolve found start > end. Shipped: ``assert start <= end`` fails and the consumer panics.

        The panic is recorded (:attr:`Consumer.panic`, read by NoPanic) rather than
        raised, so the checker names the property it breaks; the consumer is dead.
        """
        c.panic = Panic(start, end)
        return None

    def first_offset(self, end: int) -> int:
        """Where a consumer with no committed offset starts: the beginning of the log."""
        return 0

    # -- the admin's requests, served by the controller -----------------------------------
    @action(Controller)
    def create(self, ctl: Controller) -> None:
        """Create the topic again under the same name: a new incarnation with an empty log."""
        require(self.topic is None and ctl.cleanup is None and self.created < self.incarnations)
        self.created += 1
        self.topic = Partition(self.created)

    @action(Controller)
    def delete(self, ctl: Controller) -> None:
        """Delete the topic: its log is gone and the broker ends every stream reading it."""
        require(self.topic is not None and ctl.cleanup is None)
        self.topic = None
        self.topic_deleted(ctl)

    @action(Producer)
    def produce(self, p: Producer) -> None:
        require(self.topic is not None and self.topic.end < self.messages)
        self.topic = replace(self.topic, end=self.topic.end + 1)

    # -- the consumer ---------------------------------------------------------------------
    def stream_open(self, c: Consumer) -> bool:
        """Whether the consumer's stream still reads a partition that exists."""
        return c.session is not None and self.topic is not None and self.topic.incarnation == c.session

    @action(Consumer)
    def connect(self, c: Consumer) -> None:
        """Open a stream on the topic and resolve where to start reading.

        start is the committed offset (or the beginning when there is none), end
        the log's end offset; resolve requires start <= end.
        """
        require(c.session is None and c.panic is None and self.topic is not None)
        incarnation, end = self.topic.incarnation, self.topic.end
        key = self.offset_key(c, incarnation)
        stored = self.offsets.get(key)
        start = self.first_offset(end) if stored is None else stored
        # Ghost bookkeeping for NoCrossIncarnationState: where the stored offset came from.
        c.resolved = Resolve(incarnation, None if stored is None else self.offsets.origin(key))
        if start > end:
            start = self.stale(c, start, end)
            if start is None:
                return
            c.resolved = Resolve(incarnation, None)  # the stored offset was not used
        c.session = incarnation
        c.position = c.committed = start

    @action(Consumer)
    def read(self, c: Consumer) -> None:
        require(self.stream_open(c) and c.position < self.topic.end)
        incarnation, offsets = c.seen
        if incarnation != c.session:
            incarnation, offsets = c.session, frozenset()
        c.seen = (incarnation, offsets | {c.position})
        c.position += 1

    @action(Consumer)
    def commit(self, c: Consumer) -> None:
        """Commit the read position on the stream; the broker stores it in the offset store."""
        require(self.stream_open(c) and c.position != c.committed)
        self.offsets.put(self.offset_key(c, c.session), c.position, origin=c.session)
        c.committed = c.position

    @action(Consumer)
    def disconnect(self, c: Consumer) -> None:
        """The stream closes: the broker ended it (its topic was deleted), or the consumer stopped
        (a redeploy, a rebalance). Whatever it read and did not commit, it forgets."""
        require(c.session is not None)
        c.session = None
        c.position = c.committed = 0
        c.resolved = None

    # -- properties -----------------------------------------------------------------------
    @always
    def no_panic(self) -> bool:
        """Resolve never sees start > end: no consumer panics on its committed offset."""
        return all(c.panic is None for c in self.readers)

    @always
    def no_skip(self) -> bool:
        """A consumer never moves past an offset of the current incarnation that it has not read.

        For a consumer whose stream reads the current incarnation, every offset below
        its position is one it has read in that incarnation.
        """
        for c in self.readers:
            if self.stream_open(c):
                incarnation, offsets = c.seen
                read = offsets if incarnation == c.session else frozenset()
                if any(o not in read for o in range(c.position)):
                    return False
        return True

    @always
    def no_cross_incarnation_state(self) -> bool:
        """Nothing a consumer resolves comes from a previous incarnation of the topic.

        The start offset resolve uses was committed in the incarnation the consumer
        is connecting to (or there was none and it starts at the beginning).
        """
        return all(c.resolved is None or c.resolved.offset_from in (None, c.resolved.incarnation)
                   for c in self.readers)

    @sometimes
    def resumes_from_commit(self) -> bool:
        """Committed offsets are used at all: some consumer resumes past 0 from its own commit."""
        return any(c.resolved is not None and c.resolved.offset_from == c.resolved.incarnation
                   and c.position > 0 for c in self.readers)

    @sometimes
    def reads_recreated_topic(self) -> bool:
        """The topic really is recreated and read again: a consumer reads an incarnation after the first."""
        return any(c.seen[0] >= 2 for c in self.readers)

    @final
    def cycles_done(self) -> bool:
        """The admin has run all its create and delete cycles and the topic is gone."""
        return self.created == self.incarnations and self.topic is None


class DeleteOffsets(TopicRecreate):
    """Fix (a): the delete handler deletes the topic's offsets after deleting the topic.

    The two deletes are two writes to two stores (the topic's metadata, the offset
    store), so two steps; between them the handler only remembers in memory that
    the offsets are still to go. Killed there, the controller restarts with no
    trace of it, and the stale offsets stay for the next incarnation.
    """

    def topic_deleted(self, ctl: Controller) -> None:
        ctl.cleanup = TOPIC

    @action(Controller)
    def delete_offsets(self, ctl: Controller) -> None:
        require(ctl.cleanup is not None)
        self.offsets.delete_all(prefix=(ctl.cleanup,))
        ctl.cleanup = None


class OffsetsPerIncarnation(TopicRecreate):
    """Fix (b): offsets are bound to the incarnation's unique id, not to the topic's name.

    A new incarnation has a new id, so a consumer connecting to it finds no offset
    and starts at the beginning, however the old incarnation ended. The old
    incarnations' offsets are never read again; deleting them is garbage
    collection, not correctness, and is left out.
    """

    def offset_key(self, c: Consumer, incarnation: int) -> tuple[Any, ...]:
        return (TOPIC, incarnation, c.name)


class ValidateOnResolve(TopicRecreate):
    """Fix (c): resolve validates the committed offset; past the end, it resets to the beginning.

    An offset past the end cannot belong to this log, so resolve treats it as
    stale and starts where a consumer without an offset starts (the beginning),
    instead of panicking. An offset from an old incarnation that is not past the
    end is indistinguishable from a valid one, and is used.
    """

    def stale(self, c: Consumer, start: int, end: int) -> int | None:
        return self.first_offset(end)


class ValidateAndDeleteOffsets(DeleteOffsets, ValidateOnResolve):
    """Fixes (a) and (c) together: deletion makes stale offsets rare, validation stops the panic."""
