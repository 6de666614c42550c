"""Two-phase commit with a backup coordinator that finishes what a stopped one began.

The protocol of :mod:`models.two_phase_blocking`, plus a backup coordinator. The
coordinator writes its decision to a log on shared storage before anyone learns it;
a participant learns the decision from whichever coordinator is acting: the
coordinator while it runs, the backup once it has taken over (a coordinator that
stopped for good sends nothing more).

The backup takes over only when the coordinator has stopped (it reads ``stopped``:
the failure detector is perfect here, which is what crash-stop assumes). What it
decides is the whole point. It must read the log: if the coordinator decided commit
and some participants already committed, an abort by the backup would split the
transaction. It adopts the logged decision when there is one, and otherwise aborts,
which is always safe because a coordinator that stopped can decide nothing more.
:class:`BackupAbortsBlindly` skips the log and aborts: it breaks Consistent.
"""

from __future__ import annotations

from lifecheck import Process, action, durable, require, role, stopped
from lifecheck.models.two_phase_blocking import ABORTED, PREPARED, Participant, TwoPhaseBlocking


class Backup(Process):
    """A standby coordinator. Its decision is logged too, before anyone learns it."""

    decision = durable(None, "None until it takes over, then committed or aborted")


class TwoPhaseBackup(TwoPhaseBlocking):
    """Two-phase commit: one coordinator, one backup coordinator, two participants."""

    backups = role(Backup, count=1)

    def acting_decision(self) -> str | None:
        """The decision a participant can hear: the backup's once it took over."""
        backup, coordinator = self.backups[0], self.coordinator()
        if backup.decision is not None:
            return backup.decision
        return None if stopped(coordinator) else coordinator.decision

    def decision_after_takeover(self) -> str:
        """What the backup decides: the logged decision if there is one, else abort."""
        logged = self.coordinator().decision
        return ABORTED if logged is None else logged

    @action(Backup)
    def take_over(self, b: Backup) -> None:
        """Once the coordinator has stopped for good, finish the protocol in its place."""
        require(stopped(self.coordinator()) and b.decision is None)
        b.decision = self.decision_after_takeover()

    @action(Participant)
    def learn(self, p: Participant) -> None:
        """A prepared participant learns the decision from the acting coordinator."""
        decision = self.acting_decision()
        require(p.state == PREPARED and decision is not None)
        p.state = decision


class BackupAbortsBlindly(TwoPhaseBackup):
    """The backup aborts without reading the coordinator's log."""

    def decision_after_takeover(self) -> str:
        return ABORTED
