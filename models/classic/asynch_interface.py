"""The asynchronous interface of Specifying Systems (chapter 3, ``AsynchInterface``).

A sender and a receiver share a value and two bits: the sender may put a new value on
the wire when ``rdy = ack`` and flips ``rdy``; the receiver takes it when they differ
and flips ``ack``. ``Init`` is a set: any value, either bit, ``ack = rdy``, so with the
three values of ``AsynchInterface.cfg`` the model starts in six states. ``Send`` picks
the new value inside the step (``val' \\in Data``): one successor per value.
"""

from __future__ import annotations

from lifecheck import Model, action, always, choose_from, durable, initial, one_of, parameter, require


class AsynchInterface(Model):
    """One asynchronous channel: the value on it, ``rdy`` and ``ack``."""

    data = parameter(("d1", "d2", "d3"), "``Data``: the values the sender may send",
                     check=lambda d: isinstance(d, tuple) and len(d) > 0)
    val = durable(one_of(lambda m: m.data), "the value on the wire")
    rdy = durable(one_of((0, 1)), "flipped by the sender when it sends")
    ack = durable(0, "flipped by the receiver when it takes the value")

    @initial
    def idle(self) -> None:
        """``ack = rdy``: nothing waits to be received."""
        self.ack = self.rdy

    @action
    def send(self) -> None:
        """``Send``: any value of Data, once the last one was received."""
        require(self.rdy == self.ack)
        self.val = choose_from(self.data)
        self.rdy = 1 - self.rdy

    @action
    def rcv(self) -> None:
        """``Rcv``: take the value waiting on the wire."""
        require(self.rdy != self.ack)
        self.ack = 1 - self.ack

    @always
    def type_invariant(self) -> bool:
        """``TypeInvariant``: a value of Data and two bits."""
        return self.val in self.data and self.rdy in (0, 1) and self.ack in (0, 1)
