"""Non-blocking atomic commitment with crashes (Raynal 1997), after the TLA+ Examples'
``nbacc_ray97`` by Konnov, Tran and Widder.

Each process votes YES or NO, sends its vote, and commits once it has a YES from every
process and its failure detector suspects no one; a NO or a suspicion makes it abort.
Any process may crash at any step: the crash is a flag in its program counter
(``pc = "CRASH"``), as in the TLA+ spec, not a lifecheck fault. A crashed process
sends nothing more, but it keeps taking steps that receive messages and update its
failure detector, which lifecheck's ``Stop`` does not allow (a stopped process takes
no step at all), so the flag is part of the model here.

One action, ``step``, is TLA+'s ``Step(self)``, a conjunction of three choices, taken
in its order: the messages received (any superset of those already received among
those sent), the failure detector's new verdict (FALSE, then TRUE), and one of the
disjuncts that is enabled: send YES, send NO, crash, decide (abort on a suspicion,
abort on a NO received before the step, commit), or do nothing. Two disjuncts that
reach the same state are two successors, as TLC generates them, and so are two
witnesses of an existential quantifier in the action (``\\E msg \\in rcvd[self] :
msg[2] = "NO"``: one branch per NO received).
"""

from __future__ import annotations

from itertools import combinations

from lifecheck import Model, Process, action, always, choose_from, durable, one_of, parameter, role

VOTES = ("YES", "NO")
PCS = ("NO", "YES", "ABORT", "COMMIT", "SENT", "CRASH")


def supersets(base: frozenset, within: frozenset) -> list[frozenset]:
    """Every set ``r`` with ``base <= r <= within``: ``Receive``'s choices."""
    extra = sorted(within - base)
    return [base | frozenset(c) for n in range(len(extra) + 1) for c in combinations(extra, n)]


class Participant(Process):
    """``Proc``: one process, numbered ``index + 1`` as in ``1..N``."""

    pc = durable(one_of(VOTES), "the vote to send, then SENT, ABORT, COMMIT or CRASH")
    rcvd = durable(frozenset(), "the (process, vote) messages received")
    fd = durable(one_of((False, True)), "whether the failure detector suspects a crash")


class NBACCrash(Model):
    """``Spec`` of ``nbacc_ray97``: N processes, any of which may crash."""

    n = parameter(2, "``N``: the number of processes", check=lambda n: isinstance(n, int) and n >= 1)
    procs = role(Participant, count="n")
    sent = durable(frozenset(), "the (process, vote) messages sent")

    def number(self, p: Participant) -> int:
        return p.index + 1

    @action(Participant)
    def step(self, p: Participant) -> None:
        """``Step(self)``: receive, update the failure detector, then one enabled disjunct."""
        old_rcvd = p.rcvd
        p.rcvd = choose_from(supersets(old_rcvd, self.sent), label=sorted)
        p.fd = choose_from((False, True))
        me = self.number(p)
        outcomes: list[tuple[str, frozenset]] = []  # (pc', sent') of each enabled disjunct
        if p.pc in VOTES:  # UponYes, UponNo
            outcomes.append(("SENT", self.sent | {(me, p.pc)}))
        if p.pc != "CRASH":  # UponCrash
            outcomes.append(("CRASH", self.sent))
        if p.pc == "SENT":  # UponSent, its three disjuncts
            if p.fd:
                outcomes.append(("ABORT", self.sent))
            # \E msg \in rcvd[self] : msg[2] = "NO": TLC takes each witness as a branch.
            outcomes += [("ABORT", self.sent) for _, vote in sorted(old_rcvd) if vote == "NO"]
            yes_from = {q for q, vote in p.rcvd if vote == "YES"}
            if not p.fd and yes_from == set(range(1, self.n + 1)):
                outcomes.append(("COMMIT", self.sent))
        outcomes.append((p.pc, self.sent))  # do nothing, "to avoid deadlock"
        p.pc, self.sent = choose_from(outcomes, label=lambda o: o[0])

    @always(name="TypeOK")
    def type_ok(self) -> bool:
        """Every variable holds a value of its type."""
        procs = range(1, self.n + 1)
        return (all(q in procs and v in VOTES for q, v in self.sent)
                and all(p.pc in PCS and isinstance(p.fd, bool)
                        and all(q in procs and v in VOTES for q, v in p.rcvd) for p in self.procs))
