"""The FIFO buffer of Specifying Systems (chapter 4, ``InnerFIFO``): a queue with no bound.

A sender hands values to a buffer over an asynchronous channel, and the buffer hands
them on, oldest first, over a second one. A channel is ``AsynchInterface``'s
handshake: a value and two bits, ``rdy`` and ``ack``; the sender may send when they
are equal and flips ``rdy``, the receiver takes the value when they differ and flips
``ack``. Each channel starts with any value and with ``ack = rdy`` (the ``@initial``
hook), so the model has ``(2 * |Message|) ** 2`` initial states (``messages``: two
values by default, three in the TLA+ Examples' ``MCInnerFIFO.cfg``).

Nothing in the model bounds the queue: the sender may always send. As in TLC, the
spec bounds it with a state constraint (``len(q) <= N``), which keeps the deadlock
check meaningful (a guard would make a full queue with nothing to receive look like
a deadlock) and rules liveness out: the spec checks safety alone.
"""

from __future__ import annotations

from lifecheck import Model, action, always, durable, initial, one_of, parameter, require, sometimes

DATA = ("d1", "d2")


class InnerFIFO(Model):
    """A FIFO buffer between two asynchronous channels, ``in`` and ``out``."""

    messages = parameter(DATA, "``Message``: the values that can be sent",
                         check=lambda d: isinstance(d, tuple) and len(d) > 0)
    in_val = durable(one_of(lambda m: m.messages), "the value on the input channel")
    in_rdy = durable(one_of((0, 1)), "flipped by the sender when it sends")
    in_ack = durable(0, "flipped by the buffer when it takes the value")
    q = durable((), "the values buffered, oldest first")
    out_val = durable(one_of(lambda m: m.messages), "the value on the output channel")
    out_rdy = durable(one_of((0, 1)), "flipped by the buffer when it sends")
    out_ack = durable(0, "flipped by the receiver when it takes the value")

    @initial
    def channels_idle(self) -> None:
        """``InChan!Init /\\ OutChan!Init``: no value waits on either channel."""
        self.in_ack = self.in_rdy
        self.out_ack = self.out_rdy

    @action(msg=lambda m: m.messages)
    def s_send(self, msg: str) -> None:
        """``SSend(msg)``: the sender puts a value on the input channel."""
        require(self.in_rdy == self.in_ack)
        self.in_val, self.in_rdy = msg, 1 - self.in_rdy

    @action
    def buf_rcv(self) -> None:
        """``BufRcv``: the buffer takes the waiting value onto the end of its queue."""
        require(self.in_rdy != self.in_ack)
        self.q = (*self.q, self.in_val)
        self.in_ack = 1 - self.in_ack

    @action
    def buf_send(self) -> None:
        """``BufSend``: the buffer sends its oldest value on the output channel."""
        require(self.q and self.out_rdy == self.out_ack)
        self.out_val, self.out_rdy = self.q[0], 1 - self.out_rdy
        self.q = self.q[1:]

    @action
    def r_rcv(self) -> None:
        """``RRcv``: the receiver takes the value waiting on the output channel."""
        require(self.out_rdy != self.out_ack)
        self.out_ack = 1 - self.out_ack

    @always
    def type_ok(self) -> bool:
        """``TypeInvariant``: both channels carry messages and bits; q is a sequence of messages."""
        bits = (self.in_rdy, self.in_ack, self.out_rdy, self.out_ack)
        return (self.in_val in self.messages and self.out_val in self.messages
                and all(b in (0, 1) for b in bits) and all(v in self.messages for v in self.q))

    @sometimes
    def two_buffered(self) -> bool:
        """The buffer holds two values at once: the queue really fills up to the bound."""
        return len(self.q) == 2
