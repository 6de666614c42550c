"""Two-phase commit with a coordinator process, and why it blocks when the coordinator dies.

A coordinator asks every participant to vote. A participant that is still working
may vote no (it aborts on its own) or prepare: once prepared it has promised to do
whatever the coordinator decides, and may no longer decide alone. The coordinator
commits when every participant prepared and aborts when any voted no; prepared
participants learn the decision from it.

Its decision is on disk: a coordinator that crashes and restarts still knows it,
and the protocol finishes. A coordinator that stops for good (crash-stop:
:class:`~lifecheck.Stop` in the spec) after every participant prepared leaves them
blocked forever, holding their locks: no participant may commit or abort alone.
Safety holds (no participant commits while another aborts); progress does not.
That is the blocking case three-phase commit and consensus-based commit remove.
"""

from __future__ import annotations

from lifecheck import Model, Process, action, always, durable, eventually, final, require, role

WORKING, PREPARED, COMMITTED, ABORTED = "working", "prepared", "committed", "aborted"


class Coordinator(Process):
    """The transaction's coordinator. Its decision is logged before anyone learns it."""

    decision = durable(None, "None until it decides, then committed or aborted")


class Participant(Process):
    """A resource manager. Its state is logged: a crash does not change its vote."""

    state = durable(WORKING, "working, prepared, committed or aborted")


class TwoPhaseBlocking(Model):
    """Two-phase commit: one coordinator, two participants."""

    coordinators = role(Coordinator, count=1)
    participants = role(Participant, count=2)

    def coordinator(self) -> Coordinator:
        return self.coordinators[0]

    @action(Participant)
    def prepare(self, p: Participant) -> None:
        """Vote yes: from now on the participant waits for the coordinator's decision."""
        require(p.state == WORKING)
        p.state = PREPARED

    @action(Participant)
    def vote_no(self, p: Participant) -> None:
        """Vote no while still working: the participant aborts on its own."""
        require(p.state == WORKING)
        p.state = ABORTED

    @action(Coordinator)
    def decide(self, c: Coordinator) -> None:
        """Once every participant voted: commit if all prepared, else abort."""
        states = [p.state for p in self.participants]
        require(c.decision is None and WORKING not in states)
        c.decision = COMMITTED if all(s == PREPARED for s in states) else ABORTED

    @action(Participant)
    def learn(self, p: Participant) -> None:
        """A prepared participant learns the decision from the coordinator."""
        decision = self.coordinator().decision
        require(p.state == PREPARED and decision is not None)
        p.state = decision

    @always
    def consistent(self) -> bool:
        """No participant commits while another aborts."""
        states = {p.state for p in self.participants}
        return not (COMMITTED in states and ABORTED in states)

    @eventually
    def all_decided(self) -> bool:
        """Every participant ends committed or aborted."""
        return all(p.state in (COMMITTED, ABORTED) for p in self.participants)

    @final
    def over(self) -> bool:
        """Every participant committed or aborted: the transaction is over."""
        return all(p.state in (COMMITTED, ABORTED) for p in self.participants)

