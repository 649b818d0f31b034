"""A send job that gave up, as the worker records it and `manage dlq` reopens it."""

from django.utils import timezone

from apps.core.queues.dead_letters import JobKind, JobRecord, JobState
from apps.shared.contracts import MessageKind, SendMessagesMessage
from apps.support.messaging.models import MessageBatch, Recipient
from apps.support.messaging.status import BATCH


def _batch(message: SendMessagesMessage) -> MessageBatch | None:
    return MessageBatch.objects.filter(pk=message.batch_id, tenant_id=message.tenant_id).first()


def give_up(message: SendMessagesMessage, reason: str) -> None:
    """The job's last delivery failed: the batch says so instead of staying "sending"."""
    batch = _batch(message)
    if batch is not None and batch.status in (MessageBatch.Status.QUEUED, MessageBatch.Status.SENDING):
        BATCH.move(batch, MessageBatch.Status.FAILED, error=reason[:2000], finished_at=timezone.now())


def describe(message: SendMessagesMessage) -> JobRecord:
    batch = _batch(message)
    if batch is None:
        return JobRecord(JobState.UNKNOWN, f"message batch {message.batch_id} no longer exists")
    unsent = batch.recipients.filter(status__in=[Recipient.Status.QUEUED, Recipient.Status.SENDING]).count()
    summary = f"{batch.type} batch {batch.id}: {batch.status}, {unsent} of {batch.recipient_count} unsent"
    if batch.status == MessageBatch.Status.FAILED:
        return JobRecord(JobState.FAILED, f"{summary}: {batch.error}")
    finished = batch.status in (MessageBatch.Status.DONE, MessageBatch.Status.CANCELLED)
    return JobRecord(JobState.FINISHED if finished else JobState.OPEN, summary)


def reopen(message: SendMessagesMessage) -> None:
    BATCH.move(_batch(message), MessageBatch.Status.QUEUED, error="", finished_at=None)


KIND = JobKind(kind=MessageKind.SEND_MESSAGES.value, describe=describe, reopen=reopen)
