"""The alternating-bit protocol over lossy channels, after the TLA+ ``AlternatingBit``.

A sender passes data to a receiver over a FIFO channel that may lose any message,
and learns that a value arrived from acknowledgements on a second lossy channel.
The sender tags each new value with a bit it flips for every new value and sends
the pair again and again until an acknowledgement carrying that bit comes back;
the receiver takes the bit and value of every message it receives and keeps
acknowledging the last bit it got.

The variables are those of the TLA+ spec (``msgQ``, ``ackQ``, ``sBit``, ``sAck``,
``rBit``, ``sent``, ``rcvd``) and each action is one of its actions. Where TLC
bounds the queues with a state constraint, here a send onto a full queue is not
enabled (``msg_q_len``, ``ack_q_len``): the bound is part of the model, so that
every behaviour of the model is one that the checker explores, liveness included.
The data domain is two values.

``SentLeadsToRcvd`` is TLA+'s ``\\A d \\in Data : (sent = d) /\\ (sBit # sAck) ~> (rcvd = d)``,
one property per value (``SentLeadsToRcvd(d1)``, ``SentLeadsToRcvd(d2)``). It holds
under the TLA+ example's fairness, weak on resending and acknowledging and strong
on both receptions, and not under weak fairness alone: a message that is resent and
lost for ever leaves the receive step enabled only now and then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lifecheck import (
    Model,
    Process,
    action,
    always,
    durable,
    initial,
    leads_to,
    one_of,
    parameter,
    require,
    role,
)

DATA = ("d1", "d2")


class Sender(Process):
    """The sending end: its state lives in the model, as in the TLA+ spec."""


class Receiver(Process):
    """The receiving end: its state lives in the model, as in the TLA+ spec."""


def _sent_pending(d: str) -> Callable[[Any], bool]:
    """``(sent = d) /\\ (sBit # sAck)``: ``d`` is sent and not yet acknowledged."""
    return lambda m: m.sent == d and m.s_bit != m.s_ack


def _received(d: str) -> Callable[[Any], bool]:
    def received(m: Any) -> bool:
        return bool(m.rcvd == d)

    received.__doc__ = f"Once {d} is sent and not yet acknowledged, the receiver gets {d}."
    return received


class AlternatingBit(Model):
    """The alternating-bit protocol with queues of at most ``msg_q_len`` and ``ack_q_len``."""

    msg_q_len = parameter(2, "most messages in flight to the receiver",
                          check=lambda n: isinstance(n, int) and n >= 1)
    ack_q_len = parameter(2, "most acknowledgements in flight to the sender",
                          check=lambda n: isinstance(n, int) and n >= 1)
    senders = role(Sender, count=1)
    receivers = role(Receiver, count=1)

    msg_q = durable((), "(bit, value) messages in flight, oldest first")
    ack_q = durable((), "acknowledged bits in flight, oldest first")
    s_bit = durable(one_of((0, 1)), "the bit of the value the sender is sending")
    s_ack = durable(0, "the last bit acknowledged to the sender")
    r_bit = durable(0, "the bit of the last message received")
    sent = durable(one_of(DATA), "the value the sender is sending")
    rcvd = durable(one_of(DATA), "the last value received")

    @initial
    def in_step(self):
        """``sAck = sBit`` and ``rBit = sBit``: nothing is in flight."""
        self.s_ack = self.s_bit
        self.r_bit = self.s_bit

    @action(Sender, d=lambda m: DATA)
    def send_new_value(self, s, d):
        """``SndNewValue(d)``: once the last value is acknowledged, send a new one."""
        require(self.s_ack == self.s_bit and len(self.msg_q) < self.msg_q_len)
        self.sent = d
        self.s_bit = 1 - self.s_bit
        self.msg_q = (*self.msg_q, (self.s_bit, d))

    @action(Sender)
    def resend_msg(self, s):
        """``ReSndMsg``: send the unacknowledged value again."""
        require(self.s_ack != self.s_bit and len(self.msg_q) < self.msg_q_len)
        self.msg_q = (*self.msg_q, (self.s_bit, self.sent))

    @action(Receiver)
    def receive_msg(self, r):
        """``RcvMsg``: take the oldest message's bit and value."""
        require(self.msg_q)
        (self.r_bit, self.rcvd), self.msg_q = self.msg_q[0], self.msg_q[1:]

    @action(Receiver)
    def send_ack(self, r):
        """``SndAck``: acknowledge the last bit received."""
        require(len(self.ack_q) < self.ack_q_len)
        self.ack_q = (*self.ack_q, self.r_bit)

    @action(Sender)
    def receive_ack(self, s):
        """``RcvAck``: take the oldest acknowledgement."""
        require(self.ack_q)
        self.s_ack, self.ack_q = self.ack_q[0], self.ack_q[1:]

    @action(i=lambda m: range(m.msg_q_len))
    def lose_msg(self, i):
        """``LoseMsg``: the channel drops any one message."""
        require(i < len(self.msg_q))
        self.msg_q = self.msg_q[:i] + self.msg_q[i + 1:]

    @action(i=lambda m: range(m.ack_q_len))
    def lose_ack(self, i):
        """``LoseAck``: the channel drops any one acknowledgement."""
        require(i < len(self.ack_q))
        self.ack_q = self.ack_q[:i] + self.ack_q[i + 1:]

    @always(name="ABTypeInv")
    def type_ok(self):
        """Every variable holds a value of its type (``ABTypeInv``)."""
        return (all(b in (0, 1) and d in DATA for b, d in self.msg_q)
                and all(b in (0, 1) for b in self.ack_q)
                and {self.s_bit, self.s_ack, self.r_bit} <= {0, 1}
                and self.sent in DATA and self.rcvd in DATA)

    sent_leads_to_rcvd_d1 = leads_to(_sent_pending("d1"), _received("d1"),
                                     name="SentLeadsToRcvd(d1)")
    sent_leads_to_rcvd_d2 = leads_to(_sent_pending("d2"), _received("d2"),
                                     name="SentLeadsToRcvd(d2)")
