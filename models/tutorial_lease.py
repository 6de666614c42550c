"""Lease handover: two workers share a store, and only the lease holder may write to it.

The model of ``docs/tutorial.md``. A lock service grants a lease to one worker
at a time; each lease carries an epoch, one more than the last. The holder writes
to a shared store. A lease expires when its holder does not renew it in time (a
long garbage-collection pause, a stalled disk, a network partition), and the
service can then grant it to the other worker, while the first one still
believes it holds it.

Three designs:

* :class:`LeaseHandover`, the first one: the holder writes when it believes it
  holds the lease, and the store takes every write. An expired holder that wakes
  up overwrites what the new holder wrote.
* :class:`CheckLeaseFirst`: the worker asks the lock service whether it still
  holds the lease just before writing. The check and the write are two steps, and
  the lease can expire between them.
* :class:`FencedWrites`: every write carries the lease's epoch (a fencing token),
  and the store refuses a write whose epoch is older than one it has already
  taken.
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
    volatile,
)
from lifecheck.components import KeyValueStore

LEASE = "lease"
"""The key of the lease in the lock service: (holder, epoch)."""


class Worker(Process):
    """A worker. What it believes about the lease is in memory: a crash forgets it."""

    phase = volatile("idle", "idle, leader (believes it holds the lease), checked, done")
    epoch = volatile(0, "the epoch of the lease it was granted (0: none)")


class LeaseHandover(Model):
    """The first design: a worker that was granted the lease writes; the store takes every write."""

    workers = parameter(2, "workers sharing the store", check=lambda n: isinstance(n, int) and n >= 1)
    leases = parameter(2, "leases the lock service grants, at most",
                       check=lambda n: isinstance(n, int) and n >= 1)
    pool = role(Worker, count="workers")
    locks = KeyValueStore()
    """The lock service: replicated, so a granted lease survives any crash of a worker."""

    granted = durable(0, "leases granted so far: the next lease's epoch is granted + 1")
    writes = durable((), "the store: (worker, epoch) of every write it took, in order")

    # -- what the designs differ in -------------------------------------------------------
    def store_takes(self, epoch: int) -> bool:
        """Whether the store takes a write made under ``epoch``. First design: always."""
        return True

    def ready_to_write(self, w: Worker) -> bool:
        """Whether ``w`` goes ahead and writes. First design: when it believes it is the leader."""
        return w.phase == "leader"

    # -- the lock service and the workers -------------------------------------------------
    @action(Worker)
    def acquire(self, w: Worker) -> None:
        """The lock service grants the free lease to ``w``, with a new epoch."""
        require(w.phase == "idle" and not self.locks.contains(LEASE) and self.granted < self.leases)
        self.granted += 1
        self.locks.put(LEASE, (w.name, self.granted))
        w.phase, w.epoch = "leader", self.granted

    @action
    def expire(self) -> None:
        """The holder did not renew in time: the lease runs out, whatever the holder believes."""
        require(self.locks.contains(LEASE))
        self.locks.delete(LEASE)

    @action(Worker)
    def write(self, w: Worker) -> None:
        """Write to the store, with the lease's epoch attached."""
        require(self.ready_to_write(w))
        if self.store_takes(w.epoch):
            self.writes = (*self.writes, (w.name, w.epoch))
        else:
            note(f"the store refuses epoch {w.epoch}")
        w.phase = "done"

    @action(Worker)
    def release(self, w: Worker) -> None:
        """Done: give the lease back if it is still this worker's, and go idle."""
        require(w.phase == "done")
        if self.locks.get(LEASE) == (w.name, w.epoch):
            self.locks.delete(LEASE)
        w.phase, w.epoch = "idle", 0

    # -- properties -----------------------------------------------------------------------
    @always
    def no_stale_write(self) -> bool:
        """The store never takes a write from an older lease after one from a newer lease.

        Otherwise a worker whose lease expired overwrites what the next holder wrote.
        """
        epochs = [epoch for _, epoch in self.writes]
        return epochs == sorted(epochs)

    @sometimes
    def handover(self) -> bool:
        """Both leases are used: the store takes writes under two different epochs."""
        return len({epoch for _, epoch in self.writes}) >= 2

    @final
    def all_done(self) -> bool:
        """Every lease granted and given up, nobody writing: the handovers are over."""
        return (self.granted == self.leases and not self.locks.contains(LEASE)
                and all(w.phase == "idle" for w in self.pool))


class CheckLeaseFirst(LeaseHandover):
    """Ask the lock service before writing; write only if the lease is still this worker's.

    Checking and writing are two steps: the lease can expire right after the
    check, and the worker writes anyway.
    """

    def ready_to_write(self, w: Worker) -> bool:
        return w.phase == "checked"

    @action(Worker)
    def check_lease(self, w: Worker) -> None:
        """Ask the lock service who holds the lease; give up if it is no longer this worker."""
        require(w.phase == "leader")
        w.phase = "checked" if self.locks.get(LEASE) == (w.name, w.epoch) else "done"


class FencedWrites(LeaseHandover):
    """Writes carry the lease's epoch (a fencing token); the store refuses an epoch older than
    the newest it has taken, so an expired holder's late write changes nothing."""

    def store_takes(self, epoch: int) -> bool:
        return all(epoch >= taken for _, taken in self.writes)
