"""Messaging end to end: API (gunicorn) -> SQS (moto) -> messaging worker -> SOLAPI (a local
fake speaking its API, reached by the real SDK) -> delivery webhook -> credits, on a real
PostgreSQL server. Counts are taken where they cannot lie: messages on the fake provider,
rows in the database, and the audit binary's verdict on the ledger."""

import collections
import signal
import threading
import uuid

from apps.shared.contracts import SendMessagesMessage
from e2e.messaging.harness import WEBHOOK_SECRET
from tools.testing.waiting import wait_until

PRICE = 20


def _post(http, path, body):
    """(status, JSON body) of a POST, for the answers a test compares."""
    response = http.post(path, json=body)
    return response.status_code, response.json()


def _batch_done(http, batch_id):
    response = http.get(f"/api/v1/messages/{batch_id}/")
    body = response.json()
    return body if response.status_code == 200 and body["status"] == "done" else None


def _ledger(messaging, slug):
    [(balance, held, amount, held_delta)] = messaging.sql(
        "SELECT a.balance, a.held, COALESCE(SUM(t.amount), 0), COALESCE(SUM(t.held_delta), 0) "
        "FROM messaging_creditaccount a JOIN core_tenant c ON c.id = a.tenant_id "
        "LEFT JOIN messaging_credittransaction t ON t.account_id = a.tenant_id WHERE c.slug = %s "
        "GROUP BY a.balance, a.held", [slug])
    return balance, held, amount, held_delta


def test_fifty_parallel_sends_against_credits_for_twenty_accept_exactly_twenty(messaging):
    messaging.start_api(workers=3, threads=8)
    operator = messaging.tenant("platform", staff=True)
    academy = messaging.tenant("daechi")
    assert _post(operator, "/api/v1/credits/top-ups/", {"tenant": "daechi", "amount": 20 * PRICE})[0] == 201

    barrier = threading.Barrier(50)
    results = []

    def send(n):
        barrier.wait()
        results.append(_post(academy, "/api/v1/messages/", {"type": "sms", "text": "보강 안내",
                                                            "recipients": [f"010-5555-{n:04d}"]}))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    codes = collections.Counter(status for status, _ in results)
    assert codes == {201: 20, 402: 30}, codes
    refused = [body for status, body in results if status == 402]
    assert all(b["detail"] == "insufficient credits" and b["cost"] == PRICE and b["balance"] < PRICE
               for b in refused)
    balance, held, amount, held_delta = _ledger(messaging, "daechi")
    assert (balance, held) == (0, 20 * PRICE)
    assert (amount, held_delta) == (balance, held)
    assert messaging.sql("SELECT COUNT(*) FROM messaging_messagebatch")[0][0] == 20
    assert messaging.sql("SELECT COUNT(*) FROM messaging_credittransaction WHERE kind = 'hold'")[0][0] == 20
    assert messaging.queue.setup() and _queued(messaging) == 20
    audit = messaging.audit()
    assert audit.returncode == 0, audit.stdout + audit.stderr


