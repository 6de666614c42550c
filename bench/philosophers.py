"""Dining philosophers (resource-ordering fix): counts agreed by SPIN and TLC."""

from checker import Spec, holds
from models.classic.philosophers import Philosophers

SPECS = [
    Spec("philosophers/n=10", Philosophers(n=10), holds(), known_counts=(102_571, 714_869)),
    Spec("philosophers/n=12", Philosophers(n=12), holds(), known_counts=(1_118_878, 9_415_129)),
]

PROMELA = {
    "philosophers/n=10": ("philosophers.pml", {"N": 10}),
    "philosophers/n=12": ("philosophers.pml", {"N": 12}),
}
