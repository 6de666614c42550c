"""Two-phase commit with a backup transaction manager, after the TLA+ Examples'
``transaction_commit/2PCwithBTM`` (Demirbas' PlusCal version), with its
``2PCwithBTM.cfg``: three resource managers, ``RMMAYFAIL`` and ``TMMAYFAIL`` true.

Failures are flags in the state, as in the PlusCal algorithm: a resource manager may
fail once (``rmState = "failed"``: at most one of them, ever), and the transaction
manager may fail right after it decides, which hides its decision (``tmState =
"hidden"``); the backup manager then decides again from what the resource managers
show. They are not lifecheck faults: each is a step of the algorithm's own program
(``F1``, ``F2``, the ``Fail`` macro), taken at a label, which is what the counts
measure.

Each action is one label of the translation, with its ``pc``. Where the translation
has a disjunction, or an operator with one (``canCommit``, ``canAbort``), TLC takes
every disjunct and every witness of an ``\\E`` that holds as a successor of its own,
also when two of them reach the same state; the actions below branch the same way.
"""

from __future__ import annotations

from math import prod

from lifecheck import Model, Process, action, always, choose_from, durable, require, role

RM_STATES = ("working", "prepared", "committed", "aborted", "failed")


class ResourceManager(Process):
    """``RManager``: one process of ``RM``."""

    pc = durable("RS", "the PlusCal label it is at")
    state = durable("working", "``rmState[self]``")


class TransactionManager(Process):
    """``TManager`` (process 0)."""

    pc = durable("TS", "the PlusCal label it is at")


class BackupManager(Process):
    """``BTManager`` (process 10): decides once the manager's decision is hidden."""

    pc = durable("BTS", "the PlusCal label it is at")


class TwoPhaseBTM(Model):
    """``Spec`` of ``2PCwithBTM`` for ``RM = {rm1, rm2, rm3}``."""

    rms = role(ResourceManager, count=3)
    tms = role(TransactionManager, count=1)
    btms = role(BackupManager, count=1)
    tm_state = durable("init", "``tmState``: init, commit, abort, or hidden once the manager failed")

    def can_commit(self) -> int:
        """``canCommit``: in how many ways it holds, counted as TLC branches on it.

        The ``\\A rmc`` of its definition extends over the ``\\/`` on its second line:
        ``\\A rmc : (rmState[rmc] = "prepared" \\/ \\E rm : rmState[rm] = "committed")``,
        the same predicate as the two disjuncts apart, but TLC takes each element of the
        ``\\A`` in turn and, for each, every disjunct and witness that holds.
        """
        committed = sum(r.state == "committed" for r in self.rms)
        return prod((r.state == "prepared") + committed for r in self.rms)

    def can_abort(self) -> int:
        """``canAbort``: how many witnesses of its ``\\E`` hold (0 once one committed)."""
        if any(r.state == "committed" for r in self.rms):
            return 0
        return sum(r.state in ("aborted", "failed") for r in self.rms)

    @action(ResourceManager)
    def rs(self, p: ResourceManager) -> None:
        """``RS``: prepare, decide (commit or abort) or fail, while working or prepared."""
        require(p.pc == "RS")
        if p.state not in ("working", "prepared"):
            p.pc = "Done"
            return
        options = ["prepared"] if p.state == "working" else []
        if self.tm_state == "commit":
            options.append("committed")
        # rmState[self] = "working" \/ tmState = "abort": a branch for each disjunct that holds
        options += ["aborted"] * ((p.state == "working") + (self.tm_state == "abort"))
        # Fail: IF RMMAYFAIL /\ ~\E rm : rmState[rm] = "failed" THEN fail ELSE do nothing
        options.append(p.state if any(r.state == "failed" for r in self.rms) else "failed")
        p.state = choose_from(options)

    @action(TransactionManager)
    def ts(self, t: TransactionManager) -> None:
        """``TS``: go on to commit if ``canCommit``, to abort if ``canAbort``."""
        require(t.pc == "TS")
        t.pc = choose_from(["TC"] * self.can_commit() + ["TA"] * self.can_abort())

    @action(TransactionManager)
    def tc(self, t: TransactionManager) -> None:
        """``TC``: decide commit."""
        require(t.pc == "TC")
        self.tm_state, t.pc = "commit", "F1"

    @action(TransactionManager)
    def f1(self, t: TransactionManager) -> None:
        """``F1``: fail after committing (``TMMAYFAIL``): the decision is hidden."""
        require(t.pc == "F1")
        self.tm_state, t.pc = "hidden", "Done"

    @action(TransactionManager)
    def ta(self, t: TransactionManager) -> None:
        """``TA``: decide abort."""
        require(t.pc == "TA")
        self.tm_state, t.pc = "abort", "F2"

    @action(TransactionManager)
    def f2(self, t: TransactionManager) -> None:
        """``F2``: fail after aborting (``TMMAYFAIL``): the decision is hidden."""
        require(t.pc == "F2")
        self.tm_state, t.pc = "hidden", "Done"

    @action(BackupManager)
    def bts(self, b: BackupManager) -> None:
        """``BTS``: once the decision is hidden, go on to commit or abort as the RMs allow."""
        require(b.pc == "BTS" and self.tm_state == "hidden")
        b.pc = choose_from(["BTC"] * self.can_commit() + ["BTA"] * self.can_abort())

    @action(BackupManager)
    def btc(self, b: BackupManager) -> None:
        """``BTC``: the backup decides commit."""
        require(b.pc == "BTC")
        self.tm_state, b.pc = "commit", "Done"

    @action(BackupManager)
    def bta(self, b: BackupManager) -> None:
        """``BTA``: the backup decides abort."""
        require(b.pc == "BTA")
        self.tm_state, b.pc = "abort", "Done"

    @action
    def terminating(self) -> None:
        """``Terminating``: every process is done; stutter, so that the end is no deadlock."""
        require(all(p.pc == "Done" for p in (*self.rms, *self.tms, *self.btms)))

    @always(name="TypeOK")
    def type_ok(self) -> bool:
        """Every variable holds a value of its type."""
        return (all(r.state in RM_STATES for r in self.rms)
                and self.tm_state in ("init", "commit", "abort", "hidden"))

    @always(name="Consistency")
    def consistency(self) -> bool:
        """No resource manager aborted while another committed."""
        states = {r.state for r in self.rms}
        return not ("aborted" in states and "committed" in states)
