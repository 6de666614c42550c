"""Liveness at a million states: philosopher 1, once holding its first fork, eventually eats.

Weak fairness per philosopher is not enough (its neighbour may take the shared fork
whenever it is free, so the second fork is never continuously available), and the
checker must find the fair loop in the whole graph: every step between the states
is recorded, the strongly connected components of the states where philosopher 1
waits are searched, and the shortest-stem lasso is printed. The counts are the
safety benchmark's (the same model, SPIN and TLC agree on them); no SPIN row: a
Promela twin would need a never claim under weak fairness, which SPIN checks with a
different algorithm (nested depth-first search), not this one.
"""

from lifecheck import Spec, Weak, leads_to, violated
from lifecheck.models.classic.philosophers import EATING, HAS_FIRST, Philosophers


class HungryPhilosophers(Philosophers):
    hungry_eats = leads_to(lambda m: m.philosophers[0].pc == HAS_FIRST,
                           lambda m: m.philosophers[0].pc == EATING, name="HungryEats")


def _spec(n: int, counts: tuple[int, int]) -> Spec:
    return Spec(f"philosophers/n={n}/leads-to", HungryPhilosophers(n=n), violated("HungryEats"),
                properties=["HungryEats"], fairness=[Weak(per="process")], known_counts=counts)


SPECS = [_spec(10, (102_571, 714_869)), _spec(12, (1_118_878, 9_415_129))]

# Both explorers at 100,000 states (the reference engine's liveness takes minutes beyond).
ENGINES = {"philosophers/n=10/leads-to": ("bfs", "vector"),
           "philosophers/n=12/leads-to": ("vector", "2 workers")}
