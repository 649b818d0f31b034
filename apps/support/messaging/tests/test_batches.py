"""Accepting batches: queueing, the queue being down, and the sweeper for unqueued batches."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.core.queues import QueueUnavailable
from apps.support.messaging import audit
from apps.support.messaging.models import CreditAccount, MessageBatch
from apps.support.messaging.services import batches
from apps.support.messaging.services.batches import RecipientInput, SendRequest, submit_batch
from apps.support.messaging.tests import factories

pytestmark = pytest.mark.django_db


def _request(*numbers):
    return SendRequest(type="sms", text="안내", recipients=[RecipientInput(n) for n in numbers])


def test_a_failed_queue_call_whose_job_got_through_anyway_is_not_cancelled(queue):
    tenant = factories.tenant(credits=100)

    def send_then_fail(message, **kwargs):  # the worker took the job before the call returned
        MessageBatch.objects.filter(pk=message.batch_id).update(status="sending")
        raise ConnectionError("connection reset")

    queue.send = send_then_fail
    accepted = submit_batch(tenant=tenant, request=_request("010-1234-5678"))
    assert MessageBatch.objects.get(pk=accepted.batch.pk).status == "sending"
    assert CreditAccount.objects.get(tenant=tenant).held == 20


def test_the_sweeper_queues_batches_whose_job_never_reached_the_queue(queue):
    tenant = factories.tenant(credits=100)
    queue.fail_with = ConnectionError("down")
    with pytest.raises(QueueUnavailable):
        submit_batch(tenant=tenant, request=_request("010-1234-5678"), idempotency_key="k")
    queue.fail_with = None
    assert batches.requeue_unqueued_batches(older_than_seconds=300) == []
    MessageBatch.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    call_command("messaging_requeue", "--older-than", "300")
    assert [m.batch_id for m in queue.sent] == [MessageBatch.objects.get().id]
    assert MessageBatch.objects.get().enqueued_at is not None


def test_the_audit_command_and_binary_fail_on_a_discrepancy(capsys):
    tenant = factories.tenant(credits=100)
    assert audit.main(["--no-batches"]) == 0
    call_command("messaging_audit")
    CreditAccount.objects.filter(tenant=tenant).update(held=7)
    assert audit.main(["--tenant", tenant.slug]) == 1
    assert "held 7 but ledger sums to 0" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="does not balance"):
        call_command("messaging_audit")
