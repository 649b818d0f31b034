"""Messaging models: the credit ledger, send batches and their recipients, the outbox of
provider calls, Alimtalk templates, and delivery reports.

Money: a tenant's CreditAccount has `balance` (credits it may spend) and `held` (credits
reserved for accepted messages not yet sent). Every change to either is one row of the
append-only CreditTransaction ledger, written in the same transaction as the change, so

    account.balance == sum(ledger.amount)   and   account.held == sum(ledger.held_delta)

at every commit (`bazel run //apps/support/messaging:audit` checks it). Both columns carry
a CHECK (>= 0) constraint, and every debit is a conditional UPDATE (`... WHERE balance >= cost`):
the database, not a read-then-write in Python, decides whether a request fits.

Write through apps.support.messaging.credit_services and .services; read through .selectors.
"""

import uuid

from django.db import models
from django.db.models import Q

from apps.core.models import BaseModel, Tenant, TimestampModel


class MessageType(models.TextChoices):
    SMS = "sms", "SMS"
    LMS = "lms", "LMS"
    ALIMTALK = "alimtalk", "KakaoTalk Alimtalk"


class CreditAccount(TimestampModel):
    tenant = models.OneToOneField(Tenant, on_delete=models.PROTECT, primary_key=True, related_name="credit_account")
    balance = models.BigIntegerField(default=0, help_text="credits the tenant may spend")
    held = models.BigIntegerField(default=0, help_text="credits reserved for accepted, unsent messages")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="messaging_account_balance_not_negative"),
            models.CheckConstraint(condition=Q(held__gte=0), name="messaging_account_held_not_negative"),
        ]

    def __str__(self) -> str:
        return f"credits of {self.tenant_id}: {self.balance} (+{self.held} held)"


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the credit ledger is append-only: add a transaction instead of changing one")

    def delete(self):
        raise TypeError("the credit ledger is append-only: add a transaction instead of deleting one")


class CreditTransaction(models.Model):
    """One change to an account. `amount` changes the balance, `held_delta` the held credits:

      top_up       +N  0     credits bought (staff)
      adjustment   +-N 0     a correction (staff), never below zero
      hold         -N  +N    a batch was accepted: its cost is reserved
      capture      0   -N    the provider accepted N credits' worth of messages
      release      +N  -N    messages the provider refused (or a cancelled batch) give it back
      refund       +N  0     delivery failed after capture, and the pricing refunds that type
    """

    class Kind(models.TextChoices):
        TOP_UP = "top_up", "top-up"
        HOLD = "hold", "hold"
        CAPTURE = "capture", "capture"
        RELEASE = "release", "release"
        REFUND = "refund", "refund"
        ADJUSTMENT = "adjustment", "adjustment"

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="change to the balance")
    held_delta = models.BigIntegerField(default=0, help_text="change to the held credits")
    balance_after = models.BigIntegerField()
    held_after = models.BigIntegerField()
    batch = models.ForeignKey("MessageBatch", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="transactions")
    # Recipients the row accounts for (holds, captures, releases, refunds).
    quantity = models.PositiveIntegerField(default=0)
    memo = models.CharField(max_length=200, blank=True)
    # Who asked: an API key's name, "worker", "webhook".
    actor = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"], name="messaging_ledger_account_id")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d}/{self.held_delta:+d} on {self.account_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("the credit ledger is append-only: a transaction cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the credit ledger is append-only: a transaction cannot be deleted")


