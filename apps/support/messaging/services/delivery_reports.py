"""The provider's delivery reports: was a sent message delivered to the handset?

The webhook's body is SOLAPI's single-report payload, a JSON list of

    {"eventDataId": "...", "retryCount": 0,
     "data": {"messageId": "...", "groupId": "...", "to": "...", "statusCode": "4000",
              "statusMessage": "...", "customFields": {"academy_recipient": "..."}, ...}}

Signature: the request carries `X-Webhook-Signature: t=<unix seconds>,v1=<hex>`, where
hex = HMAC-SHA256(MESSAGING_WEBHOOK_SECRET, "<t>." + raw body). A missing or wrong
signature, or a timestamp further than MESSAGING_WEBHOOK_TOLERANCE_SECONDS from now, is
refused; with no secret configured every report is refused.

Idempotent: each report is stored under its event id (DeliveryReport), so a retried
webhook changes nothing, and a recipient only moves out of `sent` once (a conditional
UPDATE), so two concurrent copies of one report refund at most once.

  4000                   delivered
  2000, 3000             still on its way: no change
  anything else          undelivered; refunded when the batch's type is in
                         MESSAGING_REFUND_FAILED_DELIVERY (a refund ledger row)

A report for a recipient the worker has not recorded as sent yet (the provider can be
faster than the worker's commit) is not stored: the endpoint answers 503 so the provider
retries it later.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.support.messaging import credit_services
from apps.support.messaging.backends.base import RECIPIENT_FIELD
from apps.support.messaging.models import DeliveryReport, Recipient

SIGNATURE_HEADER = "X-Webhook-Signature"
DELIVERED = "4000"
IN_PROGRESS = frozenset({"2000", "3000"})


class InvalidSignature(Exception):
    pass


class InvalidPayload(ValueError):
    pass


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The signature header value for a body (used by the fake provider and tests)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(body: bytes, header: str | None, *, secret: str | None = None, tolerance: int | None = None,
                     now: float | None = None) -> None:
    secret = settings.MESSAGING_WEBHOOK_SECRET if secret is None else secret
    tolerance = settings.MESSAGING_WEBHOOK_TOLERANCE_SECONDS if tolerance is None else tolerance
    if not secret:
        raise InvalidSignature("the delivery webhook is not configured (MESSAGING_WEBHOOK_SECRET is empty)")
    if not header:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        raise InvalidSignature("the signature has no timestamp") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature("the signature's timestamp is too old (or in the future)")
    expected = sign(body, secret, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise InvalidSignature("the signature does not match")


@dataclass
class ReportSummary:
    delivered: int = 0
    undelivered: int = 0
    refunded: int = 0
    in_progress: int = 0
    duplicates: int = 0
    ignored: int = 0
    # Reports for messages the worker has not recorded yet: the provider should retry.
    pending: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"delivered": self.delivered, "undelivered": self.undelivered, "refunded": self.refunded,
                "in_progress": self.in_progress, "duplicates": self.duplicates, "ignored": self.ignored,
                "pending": len(self.pending)}


def process_reports(payload) -> ReportSummary:
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list):
        raise InvalidPayload("a delivery report payload is a JSON list of reports")
    summary = ReportSummary()
    for report in payload:
        if not isinstance(report, dict) or not isinstance(report.get("data"), dict):
            raise InvalidPayload("each report is an object with a 'data' object")
        _process_one(report, summary)
    return summary


def _process_one(report: dict, summary: ReportSummary) -> None:
    data = report["data"]
    message_id = str(data.get("messageId") or "")
    code = str(data.get("statusCode") or "")
    if not message_id or not code:
        raise InvalidPayload("a report's data names its messageId and statusCode")
    event_id = str(report.get("eventDataId") or f"{message_id}:{code}")[:100]
    if DeliveryReport.objects.filter(event_id=event_id).exists():
        summary.duplicates += 1
        return
    recipient = Recipient.objects.select_related("batch").filter(provider_message_id=message_id).first()
    if recipient is None:
        recipient_id = (data.get("customFields") or {}).get(RECIPIENT_FIELD)
        if recipient_id and _is_open(recipient_id):
            summary.pending.append(event_id)  # not stored: the provider's retry will find it recorded
            return
        _store(event_id, message_id, code, "ignored: unknown message")
        summary.ignored += 1
        return
    now = timezone.now()
    with transaction.atomic():
        if not _store(event_id, message_id, code, "pending"):
            summary.duplicates += 1
            return
        if code in IN_PROGRESS:
            outcome = "in progress"
            summary.in_progress += 1
        elif code == DELIVERED:
            changed = Recipient.objects.filter(pk=recipient.pk, status=Recipient.Status.SENT).update(
                status=Recipient.Status.DELIVERED, status_code=code, reported_at=now, updated_at=now)
            outcome = "delivered" if changed else f"ignored: recipient is {recipient.status}"
            summary.delivered += bool(changed)
            summary.ignored += not changed
        else:
            batch = recipient.batch
            refund = batch.type in settings.MESSAGING_REFUND_FAILED_DELIVERY
            changed = Recipient.objects.filter(pk=recipient.pk, status=Recipient.Status.SENT).update(
                status=Recipient.Status.UNDELIVERED, status_code=code[:16], reported_at=now, updated_at=now,
                error=str(data.get("statusMessage") or "delivery failed")[:300],
                charge=Recipient.Charge.REFUNDED if refund else Recipient.Charge.CAPTURED)
            if changed and refund:
                credit_services.refund(tenant_id=batch.tenant_id, amount=batch.unit_price, quantity=1, batch=batch,
                                       memo=f"undelivered {message_id} ({code})")
                outcome = "refunded"
                summary.refunded += 1
            else:
                outcome = "undelivered" if changed else f"ignored: recipient is {recipient.status}"
            summary.undelivered += bool(changed)
            summary.ignored += not changed
        DeliveryReport.objects.filter(event_id=event_id).update(outcome=outcome)


def _store(event_id: str, message_id: str, code: str, outcome: str) -> bool:
    try:
        with transaction.atomic():
            DeliveryReport.objects.create(event_id=event_id, provider_message_id=message_id[:64],
                                          status_code=code[:16], outcome=outcome)
    except IntegrityError:
        return False
    return True


def _is_open(recipient_id: str) -> bool:
    try:
        return Recipient.objects.filter(pk=recipient_id, status__in=[Recipient.Status.QUEUED,
                                                                     Recipient.Status.SENDING]).exists()
    except Exception:  # not a UUID
        return False
