"""A send job that gave up, as the worker records it and `manage dlq` reopens it. The
failed batch keeps its unsent recipients' credits held, so a redrive charges nothing again."""

from django.utils import timezone

from apps.core.queues.dead_letters import RecordKind
from apps.shared.contracts import MessageKind, SendMessagesMessage
from apps.support.messaging.models import MessageBatch, Recipient
from apps.support.messaging.status import BATCH

_S = MessageBatch.Status


def _batch(message: SendMessagesMessage) -> MessageBatch | None:
    return MessageBatch.objects.filter(pk=message.batch_id, tenant_id=message.tenant_id).first()


def _label(batch: MessageBatch) -> str:
    unsent = batch.recipients.filter(status__in=[Recipient.Status.QUEUED, Recipient.Status.SENDING]).count()
    return f"{batch.type} batch {batch.id} ({unsent} of {batch.recipient_count} unsent)"


KIND = RecordKind(
    kind=MessageKind.SEND_MESSAGES.value, find=_batch, label=_label,
    open=(_S.QUEUED, _S.SENDING), finished=(_S.DONE, _S.CANCELLED), failed=_S.FAILED,
    reason=lambda batch: batch.error,
    mark_failed=lambda batch, reason: BATCH.move(batch, _S.FAILED, error=reason[:2000], finished_at=timezone.now()),
    reopen_record=lambda batch: BATCH.move(batch, _S.QUEUED, error="", finished_at=None),
)
give_up = KIND.give_up
