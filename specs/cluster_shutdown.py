"""Cluster shutdown (lifecycles.md section 4): the acceptance table for an Aeron Cluster node.

| design                                            | no crash  | crash of the node process |
|---------------------------------------------------|-----------|---------------------------|
| shipped: archive client closed only if the module | violated  | violated                  |
| does not own its messaging client                 |           |                           |
| shipped, module given a client it does not own    | holds     |                           |
| fix: archive client closed first, always          | holds     | holds (1 and 2 crashes)   |
| half a fix: closed always, but after the          | violated  |                           |
| messaging client                                  |           |                           |

Every violation is of NoAbandonedSession alone. Every spec checks all four
properties (NoAbandonedSession, SnapshotBeforeTerminate, RecoverFromCompleteSnapshot,
ShutdownTerminates, under weak fairness on every action): the shipped design's only
flaw is the abandoned session; its snapshot, termination and recovery are sound, and
the node always closes.

Bounds: 1 consensus module (the node process: module, embedded driver, archive), 2
service containers, a snapshot recorded in 2 steps. A crash spec allows 1 crash (2 in
one spec of the fix) of the consensus module at any step: before the shutdown,
mid-snapshot (between any two parts, or after the last part and before the complete
mark), while the services terminate, in the grace period, anywhere in the close path.
The channel is reliable (Aeron retransmits): no message loss or duplication.
"""

from lifecheck import Crash, Spec, holds, violated
from lifecheck.models.cluster_shutdown import ClosesArchiveClientLast, Fixed, Shipped

NODE_CRASH = Crash(max=1, roles=("consensus",))
ABANDONED = violated("NoAbandonedSession")
BOUNDS = "1 consensus module, 2 service containers, a snapshot of 2 parts"

SPECS = [
    # -- the shipped design ---------------------------------------------------------------
    Spec("cluster-shutdown/shipped/no-crash", Shipped(), ABANDONED,
         covers=f"{BOUNDS}, no crash: the close guard skips the archive client, the archive "
                "sees the request stream end before the node closes it"),
    Spec("cluster-shutdown/shipped/crash", Shipped(), ABANDONED, faults=[NODE_CRASH],
         covers=f"{BOUNDS}, up to 1 crash of the node process at any step"),
    Spec("cluster-shutdown/shipped/client-not-owned", Shipped(owns_client=False), holds(),
         covers=f"{BOUNDS}, no crash, the module given a messaging client it does not own: the "
                "guard lets the archive client close, so the bug needs the embedded driver"),
    # -- the fix --------------------------------------------------------------------------
    Spec("cluster-shutdown/fixed/no-crash", Fixed(), holds(),
         covers=f"{BOUNDS}, no crash, every interleaving of the archive with the close path"),
    Spec("cluster-shutdown/fixed/crash", Fixed(), holds(), faults=[NODE_CRASH],
         covers=f"{BOUNDS}, up to 1 crash of the node process at any step, mid-snapshot "
                "included; recovery reads the recording log"),
    Spec("cluster-shutdown/fixed/2-crashes", Fixed(), holds(), faults=[Crash(max=2, roles=("consensus",))],
         covers=f"{BOUNDS}, up to 2 crashes of the node process at any steps: a crash can also "
                "strike the second snapshot, or the recovery from the first"),
    # -- half a fix -----------------------------------------------------------------------
    Spec("cluster-shutdown/archive-client-last/no-crash", ClosesArchiveClientLast(), ABANDONED,
         covers=f"{BOUNDS}, no crash: closed unconditionally but after the messaging client, "
                "the archive client finds its publication gone and sends nothing"),
]
