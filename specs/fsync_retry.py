"""Retrying fsync after EIO (models/fsync_retry.py).

| after a failed fsync (EIO)                 | verdict                            |
|--------------------------------------------|------------------------------------|
| no failed fsync                            | holds                              |
| fsync again (PostgreSQL before 2018)       | violated (NoLostAcknowledgedWrite) |
| write the value again, then fsync          | holds                              |
| the same, and a power loss at any step     | holds                              |

EIO drops the file's unsynced write, as Linux does; the retried fsync then succeeds
with nothing to write. Bounds: 1 application, 1 file, at most 1 failed fsync (and
in the rewrite specs 2), at most 1 power loss.
"""

from lifecheck import Fail, PowerLoss, Spec, holds, violated
from lifecheck.models.fsync_retry import RetryFsync, RewriteThenFsync

SPECS = [
    Spec("fsync-retry/retry/no-error", RetryFsync(), holds(), faults=[Fail(kind="eio", max=0)],
         covers="1 application, 1 file, no failed fsync"),
    Spec("fsync-retry/retry/eio", RetryFsync(), violated("NoLostAcknowledgedWrite"),
         faults=[Fail(kind="eio", max=1)],
         covers="1 application, 1 file, 1 failed fsync: the retry acknowledges lost data"),
    Spec("fsync-retry/rewrite/eio", RewriteThenFsync(), holds(), faults=[Fail(kind="eio", max=2)],
         covers="1 application, 1 file, up to 2 failed fsyncs, each followed by a rewrite"),
    Spec("fsync-retry/rewrite/eio-and-power-loss", RewriteThenFsync(), holds(),
         faults=[Fail(kind="eio", max=2), PowerLoss(max=1)],
         covers="1 application, 1 file, up to 2 failed fsyncs and 1 power loss, at any steps"),
]
