"""Sequence diagrams draw a channel's messages from sender to receiver, and say what the channel did.

Checked on a real model (two peers, one channel with loss and duplication), so that
what the channel writes into its states and labels is what the diagram reads back.
"""

from __future__ import annotations

from lifecheck import Fail, Model, Process, Spec, action, always, require, role, violated, volatile
from lifecheck.components.channel import Channel
from lifecheck.diagrams.messages import DROPPED, SENT, TAKEN, message_events
from lifecheck.diagrams.sequence import LOST_MESSAGE, MESSAGE, Arrow, Box, sequence_diagram
from lifecheck.diagrams.sequence_dot import sequence_dot
from lifecheck.diagrams.sequence_mermaid import sequence_mermaid
from lifecheck.explore.verdict import check_spec
from lifecheck.result import TraceStep
from lifecheck.values import FrozenMap


class Peer(Process):
    sent = volatile(False)
    got = volatile(0)


class Ping(Model):
    """peer1 pings peer2 once over a channel that may lose or duplicate it."""

    peers = role(Peer, count=2)
    net = Channel(loss="loss", duplication="duplicate")

    @action(Peer)
    def ping(self, p):
        require(p.name == "peer1" and not p.sent)
        p.sent = True
        self.net.send("peer2", "ping")

    @action(Peer)
    def take(self, p):
        require(p.name == "peer2")
        self.net.receive("peer2", "peer1")
        p.got += 1

    @always
    def at_most_once(self):
        """peer2 takes the ping at most once."""
        return all(p.got <= 1 for p in self.peers)

    @always
    def never_lost(self):
        """A ping sent is in flight or taken."""
        return not self.peers[0].sent or self.peers[1].got > 0 or self.net.in_flight() > 0


def _diagram(loss: int, duplicate: int, prop: str):
    spec = Spec("ping", Ping(), violated(prop), properties=[prop], deadlock=False,
                faults=[Fail(kind="loss", max=loss), Fail(kind="duplicate", max=duplicate)])
    (v,) = check_spec(spec).violations
    return sequence_diagram(v, ["peer1", "peer2"], ["net"])


def test_a_message_is_one_arrow_from_sender_to_receiver_at_the_step_that_takes_it():
    d = _diagram(0, 1, "AtMostOnce")
    assert [lane.name for lane in d.lanes] == ["peer1", "peer2"]  # no lane for the channel
    send, first, second = (row.items for row in d.rows[:3])
    assert send == (Box(("peer1",), ("1 ping -> net: 'ping' to peer2", "duplicated (duplicate) !!",
                                     "sent: False → True", "→ peer2: 'ping' ×2 (duplicated)"), "failed"),)
    assert first[0] == Arrow("peer1", "peer2", ("2 take", "'ping'"), MESSAGE)
    assert second[0] == Arrow("peer1", "peer2", ("3 take", "'ping' (the duplicate)"), MESSAGE)
    mermaid = sequence_mermaid(d)
    assert "L0->>L1: 2 take<br/>'ping'" in mermaid and "participant L2" not in mermaid


def test_a_lost_message_is_an_arrow_ending_in_a_cross():
    d = _diagram(1, 0, "NeverLost")
    (lost, *_) = d.rows[0].items
    assert lost == Arrow("peer1", "peer2", ("1 ping -> net: 'ping' to peer2 lost (loss) !!", "'ping' lost"),
                         LOST_MESSAGE)
    assert "L0--xL1: 1 ping -" in sequence_mermaid(d)
    assert 'label="✗"' in sequence_dot(d)


def test_messages_a_crash_takes_are_dropped_not_taken():
    step = TraceStep(1, "peer2", "crash", "crash", fault="crash",
                     state={"net.queues": FrozenMap(), "net.streams": FrozenMap()})
    before = {"net.queues": FrozenMap({("peer1", "peer2"): ("a", "b")}), "net.streams": FrozenMap()}
    assert [(m.text, m.event) for m in message_events(before, step, ["net"])] == [("'a'", DROPPED),
                                                                              ("'b'", DROPPED)]
    taken = TraceStep(1, "peer2", "take", "take",
                      state={"net.queues": FrozenMap({("peer1", "peer2"): ("b", "c")}),
                             "net.streams": FrozenMap()})
    assert [(m.text, m.event) for m in message_events(before, taken, ["net"])] == [("'a'", TAKEN),
                                                                               ("'c'", SENT)]
