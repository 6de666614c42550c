"""The channel component's semantics, driven through tiny models.

A script model runs a fixed list of channel calls, one per step, each by one of its
peers (the script is data, a model parameter, so it must be immutable), and keeps
what the reading calls returned. Tests walk the script and look at the channel it
leaves, and at every successor where a fault can strike (a lost or duplicated
message, a crash, a power loss).
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecheck import (
    Crash,
    Fail,
    Model,
    ModelError,
    PowerLoss,
    Process,
    Spec,
    action,
    check_spec,
    durable,
    eventually,
    final,
    holds,
    parameter,
    require,
    role,
)
from lifecheck.components.channel import END, Channel
from lifecheck.modelling.compile import ModelSystem

Line = tuple[int, str, tuple]
"""One line of a script: (peer index, Channel method, its arguments)."""

READS = frozenset({"receive", "peek", "pending", "senders", "is_open", "in_flight"})


def do(method: str, *args: Any, by: int = 0) -> Line:
    return (by, method, args)


class Peer(Process):
    """A process with nothing of its own: it only runs its lines of the script."""


class Script(Model):
    """Runs ``lines`` in order, one per step, each by its peer; keeps what reads returned."""

    lines = parameter(())
    peers = parameter(3)
    crew = role(Peer, count="peers")
    net = Channel()
    pc = durable(0, "the next line of the script")
    got = durable((), "what each reading call returned, in order")

    @action(Peer)
    def run(self, p: Peer) -> None:
        require(self.pc < len(self.lines))
        who, method, args = self.lines[self.pc]
        require(who == p.index)
        result = getattr(self.net, method)(*args)
        if method in READS:
            self.got = (*self.got, result)
        self.pc += 1


def with_channel(**config: Any) -> type[Script]:
    """The script model with a differently configured channel."""
    return type("ConfiguredScript", (Script,), {"net": Channel(**config)})


P1, P2, P3 = "peer1", "peer2", "peer3"


def system(*lines: Line, faults: tuple = (), model: type[Script] = Script) -> ModelSystem:
    return ModelSystem(model(lines=lines), faults)


def run_all(sys: ModelSystem) -> Any:
    """Follow the script's only non-fault branch to its end; the state reached."""
    state = sys.init_states()[0]
    while True:
        steps = [(s, out) for s, out in sys.successors(state) if s.action == "run" and not s.fault]
        if not steps:
            return state
        ((_, state),) = steps


def seen(sys: ModelSystem, state: Any) -> dict[str, Any]:
    return sys.describe(state)


def queues(sys: ModelSystem, state: Any) -> dict:
    return dict(seen(sys, state)["net.queues"])


# -- FIFO per pair, independent pairs --------------------------------------------------

def test_a_receiver_takes_one_senders_messages_in_the_order_sent() -> None:
    sys = system(do("send", P2, "a"), do("send", P2, "b"),
                 do("receive", P2, P1, by=1), do("receive", P2, P1, by=1))
    state = run_all(sys)
    assert seen(sys, state)["got"] == ("a", "b")
    assert queues(sys, state) == {}  # nothing in flight: the same state as an unused channel


def test_streams_of_different_pairs_are_independent() -> None:
    # peer1 sends first, but peer3 may take peer2's message before peer1's.
    sys = system(do("send", P3, "from1"), do("send", P3, "from2", by=1),
                 do("senders", P3, by=2), do("receive", P3, P2, by=2),
                 do("peek", P3, P1, by=2), do("receive", P3, P1, by=2))
    assert seen(sys, run_all(sys))["got"] == ((P1, P2), "from2", "from1", "from1")


def test_receive_waits_on_an_empty_stream() -> None:
    sys = system(do("receive", P2, P1, by=1))
    assert sys.successors(sys.init_states()[0]) == []


def test_peek_and_pending_do_not_take_anything() -> None:
    sys = system(do("send", P2, "a"), do("send", P2, "b"),
                 do("peek", P2, P1, by=1), do("pending", P2, P1, by=1), do("peek", P2, P3, by=1))
    state = run_all(sys)
    assert seen(sys, state)["got"] == ("a", ("a", "b"), None)
    assert queues(sys, state) == {(P1, P2): ("a", "b")}


# -- the end of a stream ----------------------------------------------------------------

def test_a_stream_ends_after_everything_sent_on_it() -> None:
    sys = system(do("send", P2, "a"), do("end", P2), do("is_open", P2, P1),
                 do("receive", P2, P1, by=1), do("receive", P2, P1, by=1))
    assert seen(sys, run_all(sys))["got"] == (False, "a", END)


def test_ending_a_stream_that_is_not_open_does_nothing() -> None:
    sys = system(do("end", P2), do("open", P2), do("end", P2), do("end", P2))
    assert queues(sys, run_all(sys)) == {(P1, P2): (END,)}  # one END: one stream was opened


