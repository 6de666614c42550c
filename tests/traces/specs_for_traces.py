"""Small specs for the trace formats: one that holds, one violated with a safety trace and
a lasso over values JSON cannot hold as they are (tuples, frozensets, maps with tuple
keys, big ints, floats, None), and three that cannot be checked (a typo, a mutable
value, a property that raises)."""

from lifecheck import (
    Crash,
    FrozenMap,
    Model,
    Process,
    Spec,
    action,
    always,
    durable,
    eventually,
    final,
    holds,
    require,
    role,
    violated,
    volatile,
)


class Worker(Process):
    phase = volatile("idle")
    done = durable(False)
    seen = durable(frozenset())
    ledger = durable(FrozenMap())


class Job(Model):
    workers = role(Worker, count=1)

    @action(Worker)
    def start(self, w):
        require(w.phase == "idle" and not w.done)
        w.phase = "busy"
        w.seen = w.seen | {("start", 2**60)}

    @action(Worker)
    def finish(self, w):
        require(w.phase == "busy")
        w.done = True
        w.phase = "idle"
        w.ledger = w.ledger.set((w.name, 1), 0.5).set("none", None)

    @action(Worker)
    def abandon(self, w):
        require(w.phase == "busy")
        w.phase = "idle"

    @always
    def never_done(self):
        """Nobody finishes (a property made to fail)."""
        return not any(w.done for w in self.workers)

    @eventually
    def finishes(self):
        return all(w.done for w in self.workers)

    @final
    def all_done(self):
        return all(w.done for w in self.workers)


class Safe(Job):
    @action(Worker)
    def finish(self, w):
        require(False)


class Typo(Job):
    @action(Worker)
    def start(self, w):
        require(w.phsae == "idle")


class Leaky(Job):
    @action(Worker)
    def finish(self, w):
        require(w.phase == "busy")
        w.phase = ["idle"]  # a list could change after it is stored: refused, naming the action


class Raising(Job):
    @always
    def never_done(self):
        """Reads a key that is not there once a worker finishes."""
        return all(w.ledger["missing"] if w.done else True for w in self.workers)


SPECS = [
    Spec("job/holds", Safe(), holds(), properties=["NeverDone"], faults=[Crash(max=0)]),
    Spec("job/fails", Job(), violated("NeverDone", "Finishes"), faults=[Crash(max=1)]),
    Spec("job/typo", Typo(), holds()),
    Spec("job/leaky", Leaky(), holds()),
    Spec("job/raising", Raising(), holds(), properties=["NeverDone"]),
]
