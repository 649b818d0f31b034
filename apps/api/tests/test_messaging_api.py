"""POST/GET /api/v1/messages/, /api/v1/credits/, templates and the delivery webhook, through
the real URL conf, authentication and serializers, on SQLite; the queue is recorded
(test_messaging_queue_sqs.py sends to a real SQS-speaking server)."""

import json
import uuid

import pytest

from apps.api.tests.messaging_fixtures import Caller, academy, messaging_queue, operator, rival  # noqa: F401
from apps.shared.contracts import SendMessagesMessage
from apps.support.messaging import audit
from apps.support.messaging.models import AlimtalkTemplate, CreditAccount, MessageBatch, Recipient
from apps.support.messaging.services import jobs

PRICE = 20


def balance(caller):
    account = CreditAccount.objects.get(tenant=caller.tenant)
    return account.balance, account.held


# --- sending ---------------------------------------------------------------------------


def test_a_send_is_accepted_held_and_queued(academy, messaging_queue):
    response = academy.send(["010-1234-5678", "+82 10 2222 3333"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["recipient_count"], body["rejected_count"]) == ("queued", 2, 0)
    assert (body["cost"], body["unit_price"], body["balance"]) == (40, PRICE, 960)
    assert balance(academy) == (960, 40)
    [queued] = messaging_queue.sent
    assert isinstance(queued, SendMessagesMessage)
    assert (str(queued.batch_id), queued.tenant_id, str(queued.job_id)) == (body["id"], academy.tenant.id, body["id"])
    assert MessageBatch.objects.get(pk=body["id"]).enqueued_at is not None


def test_a_batch_shows_each_recipients_status(academy):
    created = academy.send(["010-1234-5678", "010-123-45", "010-2222-3333"]).json()
    response = academy.get(f"/api/v1/messages/{created['id']}/")
    assert response.status_code == 200
    body = response.json()
    assert body["counts"]["queued"] == 2 and body["counts"]["rejected"] == 1
    rows = body["recipients"]["results"]
    assert [(r["position"], r["to"], r["status"]) for r in rows] == [
        (0, "01012345678", "queued"), (1, "", "rejected"), (2, "01022223333", "queued")]
    assert "not a Korean mobile number" in rows[1]["error"] and rows[1]["raw_to"] == "010-123-45"
    page = academy.get(f"/api/v1/messages/{created['id']}/recipients/", status="rejected", limit=1).json()
    assert page["count"] == 1 and page["results"][0]["position"] == 1
    assert academy.get("/api/v1/messages/").json()["results"][0]["id"] == created["id"]


def test_the_worker_outcome_shows_in_the_batch(academy, settings):
    settings.MESSAGING_BACKEND = "apps.support.messaging.backends.locmem.LocmemBackend"
    created = academy.send(["010-1234-5678"]).json()
    batch = MessageBatch.objects.get(pk=created["id"])
    jobs.handle(SendMessagesMessage(job_id=batch.id, tenant_id=batch.tenant_id, batch_id=batch.id), None)
    body = academy.get(f"/api/v1/messages/{batch.id}/").json()
    assert body["status"] == "done" and body["counts"]["sent"] == 1
    assert body["recipients"]["results"][0]["provider_message_id"]
    assert balance(academy) == (980, 0)


# --- bad input -------------------------------------------------------------------------


def test_invalid_numbers_are_reported_per_recipient_and_not_charged(academy):
    response = academy.send(["010-1234-5678", "02-123-4567", "hello", "010-1234-5678"])
    assert response.status_code == 201
    body = response.json()
    assert (body["recipient_count"], body["rejected_count"], body["cost"]) == (1, 3, PRICE)
    assert [r["position"] for r in body["rejected"]] == [1, 2, 3]
    assert "duplicate" in body["rejected"][2]["error"]
    assert balance(academy) == (980, 20)


def test_a_batch_of_only_invalid_numbers_is_refused_whole(academy, messaging_queue):
    response = academy.send(["02-123-4567", "nope"])
    assert response.status_code == 400
    body = response.json()
    assert body["recipients"] == ["no valid recipient"] and len(body["rejected"]) == 2
    assert MessageBatch.objects.count() == 0 and messaging_queue.sent == [] and balance(academy) == (1000, 0)


@pytest.mark.parametrize("fields,field,message", [
    ({"text": ""}, "text", "must not be empty"),
    ({"text": "   "}, "text", "must not be empty"),
    ({"type": "lms", "text": "가" * 1001}, "text", "at most 2000"),
    ({"type": "sms", "text": "가" * 46}, "text", "send it as lms"),
    ({"type": "sms", "subject": "제목"}, "subject", "no subject"),
    ({"type": "alimtalk", "text": "", "template_id": "NOPE"}, "template_id", "unknown template"),
    ({"type": "alimtalk", "text": ""}, "template_id", "names its template"),
    ({"type": "fax"}, "type", "fax"),
    ({"sender": "12"}, "sender", "not a Korean sender number"),
])
def test_bad_requests_say_what_is_wrong(academy, messaging_queue, fields, field, message):
    body = {"type": "sms", "text": "안녕하세요", "recipients": ["010-1234-5678"], **fields}
    response = academy.json("post", "/api/v1/messages/", body)
    assert response.status_code == 400, response.json()
    assert message in json.dumps(response.json()[field], ensure_ascii=False)
    assert messaging_queue.sent == [] and balance(academy) == (1000, 0)


def test_an_lms_at_the_limit_is_fine(academy):
    assert academy.send(["010-1234-5678"], type="lms", text="가" * 1000, subject="공지").status_code == 201


def test_more_recipients_than_one_request_may_name_are_refused(academy, settings):
    settings.MESSAGING_MAX_RECIPIENTS_PER_REQUEST = 5
    response = academy.send([f"010-0000-{n:04d}" for n in range(6)])
    assert response.status_code == 400 and "at most 5" in response.json()["recipients"][0]
    assert academy.send([]).status_code == 400
    assert academy.send([{"no": 1}], text="x").status_code == 400


def test_alimtalk_uses_a_registered_template_and_checks_its_variables(academy):
    created = academy.json("post", "/api/v1/messaging/templates/", {
        "template_id": "TPL_ATTEND", "pf_id": "PF1", "name": "출석",
        "body": "#{name} 학생이 #{time}에 출석했습니다."})
    assert created.status_code == 201 and created.json()["variables"] == ["name", "time"]
    response = academy.send([{"to": "010-1234-5678", "variables": {"name": "김민지"}}, "010-2222-3333"],
                            type="alimtalk", text="", template_id="TPL_ATTEND", variables={"time": "18:00"})
    assert response.status_code == 201
    body = response.json()
    assert (body["recipient_count"], body["cost"]) == (1, 15)
    assert "no value for template variable(s): name" in body["rejected"][0]["error"]


# --- credits ---------------------------------------------------------------------------


def test_insufficient_credits_is_402_with_the_balance_and_the_cost_and_nothing_is_queued(db, client,
                                                                                          messaging_queue):
    poor = Caller(client, "poor", credits=50)
    response = poor.send(["010-1111-2222", "010-3333-4444", "010-5555-6666"])
    assert response.status_code == 402
    assert response.json() == {"detail": "insufficient credits", "balance": 50, "cost": 60}
    assert MessageBatch.objects.count() == 0 and Recipient.objects.count() == 0 and messaging_queue.sent == []
    assert balance(poor) == (50, 0)


def test_credits_show_the_balance_and_the_ledger_paged(academy):
    academy.send(["010-1234-5678"])
    body = academy.get("/api/v1/credits/", limit=1).json()
    assert (body["balance"], body["held"]) == (980, 20)
    assert body["prices"] == {"sms": 20, "lms": 50, "alimtalk": 15}
    assert body["transactions"]["count"] == 2 and body["transactions"]["next"]
    [latest] = body["transactions"]["results"]
    assert (latest["kind"], latest["amount"], latest["held_delta"], latest["balance_after"]) == ("hold", -20, 20, 980)


def test_a_tenant_that_never_had_credits_shows_zero(db, client):
    assert Caller(client, "new").get("/api/v1/credits/").json()["balance"] == 0


def test_only_staff_keys_top_up(academy, operator):
    assert academy.json("post", "/api/v1/credits/top-ups/", {"amount": 100}).status_code == 403
    response = operator.json("post", "/api/v1/credits/top-ups/",
                             {"tenant": "daechi", "amount": 500, "memo": "invoice 7"})
    assert response.status_code == 201, response.json()
    assert response.json()["balance"] == 1500 and balance(academy) == (1500, 0)
    by_id = operator.json("post", "/api/v1/credits/top-ups/", {"tenant": str(academy.tenant.id), "amount": 1})
    assert by_id.status_code == 201 and by_id.json()["balance"] == 1501
    assert operator.json("post", "/api/v1/credits/top-ups/", {"tenant": "nobody", "amount": 1}).status_code == 400
    assert operator.json("post", "/api/v1/credits/top-ups/", {"amount": 0}).status_code == 400
    assert audit.audit()[1] == []


# --- idempotency -----------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_batch_and_holds_once(academy, messaging_queue):
    key = {"Idempotency-Key": "attendance-2026-11-26"}
    first = academy.send(["010-1234-5678"], headers=key)
    again = academy.send(["010-1234-5678"], headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert MessageBatch.objects.count() == 1 and len(messaging_queue.sent) == 1
    assert balance(academy) == (980, 20)
    conflict = academy.send(["010-9999-9999"], headers=key)
    assert conflict.status_code == 422 and conflict.json()["batch_id"] == first.json()["id"]
    other_tenant_same_key = Caller(academy.client, "other", credits=100).send(["010-1234-5678"], headers=key)
    assert other_tenant_same_key.status_code == 201


# --- the queue is down -----------------------------------------------------------------


def test_a_batch_that_cannot_be_queued_is_cancelled_and_released(academy, messaging_queue):
    messaging_queue.fail_with = ConnectionError("SQS is down")
    response = academy.send(["010-1234-5678"])
    assert response.status_code == 503 and "nothing was charged" in response.json()["detail"]
    assert response["Retry-After"] == "5"
    assert MessageBatch.objects.get().status == "cancelled" and balance(academy) == (1000, 0)
    assert response.json()["batch_id"] == str(MessageBatch.objects.get().id)
    assert audit.audit()[1] == []


def test_with_an_idempotency_key_the_retry_queues_it(academy, messaging_queue):
    key = {"Idempotency-Key": "k1"}
    messaging_queue.fail_with = ConnectionError("SQS is down")
    assert academy.send(["010-1234-5678"], headers=key).status_code == 503
    assert balance(academy) == (980, 20)
    messaging_queue.fail_with = None
    retry = academy.send(["010-1234-5678"], headers=key)
    assert retry.status_code == 200 and len(messaging_queue.sent) == 1
    assert MessageBatch.objects.get().enqueued_at is not None


# --- tenant isolation ------------------------------------------------------------------


def test_tenants_see_only_their_own_batches_recipients_credits_and_templates(academy, rival):
    theirs = rival.send(["010-1234-5678"]).json()["id"]
    template = rival.json("post", "/api/v1/messaging/templates/", {"template_id": "T", "name": "n", "body": "b"}).json()
    assert academy.get(f"/api/v1/messages/{theirs}/").status_code == 404
    assert academy.get(f"/api/v1/messages/{theirs}/recipients/").status_code == 404
    assert academy.get("/api/v1/messages/").json()["count"] == 0
    assert academy.get("/api/v1/credits/").json()["transactions"]["count"] == 1  # its own top-up only
    assert academy.get(f"/api/v1/messaging/templates/{template['id']}/").status_code == 404
    assert academy.delete(f"/api/v1/messaging/templates/{template['id']}/").status_code == 404
    assert academy.get("/api/v1/messaging/templates/").json()["count"] == 0
    # Another tenant's template id is unknown here, not borrowed.
    response = academy.send(["010-1234-5678"], type="alimtalk", text="", template_id="T")
    assert response.status_code == 400 and "unknown template" in response.json()["template_id"][0]
    assert AlimtalkTemplate.objects.filter(tenant=rival.tenant).exists()


def test_every_messaging_endpoint_needs_an_api_key(client, db):
    for method, path in [("get", "/api/v1/messages/"), ("post", "/api/v1/messages/"),
                         ("get", f"/api/v1/messages/{uuid.uuid4()}/"), ("get", "/api/v1/credits/"),
                         ("post", "/api/v1/credits/top-ups/"), ("get", "/api/v1/messaging/templates/")]:
        assert getattr(client, method)(path).status_code == 401, path


# --- the delivery webhook --------------------------------------------------------------


def _sent_batch(caller, settings):
    settings.MESSAGING_BACKEND = "apps.support.messaging.backends.locmem.LocmemBackend"
    created = caller.send(["010-1234-5678", "010-2222-3333"]).json()
    batch = MessageBatch.objects.get(pk=created["id"])
    jobs.handle(SendMessagesMessage(job_id=batch.id, tenant_id=batch.tenant_id, batch_id=batch.id), None)
    return list(batch.recipients.order_by("position"))


def _reports(recipients, codes):
    return [{"eventDataId": f"E{r.provider_message_id}", "data": {"messageId": r.provider_message_id,
                                                                  "statusCode": code}}
            for r, code in zip(recipients, codes)]


WEBHOOK = "/api/v1/messaging/delivery-reports/"


def test_the_delivery_webhook_takes_reports_only_at_its_secret_url(academy, client, settings):
    settings.MESSAGING_WEBHOOK_SECRET = "s3cret"
    recipients = _sent_batch(academy, settings)
    body = json.dumps(_reports(recipients, ["4000", "3059"]))
    unkeyed = client.post(WEBHOOK, body, content_type="application/json")
    assert unkeyed.status_code == 401 and "<MESSAGING_WEBHOOK_SECRET>" in unkeyed.json()["detail"]
    wrong = client.post(f"{WEBHOOK}s3cre7/", body, content_type="application/json")
    assert wrong.status_code == 401 and wrong.json()["detail"] == "unknown webhook secret"
    # A signature header, which SOLAPI never sends, stands in for nothing.
    signed = client.post(WEBHOOK, body, content_type="application/json", HTTP_X_WEBHOOK_SIGNATURE="t=1,v1=00")
    assert signed.status_code == 401
    good = client.post(f"{WEBHOOK}s3cret/", body, content_type="application/json")
    assert good.status_code == 200 and good.json()["refunded"] == 1
    again = client.post(f"{WEBHOOK}s3cret/", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["duplicates"] == 2
    assert balance(academy) == (1000 - 20, 0)
    assert audit.audit()[1] == []


def test_both_secrets_work_while_one_is_rotated_and_both_report_shapes_are_read(academy, client, settings):
    settings.MESSAGING_WEBHOOK_SECRET, settings.MESSAGING_WEBHOOK_PREVIOUS_SECRET = "new-secret", "old-secret"
    first, second = _sent_batch(academy, settings)
    envelope = _reports([first], ["4000"])
    flat = [{"messageId": second.provider_message_id, "groupId": "G4V", "to": second.to, "statusCode": "3041",
             "statusMessage": "단말기 통화중"}]
    assert client.post(f"{WEBHOOK}old-secret/", json.dumps(envelope), content_type="application/json").json()[
        "delivered"] == 1
    answer = client.post(f"{WEBHOOK}new-secret/", json.dumps(flat), content_type="application/json").json()
    assert answer["refunded"] == 1
    second.refresh_from_db()
    assert (second.status, second.status_code, second.error) == ("undelivered", "3041", "단말기 통화중")
    group = [{"eventDataId": "G1", "data": {"groupId": "G4V", "status": "COMPLETE"}}]
    assert client.post(f"{WEBHOOK}new-secret/", json.dumps(group), content_type="application/json").json()[
        "ignored"] == 1


def test_the_webhook_refuses_everything_when_no_secret_is_configured(db, client, settings):
    settings.MESSAGING_WEBHOOK_SECRET = settings.MESSAGING_WEBHOOK_PREVIOUS_SECRET = ""
    response = client.post(f"{WEBHOOK}anything/", b"[]", content_type="application/json")
    assert response.status_code == 401 and "not configured" in response.json()["detail"]


def test_the_source_allowlist_believes_forwarded_addresses_only_from_trusted_proxies(db, client, settings):
    settings.MESSAGING_WEBHOOK_SECRET = "s3cret"
    settings.MESSAGING_WEBHOOK_ALLOWED_IPS = ("203.0.113.0/24",)
    url = f"{WEBHOOK}s3cret/"
    # The test client's peer is 127.0.0.1: not allowed, and a forwarded header from it is not believed.
    assert client.post(url, b"[]", content_type="application/json").status_code == 401
    assert client.post(url, b"[]", content_type="application/json",
                       HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 401
    settings.MESSAGING_TRUSTED_PROXIES = ("127.0.0.1/32",)
    assert client.post(url, b"[]", content_type="application/json",
                       HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 200
    # The hops left of the proxy's own entry are the caller's to write: the last one decides.
    forged = client.post(url, b"[]", content_type="application/json", HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.9")
    assert forged.status_code == 401 and "198.51.100.9" in forged.json()["detail"]
