"""The SOLAPI backend: the real solapi SDK against a local server that speaks SOLAPI's
send API (tools/testing/fake_solapi.py), through HTTP, nothing patched."""

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from apps.shared.contracts import SendMessagesMessage
from apps.support.messaging import audit
from apps.support.messaging.backends import (
    OutgoingMessage,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    get_backend,
)
from apps.support.messaging.backends import solapi as solapi_backend
from apps.support.messaging.backends.console import ConsoleBackend
from apps.support.messaging.models import CreditAccount, SendAttempt
from apps.support.messaging.services import jobs
from apps.support.messaging.tests import factories

SENDER = "0212345678"


@pytest.fixture
def backend(fake_solapi):
    return solapi_backend.SolapiBackend(api_key=fake_solapi.api_key, api_secret=fake_solapi.api_secret,
                                        base_url=fake_solapi.base_url)


@pytest.fixture
def via_fake(settings, fake_solapi):
    settings.MESSAGING_BACKEND = "apps.support.messaging.backends.solapi.SolapiBackend"
    settings.SOLAPI_API_KEY, settings.SOLAPI_API_SECRET = fake_solapi.api_key, fake_solapi.api_secret
    settings.SOLAPI_BASE_URL = fake_solapi.base_url
    return fake_solapi


def sms(*numbers, type="sms", **kwargs):
    return [OutgoingMessage(recipient_id=f"r{i}", to=n, sender=SENDER, type=type, text=kwargs.get("text", "안녕하세요"),
                            **{k: v for k, v in kwargs.items() if k != "text"}) for i, n in enumerate(numbers)]


def test_full_success_lists_every_message_as_accepted(backend, fake_solapi):
    result = backend.send(sms("01011112222", "01033334444"), attempt_id=uuid.uuid4())
    assert result.group_id.startswith("G4V")
    assert [(m.recipient_id, m.accepted, m.status_code) for m in result.messages] == [
        ("r0", True, "2000"), ("r1", True, "2000")]
    assert all(m.message_id.startswith("M4V") for m in result.messages)
    assert fake_solapi.count_by_recipient() == {"01011112222": 1, "01033334444": 1}


def test_a_partial_failure_is_counted_per_recipient(backend, fake_solapi):
    fake_solapi.refuse.add("01033334444")
    result = backend.send(sms("01011112222", "01033334444", "0101234"), attempt_id=uuid.uuid4())
    assert [(m.recipient_id, m.accepted, m.status_code) for m in result.messages] == [
        ("r0", True, "2000"), ("r1", False, "3059"), ("r2", False, "1062")]
    assert fake_solapi.count_by_recipient() == {"01011112222": 1}


def test_when_every_message_fails_the_sdk_raises_and_each_is_still_reported(backend, fake_solapi):
    fake_solapi.refuse.update({"01011112222", "01033334444"})
    result = backend.send(sms("01011112222", "01033334444"), attempt_id=uuid.uuid4())
    assert [(m.accepted, m.status_code) for m in result.messages] == [(False, "3059"), (False, "3059")]


def test_a_4xx_is_a_rejection_of_the_whole_request(backend, fake_solapi):
    fake_solapi.fail_next(400, "ValidationError", "bad request")
    with pytest.raises(ProviderRejected) as caught:
        backend.send(sms("01011112222"), attempt_id=uuid.uuid4())
    assert caught.value.code == "ValidationError" and fake_solapi.messages == {}


def test_wrong_credentials_are_a_rejection():
    from tools.testing.fake_solapi import FakeSolapi

    with FakeSolapi(api_secret="right") as fake:
        wrong = solapi_backend.SolapiBackend(api_key=fake.api_key, api_secret="wrong", base_url=fake.base_url)
        with pytest.raises(ProviderRejected, match="InvalidAPIKey"):
            wrong.send(sms("01011112222"), attempt_id=uuid.uuid4())


@pytest.mark.parametrize("after", [False, True])
def test_a_5xx_is_an_unknown_outcome_never_a_rejection(backend, fake_solapi, after):
    (fake_solapi.fail_after_processing if after else fake_solapi.fail_next)(502)
    with pytest.raises(ProviderOutcomeUnknown):
        backend.send(sms("01011112222"), attempt_id=uuid.uuid4())
    assert len(fake_solapi.messages) == (1 if after else 0)


def test_a_timeout_is_an_unknown_outcome_and_the_lookup_finds_what_was_taken(backend, fake_solapi):
    attempt = uuid.uuid4()
    fake_solapi.delay_next(6)  # the SDK's httpx client gives up after 5 s
    started = time.monotonic()
    with pytest.raises(ProviderOutcomeUnknown, match="Timeout"):
        backend.send(sms("01011112222", "01033334444"), attempt_id=attempt)
    assert 4 < time.monotonic() - started < 6
    now = datetime.now(timezone.utc)
    found = backend.lookup(attempt_id=attempt, sender=SENDER, since=now - timedelta(seconds=10), until=now)
    assert sorted((m.recipient_id, m.accepted) for m in found) == [("r0", True), ("r1", True)]
    assert backend.lookup(attempt_id=uuid.uuid4(), sender=SENDER, since=now - timedelta(seconds=10), until=now) == []


