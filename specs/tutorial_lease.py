"""Lease handover (docs/tutorial.md): only the lease holder may write to the shared store.

| design                          | no crash                 | a worker crashes |
|---------------------------------|--------------------------|------------------|
| the first design                | violated (NoStaleWrite)  |                  |
| check the lease before writing  | violated (NoStaleWrite)  |                  |
| fencing tokens                  | holds                    | holds            |

Bounds: 2 workers, 2 leases (one handover), at most 1 crash of a worker in the
crash spec. The lease may expire at any moment, as after a pause of any length.
"""

from lifecheck import Crash, Spec, holds, violated
from lifecheck.models.tutorial_lease import CheckLeaseFirst, FencedWrites, LeaseHandover

STALE = violated("NoStaleWrite")

SPECS = [
    Spec("lease-handover/first/no-crash", LeaseHandover(), STALE,
         covers="2 workers, 2 leases: the first holder pauses, its lease expires, the second "
                "writes, then the first wakes up and writes"),
    Spec("lease-handover/check-first/no-crash", CheckLeaseFirst(), STALE,
         covers="2 workers, 2 leases: the lease expires between the check and the write"),
    Spec("lease-handover/fenced/no-crash", FencedWrites(), holds(),
         covers="2 workers, 2 leases, any expiry at any moment"),
    Spec("lease-handover/fenced/crash", FencedWrites(), holds(), faults=[Crash(max=1)],
         covers="2 workers, 2 leases, 1 crash of either worker at any step"),
]
