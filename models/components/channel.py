"""A message channel between processes, shared by every lifecycle whose processes talk.

Messages travel on *streams*, one per (sender, receiver) pair, and each stream is
FIFO: a receiver takes a sender's messages in the order they were sent. Streams of
different pairs are independent, so messages from two senders (or to two
receivers) interleave in every possible way. That is what TCP connections, Aeron
publications and images, and most message buses promise, and no more.

**The end of a stream is a message.** When a sender closes its end (a publication
closed, a socket shut down, a messaging client gone), the receiver sees :data:`END`
after everything sent before it, never earlier: Aeron reports "image unavailable"
only once the image has been drained, TCP delivers FIN after the data. A stream is
open from its first ``send`` (or ``open``) until its ``end``; a later send starts a
new stream on the same pair, behind the old END. Only open streams end, so a
receiver sees one END per stream, never a stray one.

**Faults are the checker's** (``Fail(kind=..., max=N)`` in a spec): a channel built
with ``loss="loss"`` may lose a sent message, one built with ``duplication=
"duplicate"`` may deliver it twice (back to back, as a retransmission would). Loss
and duplication are silent: the sender's ``send`` still says it went. Two more kinds
tell the sender something, and that is the ambiguity retry bugs are made of: with
``fail=``, a send fails visibly and sends nothing (``send`` returns False, nothing
changes); with ``timeout=``, a send that put its message on the stream times out
all the same (``send`` returns False, the message will be delivered). Each
costs one unit of its budget, and every spec of such a model says how many it
allows (``max=0`` for none: a kind without a budget is an error, never a fault
that silently cannot happen). A channel built without them is reliable. END is
never lost or duplicated: it is the transport's own signal, not a message anybody
sends.

**A crash** of a process (or of the process an endpoint lives in: see ``hosts``)
does three things, which the constructor lets a model choose where its transport
differs:

* What was in flight *to* it is lost (``lose_inbox_on_crash=True``, the default):
  its subscriptions and socket buffers were memory of the dead process, and a
  restarted process subscribes afresh. A durable queue (a broker that keeps
  undelivered messages on disk) keeps them: pass False.
* What it had sent and was still in flight is delivered (``lose_outbox_on_crash=
  False``, the default): once sent, it is on the wire or in a driver that outlives
  the sender. Where the transport's buffers die with the sender (a media driver
  embedded in the same process), pass True and they are lost.
* Every stream it had open ends: its receivers see END (after whatever of its
  messages survive), as a peer sees a reset connection or an image go away.
  Streams *into* the crashed process stay open: their senders do not know.

A power loss loses everything in flight and every stream, without END: both
fields are volatile, and every process is down anyway.

**State and bounds.** ``queues`` maps each pair with messages in flight to the
tuple of them, oldest first (pairs with none are absent), and ``streams`` holds
the open pairs (a map rather than a set, so that a trace shows the one stream that
opened or ended, not the whole set). Both are canonical: equal channels are equal states however
they got there. The channel does not bound itself unless given a ``capacity``
(messages in flight per pair; a send into a full pair waits, i.e. the step is not
enabled); otherwise its size is what the model sends, at most one END per stream
opened, plus one copy per duplication fault.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from lifecheck import Component, FrozenMap, ModelError, current_process, fault, require, volatile
from lifecheck.message_labels import duplicated_label, lost_label

from .remote_store import timed_out_label


class EndOfStream(enum.Enum):
    """The type of :data:`END`: an atom no model message can be equal to by accident."""

    END = "END"

    def __repr__(self) -> str:
        return "END"


END = EndOfStream.END
"""What a receiver takes from a stream after the sender closed it (or crashed)."""

Pair = tuple[str, str]
"""(sender, receiver): the endpoints of one stream."""

OPEN = "open"
"""What ``streams`` maps an open stream to."""


class Channel(Component):
    """Streams of messages between endpoints, FIFO per (sender, receiver) pair.

    Endpoints are named by strings: a process's name (``broker1``) by default, which
    is also the sender a ``send`` from a process's action gets. An endpoint that is
    not a process of its own (an agent inside a process, such as an archive inside
    a clustered media driver) is named freely and mapped to the process it lives in
    through ``hosts``, so that it shares that process's crashes.
    """

    queues = volatile(FrozenMap(), "(sender, receiver) -> messages in flight, oldest first")
    streams = volatile(FrozenMap(), "(sender, receiver) -> 'open', for each stream open now")

    def __init__(self, loss: str | None = None, duplication: str | None = None,
                 capacity: int | None = None, lose_inbox_on_crash: bool = True,
                 lose_outbox_on_crash: bool = False, hosts: Mapping[str, str] | None = None,
                 fail: str | None = None, timeout: str | None = None) -> None:
        """``loss``, ``duplication``, ``fail`` and ``timeout`` name the fault kinds a spec
        budgets (None, the default: never); give each channel of a model its own names
        if their budgets must differ."""
        if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
            raise ModelError(f"Channel capacity must be a whole number >= 1 or None, got {capacity!r}")
        kinds = [k for k in (loss, duplication, fail, timeout) if k is not None]
        if len(set(kinds)) < len(kinds):
            raise ModelError(f"Channel(loss={loss!r}, duplication={duplication!r}, fail={fail!r}, "
                             f"timeout={timeout!r}) names one fault kind twice: each outcome "
                             "needs a kind of its own, so that a spec budgets them apart")
        self.loss = loss
        self.duplication = duplication
        self.fail = fail
        self.timeout = timeout
        self.capacity = capacity
        self.lose_inbox_on_crash = lose_inbox_on_crash
        self.lose_outbox_on_crash = lose_outbox_on_crash
        self.hosts = FrozenMap(hosts or {})

    # -- reading ------------------------------------------------------------------------
    def pending(self, receiver: str, sender: str) -> tuple[Any, ...]:
        """Everything in flight from ``sender`` to ``receiver``, oldest first."""
        return self.queues.get((sender, receiver), ())

    def peek(self, receiver: str, sender: str) -> Any:
        """The message ``receiver`` would take next from ``sender``, or None when there is none."""
        queue = self.queues.get((sender, receiver))
        return queue[0] if queue else None

    def senders(self, receiver: str) -> tuple[str, ...]:
        """The senders with something in flight to ``receiver``, sorted."""
        return tuple(s for s, r in self.queues if r == receiver)

    def is_open(self, receiver: str, sender: str | None = None) -> bool:
        """Whether the stream from ``sender`` (default: the running process) to ``receiver`` is open."""
        return (self._sender(sender, "is_open"), receiver) in self.streams

    def in_flight(self) -> int:
        """How many messages (END included) are in flight on all streams together."""
        return sum(len(q) for q in self.queues.values())

    # -- sending ------------------------------------------------------------------------
    def open(self, receiver: str, sender: str | None = None) -> None:
        """Connect a stream without sending anything yet, so that its end will be seen."""
        key = (self._sender(sender, "open"), receiver)
        if key not in self.streams:
            self.streams = self.streams.set(key, OPEN)

    def send(self, receiver: str, message: Any, sender: str | None = None) -> bool:
        """Put ``message`` on the stream to ``receiver``, opening the stream if needed.

        ``sender`` defaults to the process whose step is running; an environment
        step must name it. With a capacity, a send into a full stream waits: the
        step is not enabled until the receiver has taken something. Returns what
        the sender is told: False when the send failed (``fail``: nothing sent) or
        timed out (``timeout``: sent all the same), True otherwise, a silent loss
        included.
        """
        if message is END:
            raise ModelError("a model does not send END; it ends a stream with end() or end_all()")
        key = (self._sender(sender, "send"), receiver)
        queue = self.queues.get(key, ())
        if self.capacity is not None:
            require(len(queue) < self.capacity)
        if self.fail is not None and fault(self.fail):
            return False
        if key not in self.streams:
            self.streams = self.streams.set(key, OPEN)
        if self.loss is not None and fault(self.loss, label=lost_label(self.name, message, receiver,
                                                                       self.loss)):
            return True
        room = self.capacity is None or len(queue) + 2 <= self.capacity
        twice = duplicated_label(self.name, message, receiver, self.duplication or "")
        copies = 2 if self.duplication is not None and room and fault(self.duplication, label=twice) else 1
        self.queues = self.queues.set(key, queue + (message,) * copies)
        return not (self.timeout is not None
                    and fault(self.timeout, label=timed_out_label(self.name, "send", self.timeout)))

    def end(self, receiver: str, sender: str | None = None) -> None:
        """Close the stream to ``receiver``: it sees END after what was sent. No-op if not open."""
        key = (self._sender(sender, "end"), receiver)
        if key in self.streams:
            self.streams = self.streams.remove(key)
            self._append_end((key,))

    def end_all(self, sender: str | None = None) -> None:
        """Close every stream the sender has open (its messaging client closes)."""
        me = self._sender(sender, "end_all")
        ending = tuple(k for k in self.streams if k[0] == me)
        if ending:
            self.streams = self.streams.remove(*ending)
            self._append_end(ending)

    def end_every_stream(self) -> None:
        """Close every open stream of every sender (the transport itself shuts down)."""
        ending = tuple(self.streams)
        if ending:
            self.streams = FrozenMap()
            self._append_end(ending)

    # -- receiving ----------------------------------------------------------------------
    def receive(self, receiver: str, sender: str) -> Any:
        """Take the oldest message from ``sender`` to ``receiver`` (END included).

        Waits when there is none: the calling step is not enabled, so an action
        that receives needs no guard of its own for an empty stream.
        """
        key = (sender, receiver)
        queue = self.queues.get(key)
        require(queue)
        assert queue is not None
        rest = queue[1:]
        self.queues = self.queues.set(key, rest) if rest else self.queues.remove(key)
        return queue[0]

    def discard(self, receiver: str) -> None:
        """Drop everything in flight to ``receiver`` (it closed its subscriptions and went away)."""
        queues = self.queues
        if any(r == receiver for _, r in queues):
            self.queues = queues.filter(lambda pair, _: pair[1] != receiver)

    # -- faults -------------------------------------------------------------------------
    def on_crash(self, process: str) -> None:
        """Lose what the crash loses (see the module notes) and end the dead endpoints' streams."""
        dead = self._endpoints_of(process)
        lose_in, lose_out = self.lose_inbox_on_crash, self.lose_outbox_on_crash
        queues = self.queues
        if lose_in or lose_out:
            queues = queues.filter(lambda pair, _: not ((lose_in and pair[1] in dead)
                                                         or (lose_out and pair[0] in dead)))
        ending = tuple(k for k in self.streams if k[0] in dead)
        if ending:
            self.streams = self.streams.remove(*ending)
            for key in ending:
                if not (lose_in and key[1] in dead):
                    queues = queues.set(key, (*queues.get(key, ()), END))
        if queues != self.queues:
            self.queues = queues

    # -- internals ----------------------------------------------------------------------
    def _endpoints_of(self, process: str) -> frozenset[str]:
        return frozenset({process, *(e for e, host in self.hosts.items() if host == process)})

    def _append_end(self, keys: Iterable[Pair]) -> None:
        queues = self.queues
        for key in keys:
            queues = queues.set(key, (*queues.get(key, ()), END))
        self.queues = queues

    def _sender(self, sender: str | None, what: str) -> str:
        if sender is not None:
            return sender
        me = current_process()
        if me is None:
            raise ModelError(f"{what}() from an environment step must name its sender= endpoint")
        return me
