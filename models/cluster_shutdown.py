"""Cluster shutdown: the orderly shutdown of an Aeron Cluster node (lifecycles.md section 4).

An operator tool (ClusterTool) asks the node to shut down. The consensus module
takes a snapshot, recorded through the archive over the control session its
archive client opened; tells every service container to terminate and waits for
their acknowledgements; after a grace period the node closes. The node is a
ClusteredMediaDriver: one process that launches the media driver, the archive and
the consensus module in that order and closes them in reverse
(``closeAll(consensusModule, archive, driver)``).

**The bug** (aeron-io/aeron#1784). In ``ConsensusModuleAgent.onClose`` the archive
client is closed only inside ``if (!ctx.ownsAeronClient())``; with the embedded
driver the module always owns its messaging client, so the archive client is never
closed and the archive never gets its close-session request. The module then closes
its messaging client; the driver drops that client's publications, the archive's
image of the control request stream goes away, and the archive ends the session as
abandoned ("request publication image unavailable") instead of closed.

**Why only sometimes.** The archive learns that the image went away when the
driver gets round to cleaning up the closed client's publications (after they
drain and linger), not at once; meanwhile ``ClusteredMediaDriver.close``, once the
operator's wait is over, closes the archive after the module. If the archive is
closed first, the dangling session is closed quietly with it (the model's "closed
with the archive": a close the node asked for, which logs nothing); if the archive
sees the image go first, it logs the warning. The report saw it more often the
longer the wait before closing the node.
The model keeps this timing as interleavings: the archive takes its next request
(or the end of the request stream) in a step of its own, which may come before or
after the node's step that closes the archive. Some interleavings of the shipped
design close cleanly, some abandon the session, and the checker shows the shortest
of the second kind.

**The fix** closes the archive client unconditionally, before the messaging client
and the driver. ``AeronArchive.close`` sends close-session on its request stream and
then closes that publication; the stream is FIFO, so the archive takes the request
before it can see the stream end. Closing it *after* the messaging client is not
enough: its publication is gone by then, ``AeronArchive.close`` sends nothing, and
the session is abandoned just the same (:class:`ClosesArchiveClientLast`).

**How the model maps the system.**

* The consensus module is a process whose crash is a crash of the whole node
  process (module, embedded driver, archive: one JVM). Its memory, the driver's
  buffers (the channel loses messages in flight to *and* from it) and the archive's
  sessions are lost; what is on disk survives: the recording log (the module's
  "complete" mark for snapshots) and the archive's recordings. The supervisor
  restarts the node; a clean close (``exited``) is final.
* Service containers are separate processes that do not crash here; they wait for
  a restarted module, and the node's launcher relaunches those that had already
  terminated, so a module that crashed late in a shutdown can shut down again.
* The archive is a component of the node process; its conductor's steps are
  environment steps. Archive calls the module makes and waits for
  (``connect``, ``startRecording``) are single steps of the module; only the
  asynchronous part, what travels on the control request stream (close-session and
  the end of the stream), goes through the channel.
* A snapshot is recorded in ``snapshot_parts`` steps into an archive recording and
  becomes complete when the module marks it in its recording log; a restart
  recovers from the snapshot the recording log names, so a crash half way leaves a
  partial recording that nothing reads.
* The control toggle the operator sets is a counter in the driver, lost in a crash;
  the operator asks again while the node is up and not yet closed.
"""

from __future__ import annotations

from lifecheck import (
    Component,
    FrozenMap,
    Model,
    ModelError,
    Process,
    action,
    always,
    durable,
    final,
    leads_to,
    note,
    parameter,
    require,
    role,
    transition,
    volatile,
)
from lifecheck.components.channel import END, Channel

CM = "consensusmodule1"
"""The consensus module's process name (the node process: module, driver, archive)."""
ARCHIVE = "archive"
"""The archive's endpoint on the channel: the receiving end of control request streams."""

# The control toggle (ClusterTool writes it, the module reads it).
NEUTRAL, SHUTDOWN = "neutral", "shutdown"

# Messages.
TERMINATE = "terminate"
ACK = "ack"
CLOSE_SESSION = "close-session"

# Consensus module phases, in the order a shutdown goes through them.
DOWN = "down"
ACTIVE = "active"
SNAPSHOTTING = "snapshotting"
SNAPSHOT_TAKEN = "snapshot taken"
AWAITING_ACKS = "awaiting acks"
GRACE = "grace period"
CLOSE_ARCHIVE_CLIENT = "close archive client"
CLOSE_MESSAGING_CLIENT = "close messaging client"
CLOSE_ARCHIVE = "close archive"
CLOSE_DRIVER = "close driver"
CLOSED = "closed"

# Service container phases.
RUNNING = "running"
TERMINATED = "terminated"

