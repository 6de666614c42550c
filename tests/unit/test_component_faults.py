"""Component faults that tell the caller something: a remote call that times out after
taking effect, a send that fails or times out, a full disk and a failed fsync.

Each is checked on a tiny model whose state space is counted by hand, and through
every engine where it applies.
"""

from __future__ import annotations

import errno

import pytest

from lifecheck import (
    Fail,
    Model,
    ModelError,
    Options,
    PowerLoss,
    Process,
    Spec,
    action,
    check_spec,
    durable,
    holds,
    require,
    role,
    violated,
)
from lifecheck.components import Channel, FileSystem, RemoteStore
from lifecheck.components.remote_store import RemoteObject
from lifecheck.modelling.compile import ModelSystem


class Client(Process):
    phase = durable("start")


class OneAppend(Model):
    """One append, whose outcome the client records: ok or failed."""

    clients = role(Client, count=1)
    store = RemoteStore(kind="remote", timeout="timeout")

    @action(Client)
    def send(self, c):
        require(c.phase == "start")
        c.phase = "ok" if self.store.append("log", ("x",)) else "failed"


def successors(model: Model, faults: list) -> list:
    system = ModelSystem(model, faults)
    return system.successors(system.init_states()[0])


def spec(model: Model, faults: list, expect=None) -> Spec:
    return Spec("tiny", model, expect or holds(), faults=faults, deadlock=False)


# -- RemoteStore: ok, failed without effect, failed after effect ------------------------------

def test_a_write_ends_three_ways_each_a_labelled_branch():
    steps = successors(OneAppend(), [Fail(kind="remote", max=1), Fail(kind="timeout", max=1)])
    assert [(s.label(), s.fault) for s, _ in steps] == [
        ("send", ""),
        ("send -> store.append timed out after taking effect (timeout)", "timeout"),
        ("send -> remote fails", "remote"),
    ]
    system = ModelSystem(OneAppend(), [Fail(kind="remote", max=1), Fail(kind="timeout", max=1)])
    views = [system.describe(o) for _, o in steps]
    assert [(v["client1.phase"], dict(v["store.objects"])) for v in views] == [
        ("ok", {"log": RemoteObject(("x",))}),
        ("failed", {"log": RemoteObject(("x",))}),  # the caller saw a failure; the append happened
        ("failed", {}),
    ]


@pytest.mark.parametrize(("remote", "timeout", "states"), [
    (1, 1, 4),  # start, ok, failed after effect, failed without effect
    (1, 0, 3),
    (0, 1, 3),
    (0, 0, 2),
])
def test_counts_by_hand_on_every_engine(remote, timeout, states):
    faults = [Fail(kind="remote", max=remote), Fail(kind="timeout", max=timeout)]
    for engine in ("bfs", "vector"):
        result = check_spec(spec(OneAppend(), faults), Options(engine=engine, check_deadlock=False))
        assert (result.verdict, result.stats.distinct_states, result.stats.transitions) == \
            ("holds", states, states - 1), engine
    result = check_spec(spec(OneAppend(), faults), Options(workers=2, check_deadlock=False))
    assert (result.verdict, result.stats.distinct_states) == ("holds", states)


def test_a_timeout_kind_without_a_budget_is_an_error_naming_it():
    result = check_spec(spec(OneAppend(), [Fail(kind="remote", max=1)]))
    assert result.verdict == "error"
    assert "fault('timeout')" in result.error and "Fail(kind='timeout', max=N)" in result.error


def test_the_timeout_needs_a_kind_of_its_own():
    with pytest.raises(ModelError, match="kind of its own"):
        RemoteStore(kind="remote", timeout="remote")


def test_reads_never_time_out():
    class Reader(Model):
        clients = role(Client, count=1)
        store = RemoteStore(kind="remote", timeout="timeout")

        @action(Client)
        def look(self, c):
            require(c.phase == "start")
            ok, _ = self.store.read("log")
            c.phase = "ok" if ok else "failed"

    steps = successors(Reader(), [Fail(kind="remote", max=1), Fail(kind="timeout", max=1)])
    assert [s.fault for s, _ in steps] == ["", "remote"]


def test_a_repeated_request_id_is_applied_once():
    class Twice(Model):
        clients = role(Client, count=1)
        store = RemoteStore()

        @action(Client)
        def send(self, c):
            require(c.phase == "start")
            self.store.append("log", ("x",), request_id=1)
            assert self.store.append("log", ("x",), request_id=1)
            self.store.append("log", ("y",), request_id=2)
            c.phase = "ok"

    (_, after), = successors(Twice(), [Fail(kind="remote", max=0)])
    obj = ModelSystem(Twice(), [Fail(kind="remote", max=0)]).describe(after)["store.objects"]["log"]
    assert obj.data == ("x", "y") and obj.applied == frozenset({1, 2})
    assert repr(obj) == "('x', 'y') open applied=[1, 2]"


# -- Channel: a send that fails visibly, or times out after sending -------------------------------

class Sender(Model):
    clients = role(Client, count=1)
    net = Channel(fail="refused", timeout="timeout")

    @action(Client)
    def send(self, c):
        require(c.phase == "start")
        c.phase = "ok" if self.net.send("server", "m") else "failed"


def test_a_send_ends_three_ways():
    system = ModelSystem(Sender(), [Fail(kind="refused", max=1), Fail(kind="timeout", max=1)])
    steps = system.successors(system.init_states()[0])
    assert [(s.label(), s.fault) for s, _ in steps] == [
        ("send", ""),
        ("send -> net.send timed out after taking effect (timeout)", "timeout"),
        ("send -> refused fails", "refused"),
    ]
    queues = [dict(system.describe(o)["net.queues"]) for _, o in steps]
    streams = [dict(system.describe(o)["net.streams"]) for _, o in steps]
    assert queues == [{("client1", "server"): ("m",)}, {("client1", "server"): ("m",)}, {}]
    assert streams[2] == {}  # a refused send does not even open the stream


