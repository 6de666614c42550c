"""A lock with a lease, and a holder paused past it: the fencing-token bug (models/fencing.py).

| design                  | no pause | a client pauses          | a pause and a crash |
|-------------------------|----------|--------------------------|---------------------|
| the lease alone         | holds    | violated (NoStaleWrite)  |                     |
| fencing tokens          | holds    | holds                    | holds               |

Bounds: 2 clients that each take the lock once, leases of 2 ticks, a clock that
runs to tick 4; at most 1 pause of either client, at any step, lasting any number
of steps until it resumes (and 1 crash in the last spec).
"""

from lifecheck import Crash, Pause, Spec, holds, violated
from lifecheck.models.fencing import FencedLock, LeasedLock

BOUNDS = "2 clients, leases of 2 ticks, a clock to tick 4"
PAUSE = Pause(max=1)

SPECS = [
    Spec("fencing/lease-only/no-pause", LeasedLock(), holds(),
         covers=f"{BOUNDS}, no pause: a running holder writes before its lease runs out"),
    Spec("fencing/lease-only/pause", LeasedLock(), violated("NoStaleWrite"), faults=[PAUSE],
         covers=f"{BOUNDS}, 1 pause: the holder pauses, its lease runs out and the lock changes "
                "hands, then it resumes and writes"),
    Spec("fencing/tokens/pause", FencedLock(), holds(), faults=[PAUSE],
         covers=f"{BOUNDS}, 1 pause of either client at any step"),
    Spec("fencing/tokens/pause-and-crash", FencedLock(), holds(), faults=[PAUSE, Crash(max=1)],
         covers=f"{BOUNDS}, 1 pause and 1 crash, of either client, at any step"),
]