# Control session states, as the archive sees them.
OPEN = "open"
CLOSED_BY_REQUEST = "closed by request"
CLOSED_WITH_ARCHIVE = "closed with the archive"
ABANDONED = "abandoned"


class Archive(Component):
    """The archive inside the node process: control sessions in memory, recordings on disk.

    A control session ends in one of three ways. *Closed by request*: its client
    sent close-session. *Closed with the archive*: the node closed the archive, which
    closes the sessions it still has, quietly; that too is a close the node asked
    for. *Abandoned*: the archive found the session's request stream gone while the
    session was open ("request publication image unavailable", logged as a warning).
    """

    running = volatile(False, "the archive is up (it is launched and closed with the node)")
    sessions = volatile(FrozenMap(), "client -> control session state: open, closed by request, "
                                     "closed with the archive, abandoned")
    recordings = durable(FrozenMap(), "recording id -> snapshot parts recorded, on disk")

    def __init__(self, host: str) -> None:
        """``host``: the process the archive runs in, whose crash takes it down."""
        self.host = host

    def launch(self) -> None:
        self.running = True

    def connect(self, client: str) -> None:
        """A client's archive client connects: a new control session (``AeronArchive.connect``)."""
        self._need_running("connect")
        self.sessions = self.sessions.set(client, OPEN)

    def start_recording(self, client: str) -> int:
        """A new recording, over the client's control session; its id."""
        self._need_running("start_recording")
        if self.sessions.get(client) != OPEN:
            raise ModelError(f"{client} starts a recording without an open control session")
        rec = len(self.recordings)
        self.recordings = self.recordings.set(rec, 0)
        return rec

    def record(self, recording: int) -> None:
        """One more part of the recorded stream reaches the recording on disk."""
        self.recordings = self.recordings.set(recording, self.recordings[recording] + 1)

    def parts(self, recording: int) -> int:
        return self.recordings.get(recording, 0)

    def on_request(self, client: str, message: object) -> None:
        """Serve the next thing on a client's request stream: close-session, or the stream's end."""
        if self.sessions.get(client) != OPEN:
            return  # a session already closed has nothing more to lose
        if message == CLOSE_SESSION:
            self.sessions = self.sessions.set(client, CLOSED_BY_REQUEST)
        elif message is END:
            self.sessions = self.sessions.set(client, ABANDONED)  # request publication image unavailable
        else:
            raise ModelError(f"the archive got an unknown control request {message!r} from {client}")

    def close(self) -> None:
        """The node closes the archive: the sessions it still has close with it, quietly."""
        self.running = False
        if OPEN in self.sessions.values():
            self.sessions = FrozenMap({c: CLOSED_WITH_ARCHIVE if s == OPEN else s
                                       for c, s in self.sessions.items()})

    def on_crash(self, process: str) -> None:
        """The node process died: the archive with it, its sessions with its memory."""
        if process == self.host:
            self.running = False
            self.sessions = FrozenMap()

    def _need_running(self, what: str) -> None:
        if not self.running:
            raise ModelError(f"archive {what}() while the archive is not running")


class ConsensusModule(Process):
    """The consensus module, and with it the node process (embedded driver and archive)."""

    phase = volatile(DOWN, "down, active, then the shutdown's phases up to closed")
    toggle = volatile(NEUTRAL, "the control toggle: a counter in the embedded driver")
    recovered_from = volatile(None, "the snapshot this run recovered from (None: the empty initial state)")
    snapshot = volatile(None, "the recording of the shutdown snapshot being taken")
    acks = volatile(frozenset(), "service containers that acknowledged termination")
    archive_client = volatile(None, "None, connected or closed")
    recording_log = durable(None, "the latest snapshot marked complete in the recording log")
    exited = durable(False, "the node closed cleanly; its supervisor does not start it again")


class ServiceContainer(Process):
    """A clustered service container, a process of its own that does not crash here."""

    phase = volatile(RUNNING, "running or terminated")


