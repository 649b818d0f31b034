"""Accepting a send request: validate it, hold its cost, store it, queue it.

    accepted = submit_batch(tenant=t, request=SendRequest(...), idempotency_key=key, actor="front desk")

In one transaction: the batch, one row per recipient (refused ones too, with the reason),
and the hold of unit price x accepted recipients. The hold is a conditional UPDATE of the
tenant's account (see credit_services), so concurrent requests can never spend the same
credits: a request that does not fit raises InsufficientCredits and leaves nothing behind.
After the commit the batch's job goes to the messaging queue.

Idempotency-Key: a batch remembers its key and a fingerprint of its request. The same
key again returns the same batch (nothing is held twice, even for two requests racing:
the unique constraint lets one insert win and the other finds it); the same key with a
different request raises IdempotencyConflict.

If the queue cannot take the job: without a key, the batch is cancelled and its credits
released (the caller is told nothing was sent, and may simply try again); with a key, the
batch stays queued and the caller's retry with the same key queues it.
`requeue_unqueued_batches()` (manage messaging_requeue) queues what no one retried.
"""

import functools
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.models import Tenant
from apps.core.queues import QueueUnavailable
from apps.shared.contracts import SendMessagesMessage
from apps.support.messaging import credit_services
from apps.support.messaging.models import AlimtalkTemplate, MessageBatch, MessageType, Recipient
from apps.support.messaging.phones import (
    ALIMTALK_MAX_CHARS,
    LMS_MAX_BYTES,
    LMS_SUBJECT_MAX_BYTES,
    SMS_MAX_BYTES,
    InvalidPhoneNumber,
    byte_length,
    normalize_mobile,
    normalize_sender,
    placeholders,
    render,
)
from apps.support.messaging.status import BATCH, RECIPIENT

log = logging.getLogger("academy.messaging")


