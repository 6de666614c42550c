"""Retrying an append after a timeout: the ambiguous outcome behind most retry bugs.

A client appends its records, one request each, to a log kept in a remote store. A
request can end three ways: it succeeds; it fails without effect (the store never
got it); or it times out after taking effect (the store appended the record, the
reply was lost). The client cannot tell the last two apart: both return False.

Two designs:

* :class:`RetryAppend`: on any failure the client sends the same append again. After
  a timeout that took effect, the record is in the log twice.
* :class:`IdempotentAppend`: every append carries an idempotency key, the client's
  name and the record's position; the store applies a key at most once and
  acknowledges a repeat without appending. Retrying is then safe.

The client keeps its position (the next record to send) durably, as a client
that commits its progress does, so a crash changes nothing about either verdict.
"""

from __future__ import annotations

from lifecheck import (
    Model,
    Process,
    action,
    always,
    durable,
    final,
    note,
    parameter,
    require,
    role,
    sometimes,
)
from lifecheck.components import RemoteStore

LOG = "log"
"""The key of the log object in the remote store."""


class Client(Process):
    """A client with records 1..N to append, in order."""

    next = durable(1, "the next record to append; moves on only when an append is acknowledged")


class RetryAppend(Model):
    """The buggy design: retry a non-idempotent append after any failure."""

    records = parameter(2, "how many records the client appends")
    clients = role(Client, count=1)
    store = RemoteStore(kind="remote", timeout="timeout")

    def send(self, c: Client) -> bool:
        return self.store.append(LOG, (c.next,))

    @action(Client)
    def append(self, c):
        require(c.next <= self.records)
        if self.send(c):
            c.next += 1
        else:
            note("no reply: send it again")

    def log(self) -> tuple:
        obj = self.store.stored(LOG)
        return () if obj is None else obj.data

    @always
    def no_duplicate(self):
        """Every record is in the log at most once."""
        log = self.log()
        return len(log) == len(set(log))

    @always
    def no_lost_record(self):
        """Every record the store acknowledged is in the log."""
        return all(r in self.log() for c in self.clients for r in range(1, c.next))

    @sometimes
    def all_appended(self):
        """The client can append every record (the model is not vacuous)."""
        return self.log() == tuple(range(1, self.records + 1))

    @final
    def done(self):
        return all(c.next > self.records for c in self.clients)


class IdempotentAppend(RetryAppend):
    """The fix: each append carries an idempotency key the store applies at most once."""

    def send(self, c: Client) -> bool:
        return self.store.append(LOG, (c.next,), request_id=(c.name, c.next))
