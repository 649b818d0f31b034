"""The messaging worker's job handler: one SendMessagesMessage -> its batch sent.

    handle(SendMessagesMessage, JobContext)

It looks the batch up (within the message's tenant) and hands it to sending.BatchSender,
which sends it in chunks without ever sending a message twice (see sending.py).

The handler is @long_running: the runtime does not wrap it in one transaction (each
chunk commits on its own) and marks the job done after it returns. Any error other than
PermanentJobError makes the runtime retry the job later, which resumes where the database
says it stopped. When the last delivery fails too, the batch is marked failed ("gave up
after N attempts: ..."), its unsent recipients keep their held credits, and `manage dlq
redrive` sends the rest (dead_letters.py).
"""

import logging

from apps.core.queues import JobContext, PermanentJobError, gives_up_with, long_running
from apps.shared.contracts import SendMessagesMessage
from apps.support.messaging.backends import get_backend
from apps.support.messaging.models import MessageBatch
from apps.support.messaging.services import dead_letters
from apps.support.messaging.services.sending import BatchSender, RetryLater, log_event

__all__ = ["RetryLater", "handle"]


@long_running
@gives_up_with(dead_letters.give_up)
def handle(message: SendMessagesMessage, context: JobContext | None) -> None:
    batch = MessageBatch.objects.select_related("template").filter(pk=message.batch_id).first()
    if batch is None:
        raise PermanentJobError(f"message batch {message.batch_id} does not exist")
    if batch.tenant_id != message.tenant_id:
        raise PermanentJobError(f"message batch {batch.id} does not belong to tenant {message.tenant_id}")
    if batch.status in (MessageBatch.Status.DONE, MessageBatch.Status.CANCELLED):
        log_event(logging.INFO, f"message batch already {batch.status}; nothing to send", batch_id=batch.id)
        return
    BatchSender(batch, get_backend(), context).run()
