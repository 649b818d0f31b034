"""The worker's handler, in process: sending in chunks, recording each recipient, paying
for it, and reconciling a provider call whose outcome was lost instead of resending it."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.queues import JobContext, PermanentJobError, is_long_running
from apps.shared.contracts import SendMessagesMessage
from apps.support.messaging import audit
from apps.support.messaging.backends import ProviderOutcomeUnknown, ProviderRejected, ProviderUnavailable, locmem
from apps.support.messaging.models import CreditAccount, MessageBatch, Recipient, SendAttempt
from apps.support.messaging.services import jobs
from apps.support.messaging.services.batches import RecipientInput
from apps.support.messaging.tests import factories

pytestmark = pytest.mark.django_db
PRICE = 20  # settings.MESSAGING_PRICES["sms"]


class Crash(BaseException):
    """Stands in for the process dying: nothing after it runs (not even `except Exception`)."""


def run(batch, context=None):
    jobs.handle(SendMessagesMessage(job_id=batch.id, tenant_id=batch.tenant_id, batch_id=batch.id), context)


def balance(tenant):
    account = CreditAccount.objects.get(tenant=tenant)
    return account.balance, account.held


def statuses(batch):
    return sorted(batch.recipients.values_list("status", flat=True))


def test_a_batch_is_sent_once_per_recipient_and_its_credits_captured():
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=5)
    assert balance(tenant) == (900, 100)
    assert is_long_running(jobs.handle)
    run(batch)
    batch.refresh_from_db()
    assert batch.status == "done" and batch.finished_at
    assert sorted(m.to for m in locmem.outbox) == sorted(batch.recipients.values_list("to", flat=True))
    assert statuses(batch) == ["sent"] * 5
    assert balance(tenant) == (900, 0)
    assert all(r.provider_message_id for r in batch.recipients.all())
    assert audit.audit() == (1, [])
    run(batch)  # the job again (a duplicate delivery after it finished): nothing more is sent
    assert len(locmem.outbox) == 5


def test_recipients_the_provider_refuses_are_released_the_rest_captured():
    tenant = factories.tenant(credits=1000)
    numbers = factories.numbers(4)
    batch = factories.batch(tenant, numbers)
    locmem.refuse.add(numbers[1].replace("-", ""))
    run(batch)
    by_to = dict(batch.recipients.values_list("to", "status"))
    assert by_to[numbers[1].replace("-", "")] == "failed"
    assert sorted(by_to.values()) == ["failed", "sent", "sent", "sent"]
    assert balance(tenant) == (1000 - 3 * PRICE, 0)
    assert audit.audit() == (1, [])


def test_chunks_follow_the_provider_batch_size(settings):
    settings.MESSAGING_PROVIDER_BATCH_SIZE = 3
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=8)
    run(batch)
    assert [a.size for a in SendAttempt.objects.filter(batch=batch).order_by("created_at")] == [3, 3, 2]
    assert len({s.attempt_id for s in locmem.outbox}) == 3 and len(locmem.outbox) == 8
    assert statuses(batch) == ["sent"] * 8


def test_a_request_the_provider_refuses_whole_fails_its_recipients_and_releases_their_credits():
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=3)
    locmem.faults.append(ProviderRejected("refused", code="InvalidApiKey"))
    run(batch)
    batch.refresh_from_db()
    assert batch.status == "done" and statuses(batch) == ["failed"] * 3
    assert set(batch.recipients.values_list("status_code", flat=True)) == {"InvalidApiKey"}
    assert balance(tenant) == (1000, 0)


def test_an_unreachable_provider_leaves_the_batch_queued_for_a_retry():
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=3)
    locmem.faults.append(ProviderUnavailable("connection refused"))
    with pytest.raises(jobs.RetryLater):
        run(batch)
    assert statuses(batch) == ["queued"] * 3 and balance(tenant) == (940, 60)
    assert SendAttempt.objects.get(batch=batch).status == "not_sent"
    run(batch)  # the retry
    assert statuses(batch) == ["sent"] * 3 and len(locmem.outbox) == 3


def test_a_lost_answer_is_reconciled_from_the_provider_not_resent():
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=3)
    locmem.faults.append(("after", ProviderOutcomeUnknown("read timeout")))  # took them, answer lost
    run(batch)
    assert len(locmem.outbox) == 3
    assert statuses(batch) == ["sent"] * 3 and balance(tenant) == (940, 0)
    assert SendAttempt.objects.get(batch=batch).resolution == "reconciled"


def test_a_worker_dying_between_the_call_and_the_commit_sends_nothing_twice():
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=4)
    locmem.faults.append(("after", Crash()))
    with pytest.raises(Crash):
        run(batch)
    assert statuses(batch) == ["sending"] * 4 and balance(tenant) == (920, 80)
    assert SendAttempt.objects.get(batch=batch).status == "pending"
    run(batch)  # redelivery: reconciles, sends nothing
    assert len(locmem.outbox) == 4
    assert statuses(batch) == ["sent"] * 4 and balance(tenant) == (920, 0)
    assert audit.audit() == (1, [])


def test_a_worker_dying_before_the_call_resends_only_once_the_grace_period_is_over(settings):
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=2)
    locmem.faults.append(Crash())  # died after writing the outbox, before the provider saw anything
    with pytest.raises(Crash):
        run(batch)
    attempt = SendAttempt.objects.get(batch=batch)
    with pytest.raises(jobs.RetryLater, match="not visible at the provider yet"):
        run(batch)  # too early to tell "never sent" from "not listed yet"
    assert locmem.outbox == []
    SendAttempt.objects.filter(pk=attempt.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    run(batch)
    attempt.refresh_from_db()
    assert attempt.status == "not_sent" and "no record" in attempt.resolution
    assert len(locmem.outbox) == 2 and statuses(batch) == ["sent", "sent"]
    assert balance(tenant) == (960, 0)


def test_an_alimtalk_batch_renders_each_recipients_variables():
    tenant = factories.tenant(credits=1000)
    factories.template(tenant)
    numbers = factories.numbers(2)
    batch = factories.batch(tenant, [RecipientInput(numbers[0], {"name": "김민지"}),
                                     RecipientInput(numbers[1], {"name": "이서준"})],
                            type="alimtalk", text="", template_id="TPL_ATTEND", variables={"time": "18:00"})
    run(batch)
    texts = sorted(m.text for m in locmem.outbox)
    assert texts == ["김민지 학생이 18:00에 출석했습니다.", "이서준 학생이 18:00에 출석했습니다."]
    assert {m.template_id for m in locmem.outbox} == {"TPL_ATTEND"} and {m.pf_id for m in locmem.outbox} == {
        "PF_ACADEMY"}
    assert balance(tenant) == (1000 - 2 * 15, 0)


def test_a_stopping_worker_leaves_the_rest_for_the_redelivery(settings):
    settings.MESSAGING_PROVIDER_BATCH_SIZE = 2
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=5)
    context = JobContext(job_id=batch.id, tenant_id=tenant.id, trace_id="t", kind="messaging.send", worker_id="w",
                         receive_count=1, attempt=1, taken_over=False, cancelled=threading.Event())
    context.cancelled.set()
    with pytest.raises(jobs.RetryLater, match="stopping"):
        run(batch, context)
    assert locmem.outbox == []
    run(batch)
    assert len(locmem.outbox) == 5


def test_a_cancelled_or_foreign_batch_is_not_sent():
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=2)
    with pytest.raises(PermanentJobError, match="does not belong"):
        jobs.handle(SendMessagesMessage(job_id=batch.id, tenant_id=uuid.uuid4(), batch_id=batch.id), None)
    with pytest.raises(PermanentJobError, match="does not exist"):
        jobs.handle(SendMessagesMessage(job_id=uuid.uuid4(), tenant_id=tenant.id, batch_id=uuid.uuid4()), None)
    MessageBatch.objects.filter(pk=batch.pk).update(status="cancelled")
    run(batch)
    assert locmem.outbox == []


def test_the_send_rate_limit_spreads_a_batch_over_seconds(settings):
    settings.MESSAGING_RATE_LIMIT_PER_SECOND = 4
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=10)
    run(batch)
    seconds = sorted(int(s.at.timestamp()) for s in locmem.outbox)
    per_second = {s: seconds.count(s) for s in seconds}
    assert len(seconds) == 10 and max(per_second.values()) <= 4 and len(per_second) >= 3
    assert [a.size for a in SendAttempt.objects.filter(batch=batch).order_by("created_at")] == [4, 4, 2]


def test_recipients_refused_at_the_door_are_never_sent_nor_charged():
    tenant = factories.tenant(credits=1000)
    good = factories.numbers(2)
    batch = factories.batch(tenant, [good[0], "not a number", good[1], good[0]])
    assert (batch.recipient_count, batch.rejected_count, batch.held_amount) == (2, 2, 40)
    run(batch)
    assert len(locmem.outbox) == 2
    rows = list(Recipient.objects.filter(batch=batch).order_by("position").values_list("status", "error"))
    assert [s for s, _ in rows] == ["sent", "rejected", "sent", "rejected"]
    assert "duplicate" in rows[3][1]
    assert balance(tenant) == (960, 0)


# --- a job that gives up, and its redrive ---------------------------------------------


def test_a_batch_whose_job_gives_up_is_failed_keeps_its_holds_and_a_redrive_sends_it_once():
    from apps.core.queues import gave_up_reason, give_up_hook
    from apps.core.queues.dead_letters import JobState
    from apps.support.messaging.services import dead_letters

    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=3)
    message = SendMessagesMessage(job_id=batch.id, tenant_id=batch.tenant_id, batch_id=batch.id)
    locmem.faults.append(ProviderUnavailable("SOLAPI is down"))
    with pytest.raises(jobs.RetryLater):
        run(batch)
    # The runtime, on the message's last delivery, calls the handler's hook.
    give_up_hook(jobs.handle)(message, gave_up_reason(5, "RetryLater('SOLAPI is down')"))
    batch.refresh_from_db()
    assert (batch.status, batch.error) == ("failed", "gave up after 5 attempts: RetryLater('SOLAPI is down')")
    assert statuses(batch) == ["queued"] * 3 and balance(tenant) == (1000 - 3 * PRICE, 3 * PRICE)
    record = dead_letters.KIND.describe(message)
    assert record.state == JobState.FAILED and "3 of 3 unsent" in record.summary

    dead_letters.KIND.reopen(message)
    assert MessageBatch.objects.get(pk=batch.pk).status == "queued"
    run(batch)
    assert statuses(batch) == ["sent"] * 3 and len(locmem.outbox) == 3
    assert balance(tenant) == (1000 - 3 * PRICE, 0) and audit.audit()[1] == []
    assert dead_letters.KIND.describe(message).state == JobState.FINISHED