def test_an_unreachable_provider_is_unavailable_not_unknown():
    dead = solapi_backend.SolapiBackend(api_key="k", api_secret="s", base_url="http://127.0.0.1:9")
    with pytest.raises(ProviderUnavailable):
        dead.send(sms("01011112222"), attempt_id=uuid.uuid4())


def test_the_lookup_pages_through_the_message_list(backend, fake_solapi, monkeypatch):
    monkeypatch.setattr(solapi_backend, "LOOKUP_PAGE", 3)
    attempt = uuid.uuid4()
    backend.send(sms(*[f"0101111{n:04d}" for n in range(8)]), attempt_id=attempt)
    backend.send(sms("01099998888"), attempt_id=uuid.uuid4())  # another attempt's message
    now = datetime.now(timezone.utc)
    found = backend.lookup(attempt_id=attempt, sender=SENDER, since=now - timedelta(minutes=1), until=now)
    assert sorted(m.recipient_id for m in found) == sorted(f"r{n}" for n in range(8))


def test_lms_and_alimtalk_carry_their_own_fields(backend, fake_solapi):
    backend.send(sms("01011112222", type="lms", subject="성적표", text="긴 " * 100), attempt_id=uuid.uuid4())
    backend.send(sms("01033334444", type="alimtalk", text="김민지 학생 출석", template_id="TPL", pf_id="PF",
                     variables={"name": "김민지"}), attempt_id=uuid.uuid4())
    lms, ata = list(fake_solapi.messages.values())
    assert (lms["type"], lms["subject"]) == ("LMS", "성적표")
    assert ata["type"] == "ATA"
    assert ata["kakaoOptions"]["pfId"] == "PF" and ata["kakaoOptions"]["templateId"] == "TPL"
    assert ata["kakaoOptions"]["variables"] == {"#{name}": "김민지"} and ata["kakaoOptions"]["disableSms"] is True
    assert set(ata["customFields"]) == {"academy_attempt", "academy_recipient"}


def test_the_backend_is_chosen_in_settings(settings, fake_solapi):
    settings.MESSAGING_BACKEND = "apps.support.messaging.backends.console.ConsoleBackend"
    assert isinstance(get_backend(), ConsoleBackend)
    settings.MESSAGING_BACKEND = "apps.support.messaging.backends.solapi.SolapiBackend"
    settings.SOLAPI_API_KEY = settings.SOLAPI_API_SECRET = ""
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="SOLAPI_API_KEY"):
        get_backend()


def test_the_console_backend_logs_each_message(caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="academy.messaging.console"):
        result = ConsoleBackend().send(sms("01011112222", "01033334444"), attempt_id=uuid.uuid4())
    assert all(m.accepted for m in result.messages)
    assert [r.getMessage() for r in caplog.records] == [
        "SMS to 01011112222 from 0212345678: 안녕하세요", "SMS to 01033334444 from 0212345678: 안녕하세요"]


# --- the worker's handler with the SOLAPI backend --------------------------------------


def _run(batch):
    jobs.handle(SendMessagesMessage(job_id=batch.id, tenant_id=batch.tenant_id, batch_id=batch.id), None)


@pytest.mark.django_db
def test_a_batch_through_solapi_captures_the_accepted_and_releases_the_refused(via_fake):
    tenant = factories.tenant(credits=1000)
    numbers = factories.numbers(4)
    via_fake.refuse.add(numbers[2].replace("-", ""))
    batch = factories.batch(tenant, numbers)
    _run(batch)
    account = CreditAccount.objects.get(tenant=tenant)
    assert (account.balance, account.held) == (1000 - 3 * 20, 0)
    assert sorted(batch.recipients.values_list("status", flat=True)) == ["failed", "sent", "sent", "sent"]
    assert sum(via_fake.count_by_recipient().values()) == 3
    assert audit.audit() == (1, [])


@pytest.mark.django_db
def test_a_5xx_after_the_provider_took_the_messages_is_reconciled_not_resent(via_fake):
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=3)
    via_fake.fail_after_processing(500)
    _run(batch)
    assert set(via_fake.count_by_recipient().values()) == {1} and len(via_fake.count_by_recipient()) == 3
    assert SendAttempt.objects.get(batch=batch).resolution == "reconciled"
    assert CreditAccount.objects.get(tenant=tenant).held == 0


@pytest.mark.django_db
def test_a_5xx_before_the_provider_took_anything_is_retried_after_the_grace_period(via_fake, settings):
    settings.MESSAGING_RECONCILE_GRACE_SECONDS = 0
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=2)
    via_fake.fail_next(503)
    _run(batch)  # unknown outcome; the lookup finds nothing and the grace period is over: resend
    assert sorted(a.status for a in SendAttempt.objects.filter(batch=batch)) == ["completed", "not_sent"]
    assert set(via_fake.count_by_recipient().values()) == {1} and len(via_fake.count_by_recipient()) == 2
