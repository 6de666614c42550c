"""The TCP connection state machine of RFC 9293, after the TLA+ Examples' ``tcp``
(Kuppe), with its ``MCtcp.cfg``: two peers, one of which has already been opened
actively and the other passively.

Each peer has a connection state, a flag for its transmission control block and an
incoming FIFO of segments (``network[p]``). The actions are those of ``tcp.tla``, one
per TLA+ action, each taken by the ``local`` peer towards the other one (with two
peers, ``\\E local, remote \\in Peers`` with ``local # remote`` names one pair per
local peer): the user's calls (``User``), the segments a state reacts to
(``System``) and resets (``Reset``, RFC 9293's note 3).

The model does not bound itself: ``MCtcp.cfg`` does, with the state constraint
``NoRetransmission`` (no segment directly followed by an equal one in a queue) and the
action constraint ``SingleActiveOpen`` (no ``ACTIVE_OPEN``, ``PASSIVE_OPEN`` or ``SEND``
step beyond the open implicit in the initial states). Both are here as functions for
``Spec(constraint=..., action_constraint=...)``; the latter is, as in TLC, a predicate
on the pair of states, not on the action's name.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from lifecheck import Model, Process, action, always, choose_from, durable, initial, one_of, require, role

STATES = ("LISTEN", "CLOSED", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
          "CLOSING", "CLOSE-WAIT", "LAST-ACK", "TIME-WAIT")
SEGMENTS = ("SYN", "SYN,ACK", "ACK", "RST", "FIN", "ACKofFIN")


class Peer(Process):
    """One end of the connection."""

    tcb = durable(True, "``tcb[p]``: whether the peer holds a transmission control block")
    connstate = durable(one_of(("SYN-SENT", "LISTEN")), "``connstate[p]``: its RFC 9293 state")
    network = durable((), "``network[p]``: the segments on their way to the peer, oldest first")


class TCP(Model):
    """``Spec`` of ``tcp.tla`` from ``MCInit``: ``Peers = {A, B}``."""

    peers = role(Peer, count=2)

    @initial
    def one_active_open(self) -> None:
        """``MCInit``: one peer has sent a SYN (SYN-SENT), the other listens with it queued."""
        require(sorted(p.connstate for p in self.peers) == ["LISTEN", "SYN-SENT"])
        for p in self.peers:
            p.network = () if p.connstate == "SYN-SENT" else ("SYN",)

    def remote(self, local: Peer) -> Peer:
        """The other peer: ``remote`` in ``\\E local, remote \\in Peers : local # remote``."""
        return self.peers[1 - local.index]

    def receive(self, local: Peer, segment: str) -> None:
        """``IsPrefix(<<segment>>, network[local])``, then ``Tail``: take the segment."""
        require(local.network[:1] == (segment,))
        local.network = local.network[1:]

    def to_remote(self, local: Peer, segment: str) -> None:
        """``network[remote] = Append(@, segment)``."""
        remote = self.remote(local)
        remote.network = (*remote.network, segment)

    def react(self, local: Peer, state: str, segment: str, reply: str | None, then: str) -> None:
        """In ``state``, take ``segment``, send ``reply`` (if any) and move to ``then``:
        the shape of every ``System`` action."""
        require(local.connstate == state)
        self.receive(local, segment)
        if reply is not None:
            self.to_remote(local, reply)
        local.connstate = then

    # User ------------------------------------------------------------------------------
    @action(Peer)
    def active_open(self, p: Peer) -> None:
        """``ACTIVE_OPEN``: create the TCB and send a SYN."""
        require(p.connstate == "CLOSED")
        self.to_remote(p, "SYN")
        p.connstate, p.tcb = "SYN-SENT", True

    @action(Peer)
    def passive_open(self, p: Peer) -> None:
        """``PASSIVE_OPEN``: create the TCB and listen."""
        require(p.connstate == "CLOSED")
        p.connstate, p.tcb = "LISTEN", True

    @action(Peer)
    def close_syn_sent(self, p: Peer) -> None:
        """``CLOSE_SYN_SENT``: give up the connection attempt, delete the TCB."""
        require(p.connstate == "SYN-SENT")
        p.connstate, p.tcb = "CLOSED", False

    @action(Peer)
    def close_syn_received(self, p: Peer) -> None:
        """``CLOSE_SYN_RECEIVED``: send a FIN."""
        require(p.connstate == "SYN-RECEIVED")
        self.to_remote(p, "FIN")
        p.connstate = "FIN-WAIT-1"

    @action(Peer)
    def close_listen(self, p: Peer) -> None:
        """``CLOSE_LISTEN``: stop listening, delete the TCB."""
        require(p.connstate == "LISTEN")
        p.connstate, p.tcb = "CLOSED", False

    @action(Peer)
    def close_established(self, p: Peer) -> None:
        """``CLOSE_ESTABLISHED``: send a FIN."""
        require(p.connstate == "ESTABLISHED")
        self.to_remote(p, "FIN")
        p.connstate = "FIN-WAIT-1"

    @action(Peer)
    def close_close_wait(self, p: Peer) -> None:
        """``CLOSE_CLOSE_WAIT``: send a FIN."""
        require(p.connstate == "CLOSE-WAIT")
        self.to_remote(p, "FIN")
        p.connstate = "LAST-ACK"

    @action(Peer)
    def send(self, p: Peer) -> None:
        """``SEND``: a listening peer sends a SYN."""
        require(p.connstate == "LISTEN")
        self.to_remote(p, "SYN")
        p.connstate = "SYN-SENT"

    # System ----------------------------------------------------------------------------
    @action(Peer)
    def syn_sent(self, p: Peer) -> None:
        """``SynSent``: a SYN (simultaneous open) or a SYN,ACK (answered with an ACK)."""
        if p.network[:1] == ("SYN",):
            self.react(p, "SYN-SENT", "SYN", "SYN,ACK", "SYN-RECEIVED")
        else:
            self.react(p, "SYN-SENT", "SYN,ACK", "ACK", "ESTABLISHED")

    @action(Peer)
    def syn_received(self, p: Peer) -> None:
        """``SynReceived``: a RST (back to LISTEN) or the ACK of the SYN."""
        if p.network[:1] == ("RST",):
            self.react(p, "SYN-RECEIVED", "RST", None, "LISTEN")
        else:
            self.react(p, "SYN-RECEIVED", "ACK", None, "ESTABLISHED")

    @action(Peer)
    def listen(self, p: Peer) -> None:
        """``Listen``: a SYN, answered with a SYN,ACK."""
        self.react(p, "LISTEN", "SYN", "SYN,ACK", "SYN-RECEIVED")

    @action(Peer)
    def established(self, p: Peer) -> None:
        """``Established``: a FIN, acknowledged."""
        self.react(p, "ESTABLISHED", "FIN", "ACKofFIN", "CLOSE-WAIT")

    @action(Peer)
    def fin_wait1(self, p: Peer) -> None:
        """``FinWait1``: a FIN (acknowledged: CLOSING) or the ACK of our FIN."""
        if p.network[:1] == ("FIN",):
            self.react(p, "FIN-WAIT-1", "FIN", "ACKofFIN", "CLOSING")
        else:
            self.react(p, "FIN-WAIT-1", "ACKofFIN", None, "FIN-WAIT-2")

    @action(Peer)
    def fin_wait2(self, p: Peer) -> None:
        """``FinWait2``: a FIN, acknowledged."""
        self.react(p, "FIN-WAIT-2", "FIN", "ACKofFIN", "TIME-WAIT")

    @action(Peer)
    def closing(self, p: Peer) -> None:
        """``Closing``: the ACK of our FIN."""
        self.react(p, "CLOSING", "ACKofFIN", None, "TIME-WAIT")

    @action(Peer)
    def last_ack(self, p: Peer) -> None:
        """``LastAck``: the ACK of our FIN closes the connection."""
        self.react(p, "LAST-ACK", "ACKofFIN", None, "CLOSED")

    @action(Peer)
    def time_wait(self, p: Peer) -> None:
        """``TimeWait``: the timeout (2 MSL) deletes the TCB."""
        require(p.connstate == "TIME-WAIT" and p.tcb)
        p.connstate, p.tcb = "CLOSED", False

    @action(Peer)
    def note2(self, p: Peer) -> None:
        """``Note2``: a FIN followed by the ACK of our FIN, from FIN-WAIT-1 to TIME-WAIT."""
        require(p.connstate == "FIN-WAIT-1" and p.network[:2] == ("FIN", "ACKofFIN"))
        p.network = p.network[2:]
        self.to_remote(p, "ACKofFIN")
        p.connstate = "TIME-WAIT"

    # Reset -----------------------------------------------------------------------------
    @action(Peer)
    def note3(self, p: Peer) -> None:
        """``Note3``: send a RST (to TIME-WAIT), or receive one (to LISTEN or to CLOSED)."""
        branches = []
        if p.tcb:
            branches.append("send RST")
        if p.network[:1] == ("RST",):
            branches += ["RST to LISTEN", "RST to CLOSED"]
        branch = choose_from(branches)
        if branch == "send RST":
            self.to_remote(p, "RST")
            p.connstate = "TIME-WAIT"
        else:
            self.receive(p, "RST")
            p.connstate = "LISTEN" if branch == "RST to LISTEN" else "CLOSED"

    @always(name="TypeOK")
    def type_ok(self) -> bool:
        """Every variable holds a value of its type."""
        return all(isinstance(p.tcb, bool) and p.connstate in STATES
                   and all(s in SEGMENTS for s in p.network) for p in self.peers)

    @always(name="Inv")
    def established_together(self) -> bool:
        """Peers with nothing in flight to them are both ESTABLISHED or neither is."""
        quiet = [p for p in self.peers if not p.network]
        return all((a.connstate == "ESTABLISHED") == (b.connstate == "ESTABLISHED")
                   for a in quiet for b in quiet)


