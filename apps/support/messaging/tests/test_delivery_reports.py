"""Delivery reports from the provider's webhook: behind the URL's secret, idempotent,
refunding failures where the pricing says so."""

import json

import pytest

from apps.shared.contracts import SendMessagesMessage
from apps.support.messaging import audit
from apps.support.messaging.models import CreditAccount, CreditTransaction, DeliveryReport, Recipient
from apps.support.messaging.services import delivery_reports, jobs
from apps.support.messaging.services.delivery_reports import WebhookRefused, check_secret, client_address
from apps.support.messaging.tests import factories

SECRET = "webhook-secret"


def report(recipient, code, event_id=None):
    return {"eventDataId": event_id or f"E-{recipient.provider_message_id}-{code}", "retryCount": 0,
            "data": {"messageId": recipient.provider_message_id, "statusCode": code, "to": recipient.to,
                     "statusMessage": "전송실패" if code != "4000" else "수신완료",
                     "customFields": {"academy_recipient": str(recipient.pk)}}}


@pytest.fixture
def sent(db):
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=3)
    jobs.handle(SendMessagesMessage(job_id=batch.id, tenant_id=tenant.id, batch_id=batch.id), None)
    return tenant, batch, list(batch.recipients.order_by("position"))


def balance(tenant):
    return CreditAccount.objects.get(tenant=tenant).balance


def test_the_secret_is_the_current_or_the_previous_one(settings):
    settings.MESSAGING_WEBHOOK_SECRET, settings.MESSAGING_WEBHOOK_PREVIOUS_SECRET = SECRET, "last-year"
    check_secret(secret=SECRET)
    check_secret(secret="last-year")
    for wrong in ("", SECRET + "x", SECRET[:-1], "학원"):
        with pytest.raises(WebhookRefused, match="unknown webhook secret"):
            check_secret(secret=wrong)
    settings.MESSAGING_WEBHOOK_SECRET = settings.MESSAGING_WEBHOOK_PREVIOUS_SECRET = ""
    with pytest.raises(WebhookRefused, match="not configured"):
        check_secret(secret="")


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(settings):
    def caller(peer, forwarded):
        found = client_address(remote_addr=peer, forwarded_for=forwarded)
        return found and str(found)

    settings.MESSAGING_TRUSTED_PROXIES = ()
    assert caller("10.0.0.5", "203.0.113.7") == "10.0.0.5"
    settings.MESSAGING_TRUSTED_PROXIES = ("10.0.0.0/8",)
    assert caller("10.0.0.5", "203.0.113.7") == "203.0.113.7"
    assert caller("10.0.0.5", "198.51.100.1, 203.0.113.7, 10.0.0.9") == "203.0.113.7"
    assert caller("192.0.2.1", "203.0.113.7") == "192.0.2.1"  # not from the proxy
    assert caller("10.0.0.5", "not-an-address") is None


def test_delivered_and_undelivered_reports_update_recipients_and_refund_failures(sent):
    tenant, batch, (a, b, c) = sent
    before = balance(tenant)
    summary = delivery_reports.process_reports(payload=[report(a, "4000"), report(b, "3059"), report(c, "3000")])
    assert (summary.delivered, summary.undelivered, summary.refunded, summary.in_progress) == (1, 1, 1, 1)
    statuses = dict(Recipient.objects.filter(batch=batch).values_list("pk", "status"))
    assert (statuses[a.pk], statuses[b.pk], statuses[c.pk]) == ("delivered", "undelivered", "sent")
    assert balance(tenant) == before + 20
    assert Recipient.objects.get(pk=b.pk).charge == "refunded"
    assert audit.audit() == (1, [])


def test_a_retried_webhook_changes_nothing(sent):
    tenant, batch, (a, b, _) = sent
    payload = [report(a, "4000"), report(b, "3059")]
    delivery_reports.process_reports(payload=payload)
    after_first = (balance(tenant), CreditTransaction.objects.count(), DeliveryReport.objects.count())
    summary = delivery_reports.process_reports(payload=json.loads(json.dumps(payload)))
    assert summary.duplicates == 2 and summary.refunded == 0
    assert (balance(tenant), CreditTransaction.objects.count(), DeliveryReport.objects.count()) == after_first


def test_a_second_failure_report_with_another_event_id_does_not_refund_twice(sent):
    tenant, _, (_, b, _) = sent
    delivery_reports.process_reports(payload=[report(b, "3059", event_id="one")])
    before = balance(tenant)
    summary = delivery_reports.process_reports(payload=[report(b, "3040", event_id="two")])
    assert summary.refunded == 0 and summary.ignored == 1 and balance(tenant) == before


def test_types_the_pricing_does_not_refund_are_not_refunded(sent, settings):
    settings.MESSAGING_REFUND_FAILED_DELIVERY = frozenset({"lms"})
    tenant, _, (a, _, _) = sent
    before = balance(tenant)
    summary = delivery_reports.process_reports(payload=[report(a, "3059")])
    assert summary.undelivered == 1 and summary.refunded == 0 and balance(tenant) == before
    assert Recipient.objects.get(pk=a.pk).charge == "captured"


def test_a_report_for_a_message_not_recorded_yet_asks_for_a_retry_and_an_unknown_one_is_ignored(db):
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=1)
    recipient = batch.recipients.get()
    early = {"eventDataId": "early", "data": {"messageId": "M-NOT-RECORDED", "statusCode": "4000",
                                              "customFields": {"academy_recipient": str(recipient.pk)}}}
    stranger = {"eventDataId": "stranger", "data": {"messageId": "M-UNKNOWN", "statusCode": "4000"}}
    summary = delivery_reports.process_reports(payload=[early, stranger])
    assert summary.pending == ["early"] and summary.ignored == 1
    assert not DeliveryReport.objects.filter(event_id="early").exists()


def test_bad_payloads_are_refused():
    with pytest.raises(delivery_reports.InvalidPayload):
        delivery_reports.process_reports(payload="nope")
    with pytest.raises(delivery_reports.InvalidPayload):
        delivery_reports.process_reports(payload=[{"data": {"statusCode": "4000"}}])
