"""Retrying a non-idempotent remote append after a timeout.

| design                        | failures only | failures and timeouts  | and a client crash |
|-------------------------------|---------------|------------------------|--------------------|
| retry the same append         | holds         | violated (NoDuplicate) |                    |
| retry with an idempotency key |               | holds                  | holds              |

Failed requests alone do no harm to the first design: a request that failed
without effect is safely sent again. It is the timeout after the store applied
the append that duplicates the record; the specs without timeouts show it.
"""

from lifecheck import Crash, Fail, Spec, holds, violated
from lifecheck.models.retry_append import IdempotentAppend, RetryAppend

FAILS = Fail(kind="remote", max=1)
TIMEOUTS = Fail(kind="timeout", max=1)
NO_TIMEOUTS = Fail(kind="timeout", max=0)
DUPLICATE = violated("NoDuplicate")

SPECS = [
    Spec("retry-append/retry/failures", RetryAppend(), holds(), faults=[Fail(kind="remote", max=2),
                                                                          NO_TIMEOUTS],
         covers="2 records, up to 2 requests that fail without effect, no timeout"),
    Spec("retry-append/retry/timeouts", RetryAppend(), DUPLICATE, faults=[FAILS, TIMEOUTS],
         covers="2 records, 1 request that fails without effect, 1 that times out after "
                "taking effect"),
    Spec("retry-append/idempotency-key/timeouts", IdempotentAppend(), holds(),
         faults=[FAILS, Fail(kind="timeout", max=2)],
         covers="2 records, 1 request that fails without effect, up to 2 that time out after "
                "taking effect"),
    Spec("retry-append/idempotency-key/crash", IdempotentAppend(), holds(),
         faults=[Crash(max=1), FAILS, TIMEOUTS],
         covers="2 records, 1 failed request, 1 timeout, 1 client crash at any step"),
]
