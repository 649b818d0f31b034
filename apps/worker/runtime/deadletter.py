"""Poison messages go to the dead-letter queue at once, not after maxReceiveCount tries.

A body that is not JSON, breaks its contract, names an unknown schema version or is too
big will never process, so retrying it only delays the alarm. The original body is sent
to the queue's DLQ with a `reason` message attribute (and `source_queue`,
`source_message_id`), then the original is deleted. Sending first means a crash in
between leaves a copy in each queue, never none. If the DLQ cannot be reached the
message stays where it is; it comes back and is tried again, and the redrive policy
moves it after maxReceiveCount receives in any case.
"""

import logging

from apps.core.queues import TRANSIENT_ERRORS
from apps.worker.runtime.inflight import InFlight
from apps.worker.runtime.logging import event


def send_to_dead_letter_queue(queue, entry: InFlight, reason: str) -> bool:
    """True when the DLQ has the copy (the caller then deletes the original)."""
    try:
        queue.dead_letter(entry.body, reason=reason, message_id=entry.message_id)
    except TRANSIENT_ERRORS as exc:
        event(logging.ERROR, "poison message: could not send it to the DLQ; it stays on the queue",
              message_id=entry.message_id, reason=reason, error=str(exc))
        return False
    event(logging.ERROR, "poison message sent to the DLQ", message_id=entry.message_id, reason=reason,
          queue=queue.name, dlq=queue.dlq_name, body_bytes=len(entry.body.encode()))
    return True
