"""A lock with a lease, and a holder that pauses past it: why a lock needs fencing tokens.

A lock service grants a lease of ``lease`` ticks of a clock the model keeps. A
client that holds the lease writes to a shared store. The design's timing
assumption: a client that is running writes before its lease runs out (the clock
cannot pass the deadline of a running holder that has not written yet). A pause
(a garbage-collection pause, a stalled VM: :class:`~lifecheck.Pause` in the spec)
breaks the assumption: while the holder is paused the clock runs on, the lease
expires, the service grants it to the other client, which writes; then the first
one resumes and writes too, believing it still holds the lock.

* :class:`LeasedLock`: the store takes every write. Holds without pauses; a pause
  makes a stale write.
* :class:`FencedLock`: each lease carries a fencing token (one more than the last)
  that goes with every write, and the store refuses a token older than one it
  has already taken, so the late write changes nothing.
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
    paused,
    require,
    role,
    sometimes,
    volatile,
)


class Client(Process):
    """A client of the lock. What it believes about its lease is in memory."""

    phase = volatile("idle", "idle, holding (granted the lease, about to write), done")
    token = volatile(0, "the fencing token of its lease (0: none)")
    expires = volatile(0, "the tick its lease runs out at")


class LeasedLock(Model):
    """The store takes every write: the lease alone keeps holders apart."""

    clients = parameter(2, "clients that each take the lock once",
                        check=lambda n: isinstance(n, int) and n >= 1)
    lease = parameter(2, "ticks a lease lasts", check=lambda n: isinstance(n, int) and n >= 1)
    horizon = parameter(4, "the last tick the model explores",
                        check=lambda n: isinstance(n, int) and n >= 1)
    pool = role(Client, count="clients")

    now = durable(0, "the clock: ticks since the start")
    lock = durable(None, "the lock service's lease: (holder, token, expiry tick), or None")
    writes = durable((), "the store: the token of every write it took, in order")

    def store_takes(self, token: int) -> bool:
        """Whether the store takes a write made under ``token``. This design: always."""
        return True

    @action(Client)
    def acquire(self, c: Client) -> None:
        """The lock service grants the lease to ``c`` once the last one has run out."""
        require(c.phase == "idle" and c.token == 0)
        require(self.lock is None or self.now >= self.lock[2])
        token = 1 if self.lock is None else self.lock[1] + 1
        self.lock = (c.name, token, self.now + self.lease)
        c.phase, c.token, c.expires = "holding", token, self.now + self.lease

    @action(Client)
    def write(self, c: Client) -> None:
        """Write to the store, the lease's token attached."""
        require(c.phase == "holding")
        if self.store_takes(c.token):
            self.writes = (*self.writes, c.token)
        else:
            note(f"the store refuses token {c.token}")
        c.phase = "done"

    @action
    def tick(self) -> None:
        """Time passes, but not past the deadline of a running holder that has yet to
        write: the timing assumption. A paused holder cannot hold the clock back."""
        require(self.now < self.horizon)
        require(not any(c.phase == "holding" and not paused(c) and self.now + 1 >= c.expires
                        for c in self.pool))
        self.now += 1

    @always
    def no_stale_write(self) -> bool:
        """The store never takes a write under an older lease after one under a newer lease."""
        return list(self.writes) == sorted(self.writes)

    @sometimes
    def handover(self) -> bool:
        """Both clients write: the lock changed hands."""
        return len(set(self.writes)) >= 2

    @final
    def over(self) -> bool:
        """The clock has run out and nobody is about to write."""
        return self.now == self.horizon and not any(c.phase == "holding" for c in self.pool)


class FencedLock(LeasedLock):
    """Fencing tokens: the store refuses a token older than the newest it has taken."""

    def store_takes(self, token: int) -> bool:
        return all(token >= taken for taken in self.writes)
