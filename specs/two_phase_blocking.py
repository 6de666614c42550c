"""Two-phase commit when its coordinator dies (models/two_phase_blocking.py).

| the coordinator                                  | verdict                                |
|--------------------------------------------------|----------------------------------------|
| never fails                                      | holds                                  |
| crashes and restarts (its decision is on disk)   | holds                                  |
| stops for good, at any step                      | violated (Deadlock, AllDecided)        |
| stops for good, only once it has decided         | holds                                  |

Consistent (no participant commits while another aborts) holds in every spec:
what a coordinator that stops takes away is progress. Bounds: 1 coordinator, 2
participants, at most 1 crash or 1 stop of the coordinator.
"""

from lifecheck import Crash, Spec, Stop, holds, violated
from lifecheck.models.two_phase_blocking import Coordinator, TwoPhaseBlocking

BOUNDS = "1 coordinator, 2 participants"
COORDINATOR = ("coordinators",)


def decided(m: TwoPhaseBlocking, c: Coordinator) -> bool:
    """Where a coordinator may stop in the last spec: once it has logged its decision."""
    return c.decision is not None


SPECS = [
    Spec("two-phase-blocking/no-fault", TwoPhaseBlocking(), holds(),
         covers=f"{BOUNDS}, no fault: every vote, commit or abort"),
    Spec("two-phase-blocking/coordinator-crashes", TwoPhaseBlocking(), holds(),
         faults=[Crash(max=1, roles=COORDINATOR)],
         covers=f"{BOUNDS}, 1 crash of the coordinator at any step; it restarts"),
    Spec("two-phase-blocking/coordinator-stops", TwoPhaseBlocking(),
         violated("Deadlock", "AllDecided"), faults=[Stop(max=1, roles=COORDINATOR)],
         covers=f"{BOUNDS}, the coordinator stops for good at any step: prepared participants "
                "wait forever"),
    Spec("two-phase-blocking/coordinator-stops-after-deciding", TwoPhaseBlocking(), holds(),
         faults=[Stop(max=1, roles=COORDINATOR, when=decided)],
         covers=f"{BOUNDS}, the coordinator stops for good at any step after it decided"),
]
