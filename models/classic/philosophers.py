"""Dining philosophers with the resource-ordering fix: the calibration benchmark.

Each philosopher takes the lower-numbered of its two forks first, so no cycle of
waiting can form. SPIN and TLC agree on the state counts (10 philosophers:
102,571 distinct states and 714,869 transitions; 12: 1,118,878 and 9,415,129),
which makes this the model every explorer of ours must reproduce exactly.

The forks are an array field, one piece of state per fork as in the Promela
model's ``bool fork[N]``: a step that takes fork 3 depends on fork 3 alone.
"""

from __future__ import annotations

from lifecheck import Model, Process, action, always, durable, parameter, require, role

THINKING, HAS_FIRST, EATING, HAS_FIRST_AFTER = 0, 1, 2, 3


class Philosopher(Process):
    pc = durable(THINKING)


class Philosophers(Model):
    """N philosophers round a table, forks between them, lower-numbered fork first."""

    n = parameter(5, check=lambda n: isinstance(n, int) and n >= 2)
    philosophers = role(Philosopher, count="n")
    forks = durable(False, count="n", doc="whether each fork is taken")

    def first_fork(self, p: Philosopher) -> int:
        return min(p.index, (p.index + 1) % self.n)

    def second_fork(self, p: Philosopher) -> int:
        return max(p.index, (p.index + 1) % self.n)

    @action(Philosopher)
    def take_first(self, p):
        require(p.pc == THINKING and not self.forks[self.first_fork(p)])
        self.forks[self.first_fork(p)] = True
        p.pc = HAS_FIRST

    @action(Philosopher)
    def take_second(self, p):
        require(p.pc == HAS_FIRST and not self.forks[self.second_fork(p)])
        self.forks[self.second_fork(p)] = True
        p.pc = EATING

    @action(Philosopher)
    def put_second(self, p):
        require(p.pc == EATING)
        self.forks[self.second_fork(p)] = False
        p.pc = HAS_FIRST_AFTER

    @action(Philosopher)
    def put_first(self, p):
        require(p.pc == HAS_FIRST_AFTER)
        self.forks[self.first_fork(p)] = False
        p.pc = THINKING

    @always
    def forks_held_by_one(self):
        """Neighbours never eat at once: an eating philosopher holds both its forks."""
        eating = [p.index for p in self.philosophers if p.pc == EATING]
        return all((i + 1) % self.n not in eating for i in eating)