class ClusterShutdown(Model):
    """What every design shares: start and recovery, the snapshot, terminating the
    services, the grace period, the archive, and the properties. A design says how
    the consensus module closes its archive client (:meth:`close_archive_client`)
    and in which order the node closes (``close_order``)."""

    services = parameter(2, "service containers", check=lambda n: isinstance(n, int) and n >= 1)
    snapshot_parts = parameter(2, "steps it takes to record a snapshot",
                               check=lambda n: isinstance(n, int) and n >= 1)
    owns_client = parameter(True, "the module created its messaging client (always, with the embedded "
                                  "driver)")
    consensus = role(ConsensusModule, count=1)
    containers = role(ServiceContainer, count="services")
    net = Channel(lose_outbox_on_crash=True, hosts={ARCHIVE: CM})  # reliable: Aeron retransmits
    archive = Archive(host=CM)
    requested = durable(False, "the operator asked for a shutdown (the operator outlives the node)")

    close_order = (CLOSE_ARCHIVE_CLIENT, CLOSE_MESSAGING_CLIENT, CLOSE_ARCHIVE, CLOSE_DRIVER)
    """The node's close path, step by step, after the grace period."""

    def service_names(self) -> tuple[str, ...]:
        return tuple(f"servicecontainer{i + 1}" for i in range(self.services))

    def module(self) -> ConsensusModule:
        return self.consensus[0]

    def recovery_snapshot(self) -> int | None:
        """What a starting module loads: the latest snapshot the recording log marks complete."""
        return self.module().recording_log

    def closed_step(self, cm: ConsensusModule) -> None:
        """Move on to the next step of the close path."""
        order = self.close_order
        i = order.index(cm.phase)
        cm.phase = order[i + 1] if i + 1 < len(order) else CLOSED

    # -- starting and the operator ---------------------------------------------------------
    @action(ConsensusModule)
    def start(self, cm: ConsensusModule) -> None:
        """The supervisor starts the node: driver, archive, then the module, which recovers
        from the latest complete snapshot and connects its archive client. Service
        containers that had terminated (a crash late in a shutdown) are relaunched."""
        require(cm.phase == DOWN and not cm.exited)
        self.archive.launch()
        for s in self.containers:
            if s.phase == TERMINATED:
                self.net.discard(s.name)
                s.phase = RUNNING
        cm.recovered_from = self.recovery_snapshot()
        self.archive.connect(cm.name)
        self.net.open(ARCHIVE)  # the archive client's request publication
        cm.archive_client = "connected"
        cm.phase = ACTIVE

    @action
    def operator_requests_shutdown(self) -> None:
        """ClusterTool sets the control toggle; the operator asks again if a crash reset it."""
        cm = self.module()
        require(cm.phase == ACTIVE and cm.toggle == NEUTRAL)
        cm.toggle = SHUTDOWN
        self.requested = True

    # -- the shutdown snapshot -------------------------------------------------------------
    @action(ConsensusModule)
    def take_snapshot(self, cm: ConsensusModule) -> None:
        require(cm.phase == ACTIVE and cm.toggle == SHUTDOWN)
        cm.snapshot = self.archive.start_recording(cm.name)
        cm.phase = SNAPSHOTTING

    @action(ConsensusModule)
    def write_snapshot_part(self, cm: ConsensusModule) -> None:
        require(cm.phase == SNAPSHOTTING and self.archive.parts(cm.snapshot) < self.snapshot_parts)
        self.archive.record(cm.snapshot)

    @action(ConsensusModule)
    def mark_snapshot_complete(self, cm: ConsensusModule) -> None:
        """Append the snapshot to the recording log once the archive has recorded all of it."""
        require(cm.phase == SNAPSHOTTING and self.archive.parts(cm.snapshot) == self.snapshot_parts)
        cm.recording_log = cm.snapshot
        cm.phase = SNAPSHOT_TAKEN

    # -- terminating the services ----------------------------------------------------------
    @action(ConsensusModule)
    def tell_services(self, cm: ConsensusModule) -> None:
        require(cm.phase == SNAPSHOT_TAKEN)
        for name in self.service_names():
            self.net.send(name, TERMINATE)
        cm.phase = AWAITING_ACKS

    @action(ServiceContainer)
    def service_polls(self, s: ServiceContainer) -> None:
        """Take the next message from the module: terminate (ack, then exit), or the end of
        the module's stream (it crashed: wait for the restarted one)."""
        require(s.phase == RUNNING)
        if self.net.receive(s.name, CM) == TERMINATE:
            self.net.send(CM, ACK)
            s.phase = TERMINATED

    @action(ConsensusModule, service=lambda m: m.service_names())
    def collect_ack(self, cm: ConsensusModule, service: str) -> None:
        require(cm.phase == AWAITING_ACKS)
        message = self.net.receive(cm.name, service)
        assert message == ACK, f"the module expected an ack from {service}, got {message!r}"
        cm.acks = cm.acks | {service}
        if len(cm.acks) == self.services:
            cm.phase = GRACE

    @action(ConsensusModule)
    def grace_period(self, cm: ConsensusModule) -> None:
        """Time passes (the operator waits before closing the node); nothing else happens."""
        require(cm.phase == GRACE)
        cm.phase = self.close_order[0]

    # -- the node closes -------------------------------------------------------------------
    def archive_client_close(self, cm: ConsensusModule) -> None:
        """``AeronArchive.close``: send close-session if its request publication is still
        connected, then close that publication."""
        if self.net.is_open(ARCHIVE, cm.name):
            self.net.send(ARCHIVE, CLOSE_SESSION)
            self.net.end(ARCHIVE)
        cm.archive_client = "closed"

    @action(ConsensusModule)
    def close_archive_client(self, cm: ConsensusModule) -> None:
        """The first step of the module's close path; each design says what it does."""
        raise NotImplementedError

    @action(ConsensusModule)
    def close_messaging_client(self, cm: ConsensusModule) -> None:
        """The module's messaging client closes; the driver drops every publication it had."""
        require(cm.phase == CLOSE_MESSAGING_CLIENT)
        self.net.end_all()
        self.closed_step(cm)

    @action(ConsensusModule)
    def close_archive(self, cm: ConsensusModule) -> None:
        require(cm.phase == CLOSE_ARCHIVE)
        self.archive.close()
        self.closed_step(cm)

    @action(ConsensusModule)
    def close_driver(self, cm: ConsensusModule) -> None:
        """The media driver closes, and with it every publication and image still there."""
        require(cm.phase == CLOSE_DRIVER)
        self.net.end_every_stream()
        self.closed_step(cm)
        cm.exited = True

    # -- the archive's conductor -------------------------------------------------------------
    @action
    def archive_polls(self) -> None:
        """The archive takes the next thing on the module's control request stream.

        A step of its own, so it interleaves with the node's close path: the image of
        a closed publication goes away after a linger time, not at once.
        """
        require(self.archive.running)
        self.archive.on_request(CM, self.net.receive(ARCHIVE, CM))

    # -- properties --------------------------------------------------------------------------
    @always
    def no_abandoned_session(self) -> bool:
        """When the node has closed, every archive control session was closed by request, none abandoned.

        By request: its client's close-session, or the node's closing the archive, which
        closes the sessions it still has, quietly. Abandoned: the archive found the
        session's request stream gone while the session was open.
        """
        return (not self.module().exited
                or all(s in (CLOSED_BY_REQUEST, CLOSED_WITH_ARCHIVE) for s in self.archive.sessions.values()))

    @transition
    def snapshot_before_terminate(before: ClusterShutdown, after: ClusterShutdown) -> bool:
        """No service container terminates before the shutdown snapshot is complete.

        Complete: marked in the recording log, which the module does only once the
        archive has recorded every part.
        """
        cm = after.module()
        complete = cm.snapshot is not None and cm.recording_log == cm.snapshot
        return complete or not any(b.phase != TERMINATED and a.phase == TERMINATED
                                   for b, a in zip(before.containers, after.containers, strict=True))

    @transition
    def recover_from_complete_snapshot(before: ClusterShutdown, after: ClusterShutdown) -> bool:
        """After a crash, the node recovers from the last complete snapshot, never a partial one.

        Checked at every start: the snapshot loaded is the last one the recording log
        marks complete (None before there is any), and the archive holds every part of it.
        """
        was, cm = before.module(), after.module()
        if not (was.phase == DOWN and cm.phase != DOWN):
            return True
        return cm.recovered_from == cm.recording_log and (
            cm.recovered_from is None or after.archive.parts(cm.recovered_from) == after.snapshot_parts)

    @leads_to(lambda m: m.requested)
    def shutdown_terminates(self) -> bool:
        """A requested shutdown completes: the node closes (weak fairness, finitely many crashes)."""
        return self.module().exited

    @final
    def node_closed(self) -> bool:
        return self.module().exited