def test_a_channel_kind_named_twice_is_refused():
    with pytest.raises(ModelError, match="names one fault kind twice"):
        Channel(loss="net", timeout="net")


# -- FileSystem: no space left, and the failed fsync ----------------------------------------------

class Writer(Process):
    phase = durable("start")


class Journal(Model):
    """Create a file, write it, fsync it; an error sends the writer to "error"."""

    writers = role(Writer, count=1)
    fs = FileSystem(dirs=("/data",), no_space="full", fsync_error="eio")

    @action(Writer)
    def create(self, w):
        require(w.phase == "start")
        try:
            self.fs.create("/data/log")
            w.phase = "created"
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            w.phase = "error"

    @action(Writer)
    def write(self, w):
        require(w.phase == "created")
        try:
            self.fs.append("/data/log", "a")
            w.phase = "written"
        except OSError:
            w.phase = "error"

    @action(Writer)
    def sync(self, w):
        require(w.phase in ("written", "retry"))
        try:
            self.fs.fsync("/data/log")
            w.phase = "synced"
        except OSError as exc:
            assert exc.errno == errno.EIO
            w.phase = "retry"  # the classic mistake: fsync again


def journal_spec(full: int, eio: int, power: int = 0) -> Spec:
    faults = [Fail(kind="full", max=full), Fail(kind="eio", max=eio)]
    if power:
        faults.append(PowerLoss(max=power))
    return spec(Journal(), faults)


def test_no_space_is_a_labelled_error_with_no_effect():
    system = ModelSystem(Journal(), [Fail(kind="full", max=1), Fail(kind="eio", max=0)])
    steps = system.successors(system.init_states()[0])
    assert [s.label() for s, _ in steps] == [
        "create", "create -> fs.create /data/log: No space left on device (full)"]
    failed = system.describe(steps[1][1])
    assert dict(failed["fs.tree"]) == {"/data": "dir"} and failed["writer1.phase"] == "error"


def test_counts_by_hand_for_disk_errors():
    # start, created, written, synced; with ENOSPC: + error with no file (create failed)
    # and error with an empty file (the append failed and appended nothing)
    assert check_spec(journal_spec(0, 0)).stats.distinct_states == 4
    assert check_spec(journal_spec(1, 0)).stats.distinct_states == 6
    # with EIO: + retry (written, fsync failed, the append dropped), then the retried fsync
    # succeeds: synced with an empty file, a state apart from the synced one with "a".
    assert check_spec(journal_spec(0, 1)).stats.distinct_states == 6


def test_a_failed_fsync_drops_the_unsynced_write_and_a_retry_does_not_bring_it_back():
    system = ModelSystem(Journal(), [Fail(kind="full", max=0), Fail(kind="eio", max=1)])
    state = system.init_states()[0]
    for name in ("create", "write"):
        state = next(o for s, o in system.successors(state) if s.action == name and not s.fault)
    assert dict(system.describe(state)["fs.data"]) == {"/data/log": "a"}
    (failed_step, failed), = [(s, o) for s, o in system.successors(state) if s.fault == "eio"]
    assert failed_step.label() == \
        "sync -> fs.fsync /data/log: Input/output error (eio)"
    view = system.describe(failed)
    assert view["writer1.phase"] == "retry"
    assert dict(view["fs.data"]) == {}  # the page cache fell back to the disk: the file is empty
    assert view["fs.pending"] == ()  # nothing left to write: the budget is spent, nor tracked
    (_, retried), = system.successors(failed)
    assert system.describe(retried)["writer1.phase"] == "synced"
    assert dict(system.describe(retried)["fs.data"]) == {}


def test_a_failed_fsync_under_a_power_loss_leaves_the_old_contents_on_disk():
    system = ModelSystem(Journal(), [Fail(kind="full", max=0), Fail(kind="eio", max=1),
                                     PowerLoss(max=1)])
    state = system.init_states()[0]
    for name in ("create", "write"):
        state = next(o for s, o in system.successors(state) if s.action == name and not s.fault)
    failed = next(o for s, o in system.successors(state) if s.fault == "eio")
    view = system.describe(failed)
    assert dict(view["fs.data"]) == {} and view["fs.pending"] == (("create", "/data/log"),)
    # A power loss may keep the create; the write is gone whatever it keeps.
    lost = [dict(system.describe(o)["fs.data"]) for s, o in system.successors(failed) if s.is_fault]
    assert lost and all(data == {} for data in lost)


def test_a_design_that_trusts_a_retried_fsync_is_violated():
    class Trusting(Journal):
        def durable_after_sync(self):
            return all(w.phase != "synced" or self.fs.read_or("/data/log") == "a"
                       for w in self.writers)

    from lifecheck import always
    Trusting.durable_after_sync = always(Trusting.durable_after_sync, name="SyncedIsThere")
    faults = [Fail(kind="full", max=0), Fail(kind="eio", max=1)]
    for engine in ("bfs", "vector"):
        result = check_spec(Spec("trusting", Trusting(), violated("SyncedIsThere"), faults=faults,
                                 deadlock=False), Options(engine=engine, check_deadlock=False))
        assert result.verdict == "violated", engine
        (v,) = result.violations
        assert [s.label for s in v.trace.steps][-2:] == [
            "sync -> fs.fsync /data/log: Input/output error (eio)", "sync"]