def no_retransmission(m: Any) -> bool:
    """``NoRetransmission``, MCtcp's state constraint: no segment is directly followed by
    an equal one in a queue."""
    return all(a != b for p in m.peers for a, b in pairwise(p.network))


def _opened(before: Any, after: Any, local: int) -> bool:
    """Whether ``(before, after)`` is an ``ACTIVE_OPEN``, ``PASSIVE_OPEN`` or ``SEND`` step
    of peer ``local``: its state and TCB as the action sets them, the SYN (if any) appended
    to the other peer's queue, everything else unchanged."""
    b, a = before.peers[local], after.peers[local]
    rb, ra = before.peers[1 - local], after.peers[1 - local]
    if a.network != b.network or ra.connstate != rb.connstate or ra.tcb != rb.tcb:
        return False
    syn = ra.network == (*rb.network, "SYN")
    same = ra.network == rb.network
    return ((b.connstate == "CLOSED" and a.connstate == "SYN-SENT" and a.tcb is True and syn)
            or (b.connstate == "CLOSED" and a.connstate == "LISTEN" and a.tcb is True and same)
            or (b.connstate == "LISTEN" and a.connstate == "SYN-SENT" and a.tcb == b.tcb and syn))


def single_active_open(before: Any, after: Any) -> bool:
    """``SingleActiveOpen``, MCtcp's action constraint: no step is an active or passive
    open or a SEND (the one active open is in the initial states)."""
    return not any(_opened(before, after, local) for local in range(2))
