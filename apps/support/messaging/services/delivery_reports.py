"""The provider's delivery reports: was a sent message delivered to the handset?

SOLAPI posts its message reports ("메시지 리포트", one entry per message) to the webhook
URL registered in its console, as a JSON list. Its SDKs show two shapes of entry, and both
are accepted (docs/solapi.md gives the sources):

    envelope (solapi 5.0.3, model/webhook/single_report.py)
        {"eventDataId": "...", "retryCount": 0,
         "data": {"messageId": "...", "groupId": "...", "to": "...", "statusCode": "4000",
                  "statusMessage": "...", "customFields": {"academy_recipient": "..."}, ...}}
    flat (SOLAPI's node webhook example)
        {"messageId": "...", "groupId": "...", "to": "...", "statusCode": "4000", ...}

Group reports (an entry without a messageId) are acknowledged and ignored.

Authentication: SOLAPI documents no signature on its webhooks, so the URL carries the
secret: /api/v1/messaging/delivery-reports/<MESSAGING_WEBHOOK_SECRET>/. It is compared in
constant time with the current secret and MESSAGING_WEBHOOK_PREVIOUS_SECRET (both work
while a rotation is under way). MESSAGING_WEBHOOK_ALLOWED_IPS (CIDRs) optionally limits
the source address; X-Forwarded-For is read only from MESSAGING_TRUSTED_PROXIES. With no
secret configured every report is refused.

Idempotent: each report is stored under its event id (eventDataId, or messageId:statusCode
for a flat entry), so a retried webhook changes nothing, and a recipient only moves out of
`sent` once (a conditional UPDATE), so two concurrent copies of one report refund at most once.

  4000                   delivered
  2000, 3000             still on its way: no change
  anything else          undelivered; refunded when the batch's type is in
                         MESSAGING_REFUND_FAILED_DELIVERY (a refund ledger row)

A report for a recipient the worker has not recorded as sent yet (the provider can be
faster than the worker's commit) is not stored: the endpoint answers 503 so the provider
retries it later (SOLAPI calls 5 times in all until it gets a 200).
"""

import hmac
import ipaddress
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.support.messaging import credit_services
from apps.support.messaging.backends.base import RECIPIENT_FIELD
from apps.support.messaging.models import DeliveryReport, Recipient
from apps.support.messaging.status import RECIPIENT

DELIVERED = "4000"
IN_PROGRESS = frozenset({"2000", "3000"})


class WebhookRefused(Exception):
    pass


class InvalidPayload(ValueError):
    pass


def check_secret(*, secret: str) -> None:
    """Raises WebhookRefused unless `secret` is the current or the previous one."""
    secrets = [s for s in (settings.MESSAGING_WEBHOOK_SECRET, settings.MESSAGING_WEBHOOK_PREVIOUS_SECRET) if s]
    if not secrets:
        raise WebhookRefused("the delivery webhook is not configured (MESSAGING_WEBHOOK_SECRET is empty)")
    # Every secret is compared, so the time taken says nothing about which one nearly matched.
    matched = [hmac.compare_digest(secret.encode(), known.encode()) for known in secrets]
    if not any(matched):
        raise WebhookRefused("unknown webhook secret")


def check_source(*, remote_addr: str, forwarded_for: str | None) -> None:
    """Raises WebhookRefused when MESSAGING_WEBHOOK_ALLOWED_IPS is set and the caller is not in it."""
    allowed = _networks(settings.MESSAGING_WEBHOOK_ALLOWED_IPS)
    if not allowed:
        return
    client = client_address(remote_addr=remote_addr, forwarded_for=forwarded_for)
    if client is None or not any(client in net for net in allowed):
        raise WebhookRefused(f"reports are not accepted from {client or remote_addr!r}")


def client_address(*, remote_addr: str, forwarded_for: str | None):
    """The caller's address: the socket's peer, or, when that peer is a trusted proxy, the
    last X-Forwarded-For hop that is not one (the hops to its left are the client's to forge)."""
    trusted = _networks(settings.MESSAGING_TRUSTED_PROXIES)
    address = _address(remote_addr)
    if address is None or not trusted or not any(address in net for net in trusted):
        return address
    for hop in reversed([h.strip() for h in (forwarded_for or "").split(",") if h.strip()]):
        hop_address = _address(hop)
        if hop_address is None:
            return None
        if not any(hop_address in net for net in trusted):
            return hop_address
    return address


def _networks(values) -> list:
    return [ipaddress.ip_network(v, strict=False) for v in values]


def _address(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


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


def process_reports(*, payload) -> ReportSummary:
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list):
        raise InvalidPayload("a delivery report payload is a JSON list of reports")
    summary = ReportSummary()
    for report in payload:
        if not isinstance(report, dict):
            raise InvalidPayload("each report is a JSON object")
        data = report.get("data") if "data" in report else report
        if not isinstance(data, dict):
            raise InvalidPayload("a report's 'data' is an object")
        if not data.get("messageId") and (data.get("groupId") or "groupInfo" in data):
            summary.ignored += 1  # a group report: nothing per recipient to record
            continue
        _process_one(report, data, summary)
    return summary


def _process_one(report: dict, data: dict, summary: ReportSummary) -> None:
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
            changed = RECIPIENT.move_all(Recipient.objects.filter(pk=recipient.pk), Recipient.Status.SENT,
                                         Recipient.Status.DELIVERED, status_code=code[:16], reported_at=now)
            outcome = "delivered" if changed else f"ignored: recipient is {recipient.status}"
            summary.delivered += bool(changed)
            summary.ignored += not changed
        else:
            batch = recipient.batch
            refund = batch.type in settings.MESSAGING_REFUND_FAILED_DELIVERY
            changed = RECIPIENT.move_all(
                Recipient.objects.filter(pk=recipient.pk), Recipient.Status.SENT, Recipient.Status.UNDELIVERED,
                status_code=code[:16], reported_at=now,
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
