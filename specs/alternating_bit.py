"""The alternating-bit protocol: liveness that needs strong fairness.

Calibrated against the TLA+ example (``AlternatingBit`` with ``ABCorrectness``'s
``SentLeadsToRcvd``): under its fairness, weak on resending and acknowledging and
strong on both receptions, every value sent is received. Under weak fairness alone
it is not: the channel may lose every copy of a message, so the receiver's step is
enabled only now and then, which weak fairness lets starve.
"""

from lifecheck import Spec, Strong, Weak, holds, violated
from lifecheck.models.classic.alternating_bit import AlternatingBit

TLA_FAIRNESS = [Weak("resend_msg", "send_ack"), Strong("receive_msg", "receive_ack")]

SPECS = [
    Spec("alternating-bit/tla-fairness", AlternatingBit(msg_q_len=2, ack_q_len=2), holds(),
         fairness=TLA_FAIRNESS,
         covers="2 data values, at most 2 messages and 2 acknowledgements in flight, any "
                "number lost"),
    Spec("alternating-bit/weak-fairness-only", AlternatingBit(msg_q_len=2, ack_q_len=2),
         violated("SentLeadsToRcvd(d1)", "SentLeadsToRcvd(d2)"),
         fairness=[Weak("resend_msg", "send_ack", "receive_msg", "receive_ack")],
         covers="the same bounds, with the receptions only weakly fair"),
]