class Shipped(ClusterShutdown):
    """The shipped design: the archive client is closed only if the module does not own its
    messaging client, which with the embedded driver it always does."""

    @action(ConsensusModule)
    def close_archive_client(self, cm: ConsensusModule) -> None:
        """``if (!ctx.ownsAeronClient()) { ...; CloseHelper.close(errorHandler, archive); }``"""
        require(cm.phase == CLOSE_ARCHIVE_CLIENT)
        if not self.owns_client:
            self.archive_client_close(cm)
        else:
            note("guard skips the close: the module owns its client")
        self.closed_step(cm)


class Fixed(ClusterShutdown):
    """The fix: close the archive client unconditionally, before the messaging client and
    the driver."""

    @action(ConsensusModule)
    def close_archive_client(self, cm: ConsensusModule) -> None:
        require(cm.phase == CLOSE_ARCHIVE_CLIENT)
        self.archive_client_close(cm)
        self.closed_step(cm)


class ClosesArchiveClientLast(Fixed):
    """Half a fix: the archive client is closed unconditionally, but after the messaging
    client, whose closing has already taken the request publication with it."""

    close_order = (CLOSE_MESSAGING_CLIENT, CLOSE_ARCHIVE_CLIENT, CLOSE_ARCHIVE, CLOSE_DRIVER)