class AlimtalkTemplate(BaseModel):
    """A KakaoTalk Alimtalk template approved for the tenant's channel. `body` holds
    #{variable} placeholders; a send must give every one of them a value."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="alimtalk_templates")
    # The provider's template id (SOLAPI's templateId); what a send request names.
    template_id = models.CharField(max_length=100)
    # The KakaoTalk channel (SOLAPI's pfId); empty means settings.MESSAGING_KAKAO_PF_ID.
    pf_id = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=100)
    body = models.TextField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "template_id"], name="messaging_template_unique_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.template_id})"


class MessageBatch(BaseModel):
    """One accepted send request: a message to many recipients."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"          # accepted, credits held, waiting for the worker
        SENDING = "sending", "sending"       # the worker is sending it
        DONE = "done", "done"                # every recipient has an outcome
        CANCELLED = "cancelled", "cancelled"  # could not be queued; credits released
        FAILED = "failed", "failed"          # its job gave up (see `error`); unsent recipients keep
        #                                      their held credits until `manage dlq redrive`

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="message_batches")
    type = models.CharField(max_length=16, choices=MessageType.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    sender = models.CharField(max_length=20)
    subject = models.CharField(max_length=100, blank=True)
    # SMS/LMS: the text. Alimtalk: the template's body (each recipient's text is rendered).
    text = models.TextField(blank=True)
    template = models.ForeignKey(AlimtalkTemplate, on_delete=models.PROTECT, null=True, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    unit_price = models.PositiveIntegerField()
    # Recipients accepted (credits held) and refused at the door (invalid numbers, duplicates).
    recipient_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    held_amount = models.BigIntegerField(default=0)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_by = models.CharField(max_length=100, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                                    name="messaging_batch_idempotency_key"),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="messaging_batch_tenant_created")]

    def __str__(self) -> str:
        return f"{self.type} batch {self.id} ({self.status})"

    @property
    def job_id(self) -> uuid.UUID:
        """The queue message's idempotency key: one send job per batch."""
        return self.id


class Recipient(BaseModel):
    """One phone number of a batch and what became of its message."""

    class Status(models.TextChoices):
        REJECTED = "rejected", "rejected"        # refused by the API (not charged)
        QUEUED = "queued", "queued"              # credits held, not yet handed to the provider
        SENDING = "sending", "sending"           # in a provider call whose outcome is not recorded
        SENT = "sent", "sent"                    # the provider accepted it (credits captured)
        FAILED = "failed", "failed"              # the provider refused it (credits released)
        DELIVERED = "delivered", "delivered"      # the handset got it (delivery report)
        UNDELIVERED = "undelivered", "undelivered"  # delivery failed (refunded where the pricing says)

    class Charge(models.TextChoices):
        NONE = "none", "none"
        HELD = "held", "held"
        CAPTURED = "captured", "captured"
        RELEASED = "released", "released"
        REFUNDED = "refunded", "refunded"

    FINAL = (Status.REJECTED, Status.SENT, Status.FAILED, Status.DELIVERED, Status.UNDELIVERED)

    batch = models.ForeignKey(MessageBatch, on_delete=models.CASCADE, related_name="recipients")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(help_text="index in the request's recipient list")
    raw_to = models.CharField(max_length=64, help_text="the number as the request gave it")
    to = models.CharField(max_length=20, blank=True, help_text="normalised: 01012345678")
    variables = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    charge = models.CharField(max_length=16, choices=Charge.choices, default=Charge.NONE)
    attempt = models.ForeignKey("SendAttempt", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="recipients")
    provider_message_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status_code = models.CharField(max_length=16, blank=True)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="messaging_recipient_position"),
        ]
        indexes = [models.Index(fields=["batch", "status", "position"], name="messaging_recipient_status")]

    def __str__(self) -> str:
        return f"{self.to or self.raw_to} ({self.status})"


class SendAttempt(BaseModel):
    """The outbox: one provider call, written and committed *before* the call is made.

    A redelivered job finds a PENDING attempt left by a worker that died (or timed out)
    between the call and recording its outcome, and asks the provider what became of it
    (every message carries the attempt's id in its custom fields) instead of sending again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"      # written; the call may or may not have reached the provider
        COMPLETED = "completed", "completed"  # outcome recorded per recipient
        NOT_SENT = "not_sent", "not sent"   # the provider never took it: its recipients were queued again

    batch = models.ForeignKey(MessageBatch, on_delete=models.CASCADE, related_name="attempts")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    backend = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    group_id = models.CharField(max_length=64, blank=True)
    # "response", "reconciled", "rejected: <code>", "connection refused", ...
    resolution = models.CharField(max_length=300, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["batch", "status"], name="messaging_attempt_status")]

    def __str__(self) -> str:
        return f"attempt {self.id} ({self.status}, {self.size} messages)"


class DeliveryReport(models.Model):
    """A delivery report received from the provider's webhook, keyed by the provider's
    event id: a retried webhook finds its row and changes nothing."""

    event_id = models.CharField(max_length=100, primary_key=True)
    provider_message_id = models.CharField(max_length=64, db_index=True)
    status_code = models.CharField(max_length=16)
    # "delivered", "undelivered", "refunded", "ignored: <why>"
    outcome = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"report {self.event_id}: {self.provider_message_id} {self.status_code} ({self.outcome})"
