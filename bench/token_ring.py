"""A long, thin state space: one chain of 3 x 100,000 states."""

from lifecheck import Spec, holds
from lifecheck.models.classic.token_ring import TokenRing

SPECS = [
    Spec("token-ring/n=3/rounds=100000", TokenRing(n=3, rounds=100_000), holds(),
         known_counts=(299_999, 299_999)),
]

PROMELA = {"token-ring/n=3/rounds=100000": ("token_ring.pml", {"N": 3, "ROUNDS": 100_000})}

# Both explorers: a deep, narrow state space is where the bfs explorer is the faster one.
ENGINES = {"token-ring/n=3/rounds=100000": ("bfs", "vector")}
