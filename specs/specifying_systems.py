"""Two examples of Specifying Systems: several initial states, and a state constraint.

| spec                          | what it uses                                   | verdict |
|-------------------------------|------------------------------------------------|---------|
| specifying-systems/hour-clock | twelve initial states (``hr = one_of(1..12)``) | holds   |
| specifying-systems/inner-fifo | a state constraint: at most 2 values queued    | holds   |

The hour clock has TLC's 12 distinct states. The FIFO buffer's queue has no bound in
the model; the constraint ``len(q) <= 2`` bounds it as TLC's CONSTRAINT does, so the
spec checks safety only (liveness under a constraint is refused). Bounds: 2 data
values, at most 2 queued (a step that queues a third is checked and not explored).
"""

from lifecheck import Spec, holds
from lifecheck.models.classic.hour_clock import HourClock
from lifecheck.models.classic.inner_fifo import InnerFIFO

QUEUED = 2

SPECS = [
    Spec("specifying-systems/hour-clock", HourClock(), holds(),
         covers="every hour as the initial one, every tick"),
    Spec("specifying-systems/inner-fifo", InnerFIFO(), holds(), properties=["TypeOk", "TwoBuffered"],
         constraint=lambda m: len(m.q) <= QUEUED,
         covers=f"2 data values, at most {QUEUED} queued, any initial channel values"),
]
