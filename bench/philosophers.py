"""Dining philosophers (resource-ordering fix): counts agreed by SPIN and TLC."""

from checker import Spec, holds
from models.classic.philosophers import Philosophers

SPECS = [
    Spec("philosophers/n=10", Philosophers(n=10), holds(), known_counts=(102_571, 714_869)),
]