def test_a_send_after_the_end_starts_a_new_stream_behind_it() -> None:
    sys = system(do("send", P2, "old"), do("end", P2), do("send", P2, "new"), do("is_open", P2, P1))
    state = run_all(sys)
    assert queues(sys, state) == {(P1, P2): ("old", END, "new")}
    assert seen(sys, state)["got"] == (True,)


def test_end_all_ends_every_stream_of_the_sender_and_no_other() -> None:
    sys = system(do("send", P2, "a"), do("open", P3), do("send", P3, "b", by=1), do("end_all"))
    state = run_all(sys)
    assert queues(sys, state) == {(P1, P2): ("a", END), (P1, P3): (END,), (P2, P3): ("b",)}
    assert set(seen(sys, state)["net.streams"]) == {(P2, P3)}


def test_end_every_stream_is_the_transport_shutting_down() -> None:
    sys = system(do("send", P2, "a"), do("send", P3, "b", by=1), do("end_every_stream"))
    state = run_all(sys)
    assert queues(sys, state) == {(P1, P2): ("a", END), (P2, P3): ("b", END)}
    assert dict(seen(sys, state)["net.streams"]) == {}


def test_a_model_cannot_send_end_itself() -> None:
    sys = system(do("send", P2, END))
    with pytest.raises(ModelError, match="does not send END"):
        sys.successors(sys.init_states()[0])


def test_discard_drops_what_is_in_flight_to_one_receiver() -> None:
    sys = system(do("send", P2, "a"), do("send", P3, "b"), do("discard", P2, by=1))
    assert queues(sys, run_all(sys)) == {(P1, P3): ("b",)}


class EnvSender(Script):
    @action
    def announce(self) -> None:
        require(self.pc == 0)
        self.net.send(P1, "hello")
        self.pc = 1


def test_an_environment_step_must_name_its_sender() -> None:
    sys = ModelSystem(EnvSender(lines=()))
    with pytest.raises(ModelError, match="must name its sender"):
        sys.successors(sys.init_states()[0])


# -- capacity ---------------------------------------------------------------------------

def test_a_send_into_a_full_stream_waits() -> None:
    sys = system(do("send", P2, "a"), do("send", P2, "b"), model=with_channel(capacity=1))
    state = run_all(sys)
    assert seen(sys, state)["pc"] == 1  # the second send is not enabled
    assert sys.successors(state) == []


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ModelError, match="capacity"):
        Channel(capacity=0)


# -- loss and duplication ---------------------------------------------------------------

def _branches(sys: ModelSystem) -> list[tuple[str, dict]]:
    """The outcomes of the script's first step: (label, queues)."""
    return [(step.label(), dict(sys.describe(out)["net.queues"]))
            for step, out in sys.successors(sys.init_states()[0])]


def test_without_a_fault_budget_a_send_has_one_outcome() -> None:
    assert _branches(system(do("send", P2, "a"))) == [("run", {(P1, P2): ("a",)})]


LOSSY = with_channel(loss="loss", duplication="duplicate")
LOSS, DUPLICATE = Fail(kind="loss", max=1), Fail(kind="duplicate", max=1)


def test_a_lossy_channel_needs_a_budget_for_its_faults() -> None:
    sys = system(do("send", P2, "a"), model=LOSSY)
    with pytest.raises(ModelError, match=r"fault\('loss'\).*Fail\(kind='loss'"):
        sys.successors(sys.init_states()[0])
    none = system(do("send", P2, "a"), model=LOSSY,
                  faults=(Fail(kind="loss", max=0), Fail(kind="duplicate", max=0)))
    assert _branches(none) == [("run", {(P1, P2): ("a",)})]


def test_a_lost_message_never_arrives_but_the_stream_is_open() -> None:
    sys = system(do("send", P2, "a"), faults=(LOSS,), model=with_channel(loss="loss"))
    assert _branches(sys) == [("run", {(P1, P2): ("a",)}), ("run -> net: 'a' to peer2 lost (loss)", {})]
    (lost,) = [out for step, out in sys.successors(sys.init_states()[0]) if step.fault]
    assert set(sys.describe(lost)["net.streams"]) == {(P1, P2)}


def test_a_duplicated_message_arrives_twice_in_a_row() -> None:
    sys = system(do("send", P2, "a"), faults=(DUPLICATE,), model=with_channel(duplication="duplicate"))
    assert _branches(sys) == [("run", {(P1, P2): ("a",)}),
                              ("run -> net: 'a' to peer2 duplicated (duplicate)", {(P1, P2): ("a", "a")})]


def test_fault_kinds_are_named_per_channel() -> None:
    model = with_channel(loss="net-loss", duplication=None)
    sys = system(do("send", P2, "a"), faults=(Fail(kind="net-loss", max=1), Fail(kind="duplicate", max=1)),
                 model=model)
    assert [label for label, _ in _branches(sys)] == ["run", "run -> net: 'a' to peer2 lost (net-loss)"]


