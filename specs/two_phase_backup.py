"""Two-phase commit with a backup coordinator (models/two_phase_backup.py).

| the coordinator                | the backup, once the coordinator stopped   | verdict                 |
|--------------------------------|--------------------------------------------|-------------------------|
| stops for good, at any step    | adopts the logged decision, else aborts    | holds                   |
| crashes and restarts, or stops | adopts the logged decision, else aborts    | holds                   |
| stops for good, at any step    | aborts without reading the log             | violated (Consistent)   |

The same protocol without a backup blocks (specs/two_phase_blocking.py:
coordinator-stops violates Deadlock and AllDecided); with a backup that reads the
decision log it ends, and consistently. Bounds: 1 coordinator, 1 backup, 2
participants, at most 1 stop (and in the second spec 1 crash) of the coordinator.
The backup itself never fails here.
"""

from lifecheck import Crash, Spec, Stop, holds, violated
from lifecheck.models.two_phase_backup import BackupAbortsBlindly, TwoPhaseBackup

BOUNDS = "1 coordinator, 1 backup, 2 participants"
COORDINATOR = ("coordinators",)

SPECS = [
    Spec("two-phase-backup/coordinator-stops", TwoPhaseBackup(), holds(),
         faults=[Stop(max=1, roles=COORDINATOR)],
         covers=f"{BOUNDS}, the coordinator stops for good at any step (or never); "
                "the backup takes over"),
    Spec("two-phase-backup/coordinator-crashes-then-stops", TwoPhaseBackup(), holds(),
         faults=[Crash(max=1, roles=COORDINATOR), Stop(max=1, roles=COORDINATOR)],
         covers=f"{BOUNDS}, 1 crash and 1 stop of the coordinator at any steps"),
    Spec("two-phase-backup/backup-aborts-blindly", BackupAbortsBlindly(),
         violated("Consistent"), faults=[Stop(max=1, roles=COORDINATOR)],
         covers=f"{BOUNDS}, the coordinator stops after a participant learnt commit; "
                "the backup aborts the others"),
]