def _queued(messaging):
    attributes = messaging.queue.client.get_queue_attributes(
        QueueUrl=messaging.queue.url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_a_worker_killed_between_the_provider_call_and_the_commit_sends_each_message_once(messaging):
    messaging.start_api(workers=1, threads=4)
    operator = messaging.tenant("platform", staff=True)
    academy = messaging.tenant("daechi")
    _post(operator, "/api/v1/credits/top-ups/", {"tenant": "daechi", "amount": 1000})
    numbers = [f"010-7777-{n:04d}" for n in range(5)]
    status, created = _post(academy, "/api/v1/messages/", {"type": "sms", "text": "성적표가 나왔습니다",
                                                           "recipients": numbers})
    assert status == 201

    recorded = messaging.fake.hold_next()  # SOLAPI takes the messages; its answer never arrives
    first = messaging.start_worker()
    assert recorded.wait(30), messaging.log_of(first)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert messaging.sql("SELECT status FROM messaging_sendattempt") == [("pending",)]
    assert sum(messaging.fake.count_by_recipient().values()) == 5

    second = messaging.start_worker()  # takes the job over once the dead worker's lease passes
    body = wait_until(lambda: _batch_done(academy, created["id"]), 60, interval=0.2,
                      what=f"the batch to be done:\n{messaging.log_of(second)}")
    assert body["counts"]["sent"] == 5
    assert messaging.fake.count_by_recipient() == {n.replace("-", ""): 1 for n in numbers}
    assert messaging.sql("SELECT status, resolution FROM messaging_sendattempt") == [("completed", "reconciled")]
    assert _ledger(messaging, "daechi") == (1000 - 5 * PRICE, 0, 1000 - 5 * PRICE, 0)
    audit = messaging.audit()
    assert audit.returncode == 0, audit.stdout + audit.stderr
    second.send_signal(signal.SIGTERM)
    assert second.wait(15) == 0


def test_a_job_delivered_twice_sends_once_per_recipient(messaging):
    messaging.start_api(workers=1, threads=4)
    operator = messaging.tenant("platform", staff=True)
    academy = messaging.tenant("daechi")
    _post(operator, "/api/v1/credits/top-ups/", {"tenant": "daechi", "amount": 1000})
    numbers = [f"010-8888-{n:04d}" for n in range(6)]
    status, created = _post(academy, "/api/v1/messages/", {"type": "sms", "text": "수업료 안내",
                                                           "recipients": numbers})
    assert status == 201
    # The same job again, as SQS may deliver it (at-least-once), twice over.
    [(tenant_id,)] = messaging.sql("SELECT id FROM core_tenant WHERE slug = 'daechi'")
    duplicate = SendMessagesMessage(job_id=uuid.UUID(created["id"]), tenant_id=tenant_id,
                                    batch_id=uuid.UUID(created["id"]))
    messaging.queue.send(duplicate)
    messaging.queue.send(duplicate)

    worker = messaging.start_worker("--once", "--concurrency", "3")
    assert worker.wait(60) == 0, messaging.log_of(worker)
    assert messaging.fake.count_by_recipient() == {n.replace("-", ""): 1 for n in numbers}
    assert _batch_done(academy, created["id"])["counts"]["sent"] == 6
    assert _ledger(messaging, "daechi")[:2] == (1000 - 6 * PRICE, 0)
    again = messaging.start_worker("--once")  # a copy delivered after the job finished
    messaging.queue.send(duplicate)
    assert again.wait(60) == 0
    assert sum(messaging.fake.count_by_recipient().values()) == 6


def test_delivery_reports_refund_failed_deliveries_once(messaging):
    messaging.start_api(workers=1, threads=4)
    operator = messaging.tenant("platform", staff=True)
    academy = messaging.tenant("daechi")
    _post(operator, "/api/v1/credits/top-ups/", {"tenant": "daechi", "amount": 1000})
    numbers = ["010-9999-0001", "010-9999-0002", "010-9999-0003"]
    messaging.fake.refuse.add("01099990003")  # refused by the provider at once: released
    status, created = _post(academy, "/api/v1/messages/", {"type": "sms", "text": "상담 안내", "recipients": numbers})
    assert status == 201
    worker = messaging.start_worker("--once")
    assert worker.wait(60) == 0, messaging.log_of(worker)
    assert _ledger(messaging, "daechi")[:2] == (1000 - 2 * PRICE, 0)

    url = f"{messaging.api_url}/api/v1/messaging/delivery-reports/{WEBHOOK_SECRET}/"
    ids = [m["messageId"] for m in messaging.fake.accepted()]
    # As SOLAPI posts them: a JSON list, no signature; the secret is in the registered URL.
    reports = messaging.fake.report_payload(statuses={ids[0]: "4000", ids[1]: "3041"})
    status, summary = messaging.fake.deliver(url, payload=reports)
    assert status == 200 and (summary["delivered"], summary["refunded"]) == (1, 1)
    status, summary = messaging.fake.deliver(url, payload=reports)  # SOLAPI's own retry of the same events
    assert status == 200 and summary["duplicates"] == 2
    # The same outcomes in the flat shape of SOLAPI's node example: read, and never refunded twice.
    flat = messaging.fake.report_payload(statuses={ids[0]: "4000", ids[1]: "3041"}, shape="flat")
    status, summary = messaging.fake.deliver(url, payload=flat)
    assert status == 200 and (summary["refunded"], summary["ignored"]) == (0, 2)
    wrong = messaging.fake.deliver(f"{messaging.api_url}/api/v1/messaging/delivery-reports/wrong-secret/",
                                   ids[1:], "3041", attempts=1)
    assert wrong.status == 401
    counts = _batch_done(academy, created["id"])["counts"]
    assert (counts["delivered"], counts["undelivered"], counts["failed"]) == (1, 1, 1)
    assert _ledger(messaging, "daechi")[:2] == (1000 - PRICE, 0)
    audit = messaging.audit()
    assert audit.returncode == 0, audit.stdout + audit.stderr