def test_loss_spends_the_budget() -> None:
    sys = system(do("send", P2, "a"), do("send", P2, "b"), faults=(LOSS,),
                 model=with_channel(loss="loss"))
    (lost,) = [out for step, out in sys.successors(sys.init_states()[0]) if step.fault]
    assert [s.label() for s, _ in sys.successors(lost)] == ["run"]


# -- crashes ----------------------------------------------------------------------------

CRASH = (Crash(max=1),)


def _crash(sys: ModelSystem, state: Any, process: str) -> Any:
    (out,) = [out for step, out in sys.successors(state) if step.action == "crash"
              and step.process == process]
    return out


def test_a_crashed_receiver_loses_what_was_in_flight_to_it() -> None:
    sys = system(do("send", P2, "a"), do("send", P3, "b"), faults=CRASH)
    after = _crash(sys, run_all(sys), P2)
    assert queues(sys, after) == {(P1, P3): ("b",)}
    assert set(sys.describe(after)["net.streams"]) == {(P1, P2), (P1, P3)}  # senders don't know


def test_a_durable_inbox_survives_its_receivers_crash() -> None:
    sys = system(do("send", P2, "a"), faults=CRASH, model=with_channel(lose_inbox_on_crash=False))
    assert queues(sys, _crash(sys, run_all(sys), P2)) == {(P1, P2): ("a",)}


def test_a_crashed_senders_messages_are_delivered_then_its_streams_end() -> None:
    sys = system(do("send", P2, "a"), do("open", P3), faults=CRASH)
    after = _crash(sys, run_all(sys), P1)
    assert queues(sys, after) == {(P1, P2): ("a", END), (P1, P3): (END,)}
    assert dict(sys.describe(after)["net.streams"]) == {}


def test_a_senders_buffers_can_die_with_it() -> None:
    sys = system(do("send", P2, "a"), do("send", P1, "x", by=1), faults=CRASH,
                 model=with_channel(lose_outbox_on_crash=True))
    after = _crash(sys, run_all(sys), P1)
    # peer1's message is lost, its stream ends; what peer2 sent to peer1 is lost with peer1's inbox.
    assert queues(sys, after) == {(P1, P2): (END,)}


def test_a_stream_that_already_ended_does_not_end_again_at_a_crash() -> None:
    sys = system(do("send", P2, "a"), do("end", P2), faults=CRASH)
    assert queues(sys, _crash(sys, run_all(sys), P1)) == {(P1, P2): ("a", END)}


def test_an_endpoint_hosted_in_a_process_crashes_with_it() -> None:
    model = with_channel(hosts={"agent": P1})
    sys = system(do("send", "agent", "request", by=1), do("send", P3, "reply", by=1),
                 do("open", P2, "agent"), faults=CRASH, model=model)
    after = _crash(sys, run_all(sys), P1)
    # The agent's inbox is lost, the agent's stream to peer2 ends; peer2's own stream lives on.
    assert queues(sys, after) == {("agent", P2): (END,), (P2, P3): ("reply",)}


def test_a_power_loss_loses_everything_in_flight_without_end() -> None:
    sys = system(do("send", P2, "a"), faults=(PowerLoss(max=1),))
    (after,) = [out for step, out in sys.successors(run_all(sys)) if step.action == "power_loss"]
    assert queues(sys, after) == {}
    assert dict(sys.describe(after)["net.streams"]) == {}


# -- a whole spec: request and reply over a lossy channel ---------------------------------

class Client(Process):
    """Sends one request and waits for the reply; nothing of it survives a crash."""


class RequestReply(Model):
    """A client asks, a server answers: without loss the reply always comes."""

    ask = role(Client, count=1)
    serve = role(Peer, count=1)
    net = Channel()
    asked = durable(False)
    answered = durable(False)

    @action(Client)
    def request(self, c: Client) -> None:
        require(not self.asked)
        self.net.send("peer1", "ping")
        self.asked = True

    @action(Peer)
    def reply(self, p: Peer) -> None:
        assert self.net.receive(p.name, "client1") == "ping"
        self.net.send("client1", "pong")

    @action(Client)
    def take_reply(self, c: Client) -> None:
        assert self.net.receive(c.name, "peer1") == "pong"
        self.answered = True

    @eventually
    def replied(self) -> bool:
        return self.answered

    @final
    def done(self) -> bool:
        return self.answered


def test_request_reply_holds_on_a_reliable_channel() -> None:
    result = check_spec(Spec("rr", RequestReply(), holds()))
    assert result.verdict == "holds", result.violations
    assert result.warnings == []


class LossyRequestReply(RequestReply):
    net = Channel(loss="loss")


def test_one_lost_message_leaves_the_client_waiting_forever() -> None:
    result = check_spec(Spec("rr-loss", LossyRequestReply(), holds(),
                             faults=[Fail(kind="loss", max=1)]))
    assert set(result.violated_properties) == {"Replied", "Deadlock"}
    (v,) = [v for v in result.violations if v.property == "Deadlock"]
    assert [s.label for s in v.trace.steps] == ["request -> net: 'ping' to peer1 lost (loss)"]
