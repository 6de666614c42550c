"""Dining philosophers (resource-ordering fix): counts agreed by SPIN and TLC.

Both tools check the same thing here: every state is explored and none is a
deadlock (SPIN's invalid end states; the Promela model asserts nothing). The
model's invariant, ForksHeldByOne, is left out so that the figures compare
exploration, not property evaluation; the last benchmark checks it too, with no
SPIN row beside it, to show what evaluating a property on every state costs.
"""

from lifecheck import Spec, holds
from lifecheck.models.classic.philosophers import Philosophers

SPECS = [
    Spec("philosophers/n=10", Philosophers(n=10), holds(), properties=[],
         known_counts=(102_571, 714_869)),
    Spec("philosophers/n=12", Philosophers(n=12), holds(), properties=[],
         known_counts=(1_118_878, 9_415_129)),
    Spec("philosophers/invariant/n=10", Philosophers(n=10), holds(),
         known_counts=(102_571, 714_869)),
]

# The default engine beside SPIN, and the team `lifecheck check --workers 2` uses (vector workers).
ENGINES = {"philosophers/n=12": ("vector", "2 workers")}

PROMELA = {
    "philosophers/n=10": ("philosophers.pml", {"N": 10}),
    "philosophers/n=12": ("philosophers.pml", {"N": 12}),
}
