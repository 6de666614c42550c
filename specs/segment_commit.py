"""Segment commit (lifecycles.md section 2): tiered storage in Apache RocketMQ.

Segment commit, 2 segments of 2 messages, up to 2 failed remote requests, up to 1
broker crash:

| design                          | remote failures       | crash + remote failures |
|---------------------------------|-----------------------|-------------------------|
| fire and forget (shipped)       | violated (both)       | violated (both)         |
| fix (a): retry on failure       | holds                 | violated (Eventually)   |
| fix (a) + commit again on start | (as fix (a))          | holds                   |
| fix (b): background re-commit   | holds                 | holds                   |

"both" is NoLostMessage and EventuallyUploaded; "Eventually" is EventuallyUploaded
alone. The shipped crash spec has no remote failure, to show the crash alone is enough.

The shipped design loses messages either way: a failed commit whose result
nobody reads, or a crash that drops the commit before it runs; retention then
deletes the local file. Fix (a) never loses a message (its retention waits for
the committed position), but its retry lives in memory: after a crash between
the seal and a successful commit nothing commits that segment again, so it stays
local forever. Recommitting on start, or fix (b)'s scan of the persisted
metadata, closes that gap.

Index upload, 3 index entries, 2 entries per file (so the last file holds one
entry), one entry per upload request, up to 2 failed remote requests: the
shipped design violates ShutdownComplete (shutdown leaves the last file local)
and FetcherSeesCompleteFiles (the fetcher serves a half-uploaded file). Each fix
repairs exactly its own property; both together hold, also with a crash.

Power loss and file systems: this model keeps the broker's local segments and
commit metadata in ``durable`` process fields, storage that is always synced, and
injects process crashes and remote failures, not power losses. Its verdicts are
therefore the same under every persistence model of the file system component
(see specs/extraction.py for a lifecycle whose verdicts do depend on it); putting
the segment files on a ``FileSystem`` would ask, in addition, whether the
broker fsyncs a segment before it counts it as sealed.
"""

from lifecheck import Crash, Fail, Spec, holds, violated
from lifecheck.models.segment_commit import (
    BackgroundRecommit,
    FireAndForget,
    IndexUpload,
    RetryAndRecover,
    RetryOnFailure,
)

REMOTE_FAILS = Fail(kind="remote", max=2)
CRASH = Crash(max=1)
LOST = violated("NoLostMessage", "EventuallyUploaded")
SEGMENTS = "2 segments of 2 messages"

SPECS = [
    # -- segment commit: the shipped design -------------------------------------------------
    Spec("segment-commit/fire-and-forget/remote-failures", FireAndForget(), LOST,
         faults=[REMOTE_FAILS],
         covers=f"{SEGMENTS}, up to 2 failed remote requests: the full segment's commit "
                "fails, nobody reads its result, retention deletes the local file"),
    Spec("segment-commit/fire-and-forget/crash", FireAndForget(), LOST,
         faults=[CRASH, Fail(kind="remote", max=0)],
         covers=f"{SEGMENTS}, 1 crash and no remote failure: the crash drops the commit "
                "between seal and upload, retention deletes the local file"),
    # -- fix (a): handle the result, retry ----------------------------------------------------
    Spec("segment-commit/retry/remote-failures", RetryOnFailure(), holds(),
         faults=[REMOTE_FAILS],
         covers=f"{SEGMENTS}, up to 2 failed remote requests at any step, no crash"),
    Spec("segment-commit/retry/crash", RetryOnFailure(), violated("EventuallyUploaded"),
         faults=[CRASH, REMOTE_FAILS],
         covers=f"{SEGMENTS}, 1 crash and up to 2 failed remote requests: no message is "
                "lost, but a crash between seal and a successful commit leaves the segment "
                "local forever"),
    Spec("segment-commit/retry-and-recover/crash", RetryAndRecover(), holds(),
         faults=[CRASH, REMOTE_FAILS],
         covers=f"{SEGMENTS}, 1 crash and up to 2 failed remote requests, in any order"),
    # -- fix (b): background re-commit of sealed segments --------------------------------------
    Spec("segment-commit/background-recommit/remote-failures", BackgroundRecommit(), holds(),
         faults=[REMOTE_FAILS],
         covers=f"{SEGMENTS}, up to 2 failed remote requests at any step, no crash"),
    Spec("segment-commit/background-recommit/crash", BackgroundRecommit(), holds(),
         faults=[CRASH, REMOTE_FAILS],
         covers=f"{SEGMENTS}, 1 crash and up to 2 failed remote requests, in any order"),
    # -- index upload on shutdown -----------------------------------------------------------
    Spec("index-upload/shipped/remote-failures", IndexUpload(),
         violated("ShutdownComplete", "FetcherSeesCompleteFiles"),
         faults=[REMOTE_FAILS],
         covers="3 entries, 2 per file, 1 entry per upload request, up to 2 failed remote "
                "requests (neither violation needs one)"),
    Spec("index-upload/shutdown-fix/remote-failures", IndexUpload(flush_on_shutdown=True),
         violated("FetcherSeesCompleteFiles"),
         faults=[REMOTE_FAILS],
         covers="3 entries, 2 per file, up to 2 failed remote requests: shutdown now uploads "
                "the last file, but the fetcher still serves a half-uploaded one"),
    Spec("index-upload/fetcher-fix/remote-failures", IndexUpload(fetcher_checks=True),
         violated("ShutdownComplete"),
         faults=[REMOTE_FAILS],
         covers="3 entries, 2 per file, up to 2 failed remote requests: the fetcher now "
                "checks completeness, but shutdown still leaves the last file local"),
    Spec("index-upload/fixed/remote-failures",
         IndexUpload(flush_on_shutdown=True, fetcher_checks=True), holds(),
         faults=[REMOTE_FAILS],
         covers="3 entries, 2 per file, 1 entry per upload request, up to 2 failed remote "
                "requests at any step"),
    Spec("index-upload/fixed/crash",
         IndexUpload(flush_on_shutdown=True, fetcher_checks=True), holds(),
         faults=[CRASH, REMOTE_FAILS],
         covers="3 entries, 2 per file, 1 crash of the index service or the fetcher (an "
                "upload cut short starts over) and up to 2 failed remote requests"),
]
