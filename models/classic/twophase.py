"""Two-phase commit, after Lamport's TLA+ ``TwoPhase`` (which refines ``TCommit``).

A transaction manager (TM) and N resource managers (RMs) decide together whether
a transaction commits. An RM that is still working may prepare (and tell the TM)
or decide on its own to abort; the TM commits once every RM has told it that it
is prepared, or aborts at any time before that; RMs learn the decision from a
Commit or Abort message. Messages are never lost or removed: ``msgs`` only grows,
so receiving is reading the set.

The variables are exactly those of the TLA+ spec (``rmState``, ``tmState``,
``tmPrepared``, ``msgs``) and each action is one of its actions, so the reachable
state space is the same: with 3 RMs it has 288 distinct states, the figure TLC and
Stateright both report.
"""

from __future__ import annotations

from lifecheck import (
    Model,
    Process,
    action,
    always,
    durable,
    eventually,
    parameter,
    require,
    role,
    sometimes,
)

WORKING, PREPARED, COMMITTED, ABORTED = "working", "prepared", "committed", "aborted"
COMMIT = ("Commit",)
ABORT = ("Abort",)


def prepared(rm: int) -> tuple[str, int]:
    """The message an RM sends when it is prepared: ``[type |-> "Prepared", rm |-> rm]``."""
    return ("Prepared", rm)


class RM(Process):
    """A resource manager. Its state is its decision, kept on disk."""

    state = durable(WORKING, "working, prepared, committed or aborted")


class TwoPhaseCommit(Model):
    """Two-phase commit with a transaction manager and ``rms`` resource managers."""

    rms = parameter(3, "number of resource managers",
                    check=lambda n: isinstance(n, int) and n >= 1)
    managers = role(RM, count="rms")

    # The transaction manager's state lives in the model (it is a single, fixed actor).
    tm_state = durable("init", "init, committed or aborted")
    tm_prepared = durable(frozenset(), "indices of the RMs the TM knows are prepared")
    msgs = durable(frozenset(), "every message ever sent; messages are never lost")

    # -- the transaction manager ----------------------------------------------------------
    @action(rm=lambda m: range(m.rms))
    def tm_rcv_prepared(self, rm):
        """TMRcvPrepared(rm): the TM learns that ``rm`` is prepared."""
        require(self.tm_state == "init" and prepared(rm) in self.msgs)
        self.tm_prepared = self.tm_prepared | {rm}

    @action
    def tm_commit(self):
        """TMCommit: every RM is prepared, so the TM commits and says so."""
        require(self.tm_state == "init" and len(self.tm_prepared) == self.rms)
        self.tm_state = COMMITTED
        self.msgs = self.msgs | {COMMIT}

    @action
    def tm_abort(self):
        """TMAbort: the TM may abort at any time before it has decided."""
        require(self.tm_state == "init")
        self.tm_state = ABORTED
        self.msgs = self.msgs | {ABORT}

    # -- the resource managers ------------------------------------------------------------
    @action(RM)
    def rm_prepare(self, rm):
        """RMPrepare(rm): a working RM prepares and tells the TM."""
        require(rm.state == WORKING)
        rm.state = PREPARED
        self.msgs = self.msgs | {prepared(rm.index)}

    @action(RM)
    def rm_choose_to_abort(self, rm):
        """RMChooseToAbort(rm): a working RM may decide on its own to abort."""
        require(rm.state == WORKING)
        rm.state = ABORTED

    @action(RM)
    def rm_rcv_commit_msg(self, rm):
        """RMRcvCommitMsg(rm): the RM learns the TM committed."""
        require(COMMIT in self.msgs)
        rm.state = COMMITTED

    @action(RM)
    def rm_rcv_abort_msg(self, rm):
        """RMRcvAbortMsg(rm): the RM learns the TM aborted."""
        require(ABORT in self.msgs)
        rm.state = ABORTED

    # -- properties -------------------------------------------------------------------------
    @always
    def consistent(self):
        """TCConsistent: no RM has committed while another has aborted."""
        states = {rm.state for rm in self.managers}
        return not (COMMITTED in states and ABORTED in states)

    @always
    def type_ok(self):
        """TPTypeOK: every variable holds a value of its type."""
        return (self.tm_state in ("init", COMMITTED, ABORTED)
                and all(rm.state in (WORKING, PREPARED, COMMITTED, ABORTED)
                        for rm in self.managers)
                and self.tm_prepared <= frozenset(range(self.rms))
                and all(m in (COMMIT, ABORT) or (m[0] == "Prepared" and 0 <= m[1] < self.rms)
                        for m in self.msgs))

    @always
    def commit_only_when_all_prepared(self):
        """The TM commits only after every RM has said it is prepared."""
        return self.tm_state != COMMITTED or all(prepared(i) in self.msgs
                                                 for i in range(self.rms))

    @sometimes
    def all_committed(self):
        """The transaction can commit (the model is not vacuous)."""
        return all(rm.state == COMMITTED for rm in self.managers)

    @eventually
    def all_decided(self):
        """Under weak fairness every RM ends committed or aborted."""
        return all(rm.state in (COMMITTED, ABORTED) for rm in self.managers)
