"""Vectorised breadth-first exploration: a level at a time, each step's effect learned once.

The bfs explorer runs model code for every (state, action instance) pair; in a
model like dining philosophers that is 48 Python calls per state, nearly all of
them to find a guard false. This explorer runs model code only to *learn*: each
step instance is a deterministic function of the fields it reads (see
:mod:`lifecheck.modelling.footprint`), so its outcome on a whole level of states is found by
looking up each state's values of those fields in a table of outcomes already
learned, in numpy, and model code runs only for combinations never met before.
On the benchmark most levels need no model code at all.

States are rows of small integers (each field's values interned per column).
A row's fingerprint is the XOR of a 64-bit code per (column, value) (Zobrist
hashing), so a successor's fingerprint is its parent's XOR the learned step's
delta and rows are built only for states that turn out to be new. The seen-set
is a sorted array of fingerprints (8 bytes per state, twice that while a level
is merged in) with a small set of the latest in front, the frontier is one
integer array per level, and a counterexample is rebuilt by replaying the
recorded step indices from the initial state, as in the bfs explorer's
fingerprint mode.

Learning pays only where steps are reused. A level of a few states is expanded
in plain Python (numpy's cost is per call, not per row), and where nearly every
lookup has to learn (a counter that every step reads) steps and properties are
run as written instead, so a long, thin state space costs what it costs the bfs
explorer, a few times over at worst, rather than far more.

Under symmetry reduction the seen-set holds a key per orbit while the frontier
keeps the rows reached, as the bfs explorer keys by representative and keeps the
state reached (:mod:`lifecheck.explore.vector.orbits`).

Results equal the bfs explorer's: the same states, transitions, depth, coverage,
and for each property the same first violation in breadth-first order (a level's
successors are sorted by parent and step index before deduplication, so the
state kept is the one the bfs explorer would have reached first).
"""

from lifecheck.explore.vector.hashing import fingerprints, zobrist, zobrist_code
from lifecheck.explore.vector.memo import ColumnMemo, ValueIds
from lifecheck.explore.vector.run import VectorRun, explore_vector, refusal

__all__ = ["ColumnMemo", "ValueIds", "VectorRun", "explore_vector", "fingerprints", "refusal", "zobrist",
           "zobrist_code"]
