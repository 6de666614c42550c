"""Topic recreate (lifecycles.md section 3): consumer offsets across deleting and recreating a topic.

| design                               | no crash                    | controller crash            |
|--------------------------------------|-----------------------------|-----------------------------|
| offsets by topic name (shipped)      | violated (all three)        | (broken without)            |
| (a) delete offsets after the topic   | holds                       | violated (all three)        |
| (b) offsets per incarnation          | holds                       | holds                       |
| (c) validate start <= end in resolve | violated (skip, cross)      | (broken without)            |
| (a) and (c) together                 | holds                       | violated (skip, cross)      |

"All three" is NoPanic, NoSkip and NoCrossIncarnationState; "skip, cross" is NoSkip
and NoCrossIncarnationState, with NoPanic holding. The shipped design's
shortest panic: the consumer commits offset 1 in the first incarnation, the topic
is deleted and created again, and resolve sees the stale 1 against an empty new
log (Fluvio's 72 against 2, in small numbers); its shortest skip is the quiet
variant, where the new log has grown to the stale offset first. Fix (a) breaks
only when the controller dies between deleting the topic and deleting its
offsets, and then exactly like the shipped design. Fix (c) never panics but still
resumes from a stale offset that is not past the end.

Bounds: a "holds" covers every interleaving of one controller (create and delete,
up to the stated number of incarnations), one producer (up to the stated number
of messages per incarnation) and the stated consumers (connect, read, commit,
disconnect at any time), with the stated crashes at any step. A spec that expects
a violation uses 2 incarnations (one delete and recreate) and 2 messages per
incarnation: 1 would already show the panic and the skip, 2 let the new log grow
past a stale offset as well as reach it.
"""

from lifecheck import Crash, Spec, holds, violated
from lifecheck.models.topic_recreate import (
    DeleteOffsets,
    OffsetsPerIncarnation,
    TopicRecreate,
    ValidateAndDeleteOffsets,
    ValidateOnResolve,
)

CONTROLLER_CRASH = Crash(max=1, roles=("controller",))
ALL_THREE = violated("NoPanic", "NoSkip", "NoCrossIncarnationState")
QUIET_SKIP = violated("NoSkip", "NoCrossIncarnationState")

SPECS = [
    # -- the shipped design: offsets keyed by topic name --------------------------------
    Spec("topic-recreate/by-name/no-crash", TopicRecreate(incarnations=2, messages=2), ALL_THREE,
         covers="1 consumer, 2 incarnations, 2 messages each, no crash: the stale offset "
                "panics against a shorter new log and skips in a longer one"),
    # -- fix (a): delete the offsets after deleting the topic ---------------------------
    Spec("topic-recreate/delete-offsets/no-crash", DeleteOffsets(incarnations=3, messages=2), holds(),
         covers="1 consumer, 3 incarnations (two delete and recreate cycles), 2 messages each, "
                "no crash"),
    Spec("topic-recreate/delete-offsets/2-consumers/no-crash",
         DeleteOffsets(incarnations=2, messages=2, consumers=2), holds(),
         covers="2 consumers, 2 incarnations, 2 messages each, no crash"),
    Spec("topic-recreate/delete-offsets/controller-crash", DeleteOffsets(incarnations=2, messages=2),
         ALL_THREE, faults=[CONTROLLER_CRASH],
         covers="1 consumer, 2 incarnations, 2 messages each, 1 controller crash: killed between "
                "deleting the topic and deleting its offsets"),
    # -- fix (b): offsets bound to the incarnation --------------------------------------
    Spec("topic-recreate/incarnation/controller-crash",
         OffsetsPerIncarnation(incarnations=3, messages=2), holds(),
         faults=[Crash(max=2, roles=("controller",))],
         covers="1 consumer, 3 incarnations, 2 messages each, up to 2 controller crashes at any step"),
    Spec("topic-recreate/incarnation/crash", OffsetsPerIncarnation(incarnations=3, messages=2), holds(),
         faults=[Crash(max=2)],
         covers="1 consumer, 3 incarnations, 2 messages each, up to 2 crashes of any process "
                "(controller, producer, consumer) at any step"),
    Spec("topic-recreate/incarnation/2-consumers/crash",
         OffsetsPerIncarnation(incarnations=2, messages=1, consumers=2), holds(),
         faults=[Crash(max=1)],
         covers="2 consumers, 2 incarnations, 1 message each, 1 crash of any process at any step"),
    # -- fix (c): validate in resolve ----------------------------------------------------
    Spec("topic-recreate/validate/no-crash", ValidateOnResolve(incarnations=2, messages=2), QUIET_SKIP,
         covers="1 consumer, 2 incarnations, 2 messages each, no crash: no panic, but a stale "
                "offset within the new log is used and the consumer skips"),
    Spec("topic-recreate/validate/delete-offsets/no-crash",
         ValidateAndDeleteOffsets(incarnations=3, messages=2), holds(),
         covers="1 consumer, 3 incarnations, 2 messages each, no crash (the states are those of "
                "(a) alone: without a crash no offset is ever stale)"),
    Spec("topic-recreate/validate/delete-offsets/controller-crash",
         ValidateAndDeleteOffsets(incarnations=2, messages=2), QUIET_SKIP, faults=[CONTROLLER_CRASH],
         covers="1 consumer, 2 incarnations, 2 messages each, 1 controller crash: (a) and (c) "
                "together still skip after the crash"),
]
