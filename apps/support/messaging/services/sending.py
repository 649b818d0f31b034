"""Sending a batch: provider-sized chunks, each recipient's outcome recorded and paid for,
and never a message sent twice. The worker's handler (jobs.py) runs BatchSender.

For each chunk of queued recipients:

  1. outbox   one transaction writes a SendAttempt (PENDING) and moves the chunk's
              recipients from queued to sending, pointing at it; committed *before* the call
  2. call     backend.send(): every message carries the attempt's and its recipient's id
  3. record   one transaction marks the attempt COMPLETED (a conditional UPDATE, so it
              happens once), each recipient sent or failed, and captures the sent ones'
              credits and releases the failed ones'

A worker that dies (or times out) between 1 and 3 leaves the attempt PENDING. The next
delivery of the job finds it and reconciles with the provider before sending anything
else: it looks the attempt's messages up (backend.lookup) and records what the provider
has. Only when the provider has none of them, and the attempt is older than
MESSAGING_RECONCILE_GRACE_SECONDS (the provider's list may lag a send), does it put the
recipients back in the queue, to be sent in a new attempt. So a redelivered job never
sends a message the provider already took.

Each chunk commits on its own, so a 10,000-recipient batch keeps its progress; RetryLater
(or any other error) leaves the rest for the job's next delivery, which resumes where the
database says it stopped.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.queues import JobContext
from apps.support.messaging import credit_services
from apps.support.messaging.adapters import rate_limit
from apps.support.messaging.backends import (
    BaseBackend,
    OutgoingMessage,
    ProviderError,
    ProviderMessage,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
)
from apps.support.messaging.models import MessageBatch, MessageType, Recipient, SendAttempt
from apps.support.messaging.phones import render
from apps.support.messaging.status import ATTEMPT, BATCH, RECIPIENT

log = logging.getLogger("academy.messaging")

# Rows per UPDATE statement when recording outcomes (SQLite allows 32,766 parameters).
UPDATE_ROWS = 1000


def log_event(level: int, msg: str, **fields) -> None:
    # Fields go in extra["fields"]: the worker's JSON log lines carry them as keys.
    log.log(level, msg, extra={"fields": {k: str(v) if not isinstance(v, int) else v for k, v in fields.items()}})


class RetryLater(Exception):
    """Nothing is wrong with the job, but it cannot go on now; the runtime retries it."""


class BatchSender:
    def __init__(self, batch: MessageBatch, backend: BaseBackend, context: JobContext | None):
        self.batch, self.backend, self.context = batch, backend, context
        limit = rate_limit.limit_per_second()
        sizes = [settings.MESSAGING_PROVIDER_BATCH_SIZE, backend.max_batch_size] + ([limit] if limit else [])
        self.chunk_size = max(1, min(sizes))
        self.sent = self.failed = 0

    def run(self) -> None:
        now = timezone.now()
        if BATCH.move_all(MessageBatch.objects.filter(pk=self.batch.pk), MessageBatch.Status.QUEUED,
                          MessageBatch.Status.SENDING, started_at=now):
            self.batch.status = MessageBatch.Status.SENDING
        elif MessageBatch.objects.filter(pk=self.batch.pk, status=MessageBatch.Status.CANCELLED).exists():
            return
        # First settle what an earlier delivery left open, then send what is still queued.
        for attempt in SendAttempt.objects.filter(batch=self.batch, status=SendAttempt.Status.PENDING):
            if not self.reconcile(attempt):
                raise RetryLater(f"attempt {attempt.id} is not visible at the provider yet; "
                                 "looking again before sending anything")
        while True:
            self._check_cancelled()
            chunk = list(Recipient.objects.filter(batch=self.batch, status=Recipient.Status.QUEUED)
                         .order_by("position")[:self.chunk_size])
            if not chunk:
                break
            self._throttle(len(chunk))
            attempt = self.open_attempt(chunk)
            self.send(attempt, chunk)
        self.finish()

    # --- the three steps ------------------------------------------------------------------

    def open_attempt(self, chunk: list[Recipient]) -> SendAttempt:
        with transaction.atomic():
            attempt = SendAttempt.objects.create(batch=self.batch, tenant_id=self.batch.tenant_id,
                                                 backend=self.backend.name, size=len(chunk))
            moved = RECIPIENT.move_all(Recipient.objects.filter(pk__in=[r.pk for r in chunk]),
                                       Recipient.Status.QUEUED, Recipient.Status.SENDING, attempt=attempt)
            if moved != len(chunk):
                raise RetryLater("the batch's recipients changed while a chunk was opened (another worker?)")
        for recipient in chunk:
            recipient.status, recipient.attempt = Recipient.Status.SENDING, attempt
        return attempt

    def send(self, attempt: SendAttempt, chunk: list[Recipient]) -> None:
        messages = [self._outgoing(r) for r in chunk]
        try:
            result = self.backend.send(messages, attempt_id=attempt.id)
        except ProviderRejected as exc:
            log_event(logging.WARNING, "provider refused a send request", attempt=attempt.id, error=str(exc))
            refused = [ProviderMessage(recipient_id=m.recipient_id, accepted=False, status_code=exc.code or "rejected",
                                       status_message=str(exc)) for m in messages]
            self.record(attempt, refused, resolution=f"rejected: {exc.code}"[:300])
            return
        except ProviderUnavailable as exc:
            self.requeue(attempt, f"provider unreachable: {exc}")
            raise RetryLater(str(exc)) from exc
        except ProviderOutcomeUnknown as exc:
            log_event(logging.WARNING, "provider call outcome unknown; reconciling", attempt=attempt.id, error=str(exc))
            if not self.reconcile(attempt):
                raise RetryLater(f"outcome of attempt {attempt.id} unknown ({exc}); reconciling later") from exc
            return
        self.record(attempt, result.messages, group_id=result.group_id, resolution="response", recipients=chunk)

    def record(self, attempt: SendAttempt, outcomes: list[ProviderMessage], *, resolution: str, group_id: str = "",
               recipients: list[Recipient] | None = None) -> bool:
        """Writes each recipient's outcome, and captures or releases its credits, in one
        transaction that first claims the attempt (PENDING -> COMPLETED): done once."""
        now = timezone.now()
        by_recipient = {o.recipient_id: o for o in outcomes if o.recipient_id}
        with transaction.atomic():
            if not ATTEMPT.move_all(SendAttempt.objects.filter(pk=attempt.pk), SendAttempt.Status.PENDING,
                                    SendAttempt.Status.COMPLETED, group_id=group_id[:64],
                                    resolution=resolution[:300], resolved_at=now):
                return False  # another worker recorded it
            if recipients is None:
                recipients = list(Recipient.objects.filter(attempt=attempt, status=Recipient.Status.SENDING))
            sent_rows, failed_rows = [], []
            for recipient in recipients:
                outcome = by_recipient.get(str(recipient.pk))
                if outcome is not None and outcome.accepted:
                    recipient.provider_message_id = outcome.message_id or None
                    recipient.status_code = outcome.status_code[:16]
                    sent_rows.append(recipient)
                else:
                    recipient.provider_message_id = (outcome.message_id or None) if outcome else None
                    recipient.status_code = (outcome.status_code if outcome else "missing")[:16]
                    recipient.error = ((outcome.status_message if outcome else "")
                                       or "the provider did not take the message")[:300]
                    failed_rows.append(recipient)
            RECIPIENT.check(Recipient.Status.SENDING, Recipient.Status.SENT)
            RECIPIENT.check(Recipient.Status.SENDING, Recipient.Status.FAILED)
            update_rows(sent_rows, {"status": Recipient.Status.SENT, "charge": Recipient.Charge.CAPTURED,
                                    "error": "", "sent_at": now, "updated_at": now},
                        per_row=["provider_message_id", "status_code"])
            update_rows(failed_rows, {"status": Recipient.Status.FAILED, "charge": Recipient.Charge.RELEASED,
                                      "updated_at": now},
                        per_row=["provider_message_id", "status_code", "error"])
            sent, failed = len(sent_rows), len(failed_rows)
            price = self.batch.unit_price
            credit_services.capture(tenant_id=self.batch.tenant_id, amount=sent * price, quantity=sent,
                                    batch=self.batch, memo=f"attempt {attempt.id}")
            credit_services.release(tenant_id=self.batch.tenant_id, amount=failed * price, quantity=failed,
                                    batch=self.batch, memo=f"attempt {attempt.id}")
        self.sent += sent
        self.failed += failed
        log_event(logging.INFO, "recorded a provider call", attempt=attempt.id, sent=sent, failed=failed,
             resolution=resolution)
        return True

    def requeue(self, attempt: SendAttempt, reason: str) -> bool:
        """The provider never took the attempt: its recipients go back to the queue."""
        now = timezone.now()
        with transaction.atomic():
            if not ATTEMPT.move_all(SendAttempt.objects.filter(pk=attempt.pk), SendAttempt.Status.PENDING,
                                    SendAttempt.Status.NOT_SENT, resolution=reason[:300], resolved_at=now):
                return False
            RECIPIENT.move_all(Recipient.objects.filter(attempt=attempt), Recipient.Status.SENDING,
                               Recipient.Status.QUEUED, attempt=None)
        return True

    def reconcile(self, attempt: SendAttempt) -> bool:
        """Settles a PENDING attempt from what the provider holds. False: cannot tell yet."""
        now = timezone.now()
        waiting = dict(Recipient.objects.filter(attempt=attempt, status=Recipient.Status.SENDING)
                       .values_list("pk", "to"))
        try:
            found = self.backend.lookup(attempt_id=attempt.id, sender=self.batch.sender, since=attempt.created_at,
                                        until=now, numbers={to: str(pk) for pk, to in waiting.items()})
        except ProviderError as exc:
            log_event(logging.WARNING, "could not look an attempt up at the provider", attempt=attempt.id,
                      error=str(exc))
            return False
        known = {o.recipient_id for o in found if o.recipient_id}
        missing = {str(pk) for pk in waiting} - known
        old_enough = now - attempt.created_at >= timedelta(seconds=settings.MESSAGING_RECONCILE_GRACE_SECONDS)
        if not missing:
            return self.record(attempt, found, resolution="reconciled") or True
        if not known:
            if not old_enough:
                return False
            log_event(logging.WARNING, "the provider has no record of an attempt; sending its recipients again",
                 attempt=attempt.id, recipients=len(waiting))
            self.requeue(attempt, "reconciled: the provider has no record of it")
            return True
        if not old_enough:
            return False
        # The provider took the request but lists only some of it: record what it lists;
        # the rest never reached it, and is not sent again without anyone looking.
        return self.record(attempt, found, resolution=f"reconciled: {len(missing)} not at the provider") or True

    def finish(self) -> None:
        open_ = Recipient.objects.filter(batch=self.batch,
                                         status__in=[Recipient.Status.QUEUED, Recipient.Status.SENDING]).exists()
        if open_:
            raise RetryLater("recipients of the batch are still open")
        BATCH.move_all(MessageBatch.objects.filter(pk=self.batch.pk), MessageBatch.Status.SENDING,
                       MessageBatch.Status.DONE, finished_at=timezone.now())
        log_event(logging.INFO, "message batch done", batch_id=self.batch.id, sent=self.sent, failed=self.failed)

    # --- helpers ----------------------------------------------------------------------

    def _outgoing(self, recipient: Recipient) -> OutgoingMessage:
        batch = self.batch
        if batch.type == MessageType.ALIMTALK:
            template = batch.template
            variables = {**batch.variables, **recipient.variables}
            return OutgoingMessage(
                recipient_id=str(recipient.pk), to=recipient.to, sender=batch.sender, type=batch.type,
                text=render(template.body, variables), template_id=template.template_id,
                pf_id=template.pf_id or settings.MESSAGING_KAKAO_PF_ID, variables=variables,
            )
        return OutgoingMessage(recipient_id=str(recipient.pk), to=recipient.to, sender=batch.sender, type=batch.type,
                               text=batch.text, subject=batch.subject)

    def _throttle(self, count: int) -> None:
        cancelled = self.context.cancelled if self.context is not None else None
        try:
            rate_limit.acquire(self.batch.tenant_id, count, cancelled=cancelled)
        except rate_limit.RateLimitInterrupted as exc:
            raise RetryLater(str(exc)) from exc

    def _check_cancelled(self) -> None:
        if self.context is not None and self.context.is_cancelled:
            raise RetryLater("the worker is stopping (or lost the job); the rest of the batch is sent on redelivery")


def update_rows(rows: list[Recipient], shared: dict, *, per_row: list[str]) -> None:
    """Writes many recipients' outcomes in one statement per UPDATE_ROWS rows:

        UPDATE messaging_recipient SET status = %s, ..., provider_message_id = CASE id WHEN %s
        THEN %s ... END, ... WHERE id IN (...)

    Django's bulk_update builds the same CASE through the ORM's expression machinery, which
    costs about 2 ms of Python per row; this costs a few microseconds."""
    meta = Recipient._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    for start in range(0, len(rows), UPDATE_ROWS):
        chunk = rows[start:start + UPDATE_ROWS]
        ids = [pk.get_db_prep_value(r.pk, connection) for r in chunk]
        sets, params = [], []
        for name, value in shared.items():
            field = meta.get_field(name)
            sets.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_save(value, connection))
        for name in per_row:
            field = meta.get_field(name)
            sets.append(f"{quote(field.column)} = CASE {quote(pk.column)} "
                        + " ".join(["WHEN %s THEN %s"] * len(chunk)) + " END")
            for recipient, key in zip(chunk, ids):
                params += [key, field.get_db_prep_save(getattr(recipient, name), connection)]
        placeholders = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} "
                           f"WHERE {quote(pk.column)} IN ({placeholders})", params + ids)
