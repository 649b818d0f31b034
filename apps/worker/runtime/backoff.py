"""Backoff policies: how long a failed job waits, and how long to wait for SQS.

RetryBackoff: a handler raised. The message stays in the queue (never deleted and sent
again, which would reset its receive count and defeat the DLQ); its visibility timeout is
set by how often it was received: base * 2**(receives - 1) seconds, capped. After the
queue's maxReceiveCount receives, the queue's redrive policy moves it to the DLQ.

ConnectionBackoff: a call to SQS failed (endpoint unreachable, throttled, 5xx). Waits grow
exponentially to a cap, with "equal jitter" (half fixed, half random), so many workers
that lost the same endpoint do not come back in lockstep and no wait is ever near zero.
"""

import random
from dataclasses import dataclass

from apps.core.queues.sqs import MAX_VISIBILITY_SECONDS


@dataclass(frozen=True)
class RetryBackoff:
    base_seconds: int = 10
    max_seconds: int = 900

    def visibility(self, receive_count: int) -> int:
        exponent = min(max(receive_count, 1) - 1, 30)
        return int(min(self.max_seconds, self.base_seconds * 2**exponent, MAX_VISIBILITY_SECONDS))


@dataclass(frozen=True)
class ConnectionBackoff:
    base_seconds: float = 0.5
    max_seconds: float = 30.0

    def delay(self, failures: int) -> float:
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** min(max(failures, 1) - 1, 30))
        return ceiling / 2 + random.uniform(0, ceiling / 2)