class BatchRequestError(ValueError):
    """The request cannot be accepted; `errors` maps a field to its problems."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(json.dumps(errors, ensure_ascii=False))


class IdempotencyConflict(Exception):
    def __init__(self, batch: MessageBatch):
        self.batch = batch
        super().__init__("this Idempotency-Key was used for a different request")



@dataclass(frozen=True)
class RecipientInput:
    to: object
    variables: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SendRequest:
    type: str
    recipients: list[RecipientInput]
    text: str = ""
    subject: str = ""
    template_id: str = ""
    variables: dict = field(default_factory=dict)
    sender: str = ""

    def fingerprint(self) -> str:
        canonical = json.dumps({
            "type": self.type, "text": self.text, "subject": self.subject, "template_id": self.template_id,
            "variables": self.variables, "sender": self.sender,
            "recipients": [[str(r.to), r.variables] for r in self.recipients],
        }, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Accepted:
    batch: MessageBatch
    created: bool  # False: an earlier request with the same Idempotency-Key made it
    rejected: list[dict]


def submit_batch(*, tenant: Tenant, request: SendRequest, idempotency_key: str | None = None,
                 actor: str = "") -> Accepted:
    fingerprint = request.fingerprint()
    if idempotency_key:
        existing = MessageBatch.objects.filter(tenant=tenant, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, fingerprint)
    batch, recipients, rejected = _build(tenant, request)
    batch.idempotency_key = idempotency_key or None
    batch.request_fingerprint = fingerprint
    batch.created_by = actor[:100]
    try:
        with transaction.atomic():
            batch.save(force_insert=True)
            Recipient.objects.bulk_create(recipients, batch_size=2000)
            credit_services.hold(tenant_id=tenant.id, amount=batch.held_amount, quantity=batch.recipient_count,
                                 batch=batch, actor=actor)
    except IntegrityError:
        if not idempotency_key:
            raise
        # Another request with this key committed first: answer with its batch.
        existing = MessageBatch.objects.filter(tenant=tenant, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    _enqueue_or_cancel(batch)
    return Accepted(batch=batch, created=True, rejected=rejected)


def _replay(batch: MessageBatch, fingerprint: str) -> Accepted:
    if batch.request_fingerprint != fingerprint:
        raise IdempotencyConflict(batch)
    if batch.status == MessageBatch.Status.QUEUED and batch.enqueued_at is None:
        _enqueue_or_cancel(batch)
    rejected = [_rejection(r) for r in batch.recipients.filter(status=Recipient.Status.REJECTED)]
    return Accepted(batch=batch, created=False, rejected=rejected)


def _rejection(recipient: Recipient) -> dict:
    return {"position": recipient.position, "to": recipient.raw_to, "error": recipient.error}


# --- validation -----------------------------------------------------------------------


def _build(tenant: Tenant, request: SendRequest):
    errors: dict[str, list] = {}
    try:
        kind = MessageType(request.type)
    except ValueError:
        raise BatchRequestError({"type": [f"must be one of {', '.join(MessageType.values)}"]}) from None
    recipients_in = request.recipients
    limit = settings.MESSAGING_MAX_RECIPIENTS_PER_REQUEST
    if not recipients_in:
        errors["recipients"] = ["name at least one recipient"]
    elif len(recipients_in) > limit:
        errors["recipients"] = [f"{len(recipients_in)} recipients; one request may name at most {limit}"]
    try:
        sender = normalize_sender(request.sender or settings.MESSAGING_DEFAULT_SENDER)
    except InvalidPhoneNumber as exc:
        errors["sender"] = [str(exc)]
        sender = ""

    template = None
    text, subject = request.text or "", request.subject or ""
    if kind in (MessageType.SMS, MessageType.LMS):
        if request.template_id:
            errors["template_id"] = ["only Alimtalk messages use a template"]
        if not text.strip():
            errors["text"] = ["must not be empty"]
        elif kind == MessageType.SMS and byte_length(text) > SMS_MAX_BYTES:
            errors["text"] = [f"{byte_length(text)} bytes; an SMS holds {SMS_MAX_BYTES} "
                              "(Korean characters count two): send it as lms"]
        elif byte_length(text) > LMS_MAX_BYTES:
            errors["text"] = [f"{byte_length(text)} bytes; an LMS holds at most {LMS_MAX_BYTES}"]
        if subject and kind == MessageType.SMS:
            errors["subject"] = ["an SMS has no subject"]
        elif byte_length(subject) > LMS_SUBJECT_MAX_BYTES:
            errors["subject"] = [f"at most {LMS_SUBJECT_MAX_BYTES} bytes"]
    else:
        if not request.template_id:
            errors["template_id"] = ["an Alimtalk message names its template"]
        else:
            template = AlimtalkTemplate.objects.filter(tenant=tenant, template_id=request.template_id).first()
            if template is None:
                errors["template_id"] = [f"unknown template {request.template_id!r}"]
        if text:
            errors["text"] = ["an Alimtalk message's text comes from its template"]
        text = template.body if template else ""
    if not isinstance(request.variables, dict):
        errors["variables"] = ["must be an object"]
    if errors:
        raise BatchRequestError(errors)

    price = settings.MESSAGING_PRICES[kind.value]
    batch = MessageBatch(id=uuid.uuid4(), tenant=tenant, type=kind.value, sender=sender, subject=subject, text=text,
                         template=template, variables=_strings(request.variables), unit_price=price)
    needed = placeholders(template.body) if template else []
    seen: set[str] = set()
    recipients, rejected = [], []
    for position, item in enumerate(recipients_in):
        raw = item.to
        variables = _strings(item.variables) if isinstance(item.variables, dict) else {}
        error, number = "", ""
        try:
            number = normalize_mobile(raw)
        except InvalidPhoneNumber as exc:
            error = str(exc)
        if not error and number in seen:
            error = "duplicate of an earlier recipient"
        if not error and needed:
            merged = {**batch.variables, **variables}
            missing = [name for name in needed if name not in merged]
            if missing:
                error = f"no value for template variable(s): {', '.join(missing)}"
            elif len(render(template.body, merged)) > ALIMTALK_MAX_CHARS:
                error = f"the rendered message is over {ALIMTALK_MAX_CHARS} characters"
        status = Recipient.Status.REJECTED if error else Recipient.Status.QUEUED
        recipient = Recipient(
            id=uuid.uuid4(), batch=batch, tenant=tenant, position=position, raw_to=str(raw)[:64], to=number,
            variables=variables, status=status, error=error[:300],
            charge=Recipient.Charge.NONE if error else Recipient.Charge.HELD,
        )
        recipients.append(recipient)
        if error:
            rejected.append(_rejection(recipient))
        else:
            seen.add(number)
    accepted = len(recipients) - len(rejected)
    if accepted == 0:
        raise BatchRequestError({"recipients": ["no valid recipient"], "rejected": rejected})
    batch.recipient_count = accepted
    batch.rejected_count = len(rejected)
    batch.held_amount = accepted * price
    return batch, recipients, rejected


def _strings(variables) -> dict[str, str]:
    if not isinstance(variables, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in variables.items()}


# --- queueing -------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _queue_for(name: str, endpoint: str | None, region: str):
    from apps.support.messaging.adapters.queue import MessagingSQSQueue

    return MessagingSQSQueue(name=name)


def get_queue():
    """One queue (and boto3 client, which is thread-safe) per configuration."""
    return _queue_for(settings.SQS_QUEUES["messaging"], settings.AWS_ENDPOINT_URL, settings.AWS_REGION)


def enqueue(*, batch: MessageBatch) -> None:
    message = SendMessagesMessage(job_id=batch.job_id, tenant_id=batch.tenant_id, batch_id=batch.id)
    get_queue().send(message)
    now = timezone.now()
    MessageBatch.objects.filter(pk=batch.pk, enqueued_at__isnull=True).update(enqueued_at=now)
    batch.enqueued_at = batch.enqueued_at or now


def _enqueue_or_cancel(batch: MessageBatch) -> None:
    try:
        enqueue(batch=batch)
    except Exception as exc:  # boto3/botocore errors, a missing queue: the job is not queued
        reason = f"the messaging queue could not take the batch: {exc}"
        log.error("could not queue a message batch", extra={"fields": {"batch_id": str(batch.id),
                                                                        "error": str(exc)}})
        if batch.idempotency_key:
            raise QueueUnavailable(batch, reason) from exc
        if cancel_batch(batch=batch, reason=reason):
            raise QueueUnavailable(batch, reason, cancelled=True) from exc
        # The call failed on the way back: the job did reach the queue, and a worker has
        # started the batch already. It is being sent; say so.
        log.warning("the queue call failed, but a worker has the batch already",
                    extra={"fields": {"batch_id": str(batch.id)}})


def cancel_batch(*, batch: MessageBatch, reason: str, actor: str = "api") -> bool:
    """Cancels a batch the worker has not started; releases what it holds. False if the
    worker got to it first (it sends it; nothing changes)."""
    now = timezone.now()
    with transaction.atomic():
        if not BATCH.move_all(MessageBatch.objects.filter(pk=batch.pk), MessageBatch.Status.QUEUED,
                              MessageBatch.Status.CANCELLED, error=reason[:2000], finished_at=now):
            return False
        count = RECIPIENT.move_all(Recipient.objects.filter(batch=batch), Recipient.Status.QUEUED,
                                   Recipient.Status.FAILED, charge=Recipient.Charge.RELEASED, error="batch cancelled",
                                   updated_at=now)
        credit_services.release(tenant_id=batch.tenant_id, amount=count * batch.unit_price, quantity=count,
                                batch=batch, actor=actor, memo="batch cancelled")
    batch.status = MessageBatch.Status.CANCELLED
    return True


def requeue_unqueued_batches(*, older_than_seconds: float = 300) -> list[MessageBatch]:
    """Queues batches accepted longer ago than that whose job never reached the queue."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    queued = []
    for batch in MessageBatch.objects.filter(status=MessageBatch.Status.QUEUED, enqueued_at__isnull=True,
                                             created_at__lt=cutoff):
        enqueue(batch=batch)
        queued.append(batch)
    return queued
