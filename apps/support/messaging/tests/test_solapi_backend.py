"""The SOLAPI backend (the solapi SDK's models and signer) against a local server that
speaks SOLAPI's API as SOLAPI documents it (tools/testing/fake_solapi.py), through HTTP,
nothing patched: SOLAPI's real codes, retried when a retry can help, failed when not."""

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
        ("r0", True, "2000"), ("r1", False, "1060"), ("r2", False, "1011")]
    assert fake_solapi.count_by_recipient() == {"01011112222": 1}


def test_when_every_message_fails_the_sdk_raises_and_each_is_still_reported(backend, fake_solapi):
    fake_solapi.refuse.update({"01011112222", "01033334444"})
    result = backend.send(sms("01011112222", "01033334444"), attempt_id=uuid.uuid4())
    assert [(m.accepted, m.status_code) for m in result.messages] == [(False, "1060"), (False, "1060")]


def test_a_4xx_is_a_rejection_of_the_whole_request(backend, fake_solapi):
    fake_solapi.fail_next(400, "ValidationError", "bad request")
    with pytest.raises(ProviderRejected) as caught:
        backend.send(sms("01011112222"), attempt_id=uuid.uuid4())
    assert caught.value.code == "ValidationError" and fake_solapi.messages == {}


def test_wrong_credentials_send_nothing_and_are_retried_not_failed():
    from tools.testing.fake_solapi import FakeSolapi

    with FakeSolapi(api_secret="right") as fake:
        wrong = solapi_backend.SolapiBackend(api_key=fake.api_key, api_secret="wrong", base_url=fake.base_url)
        with pytest.raises(ProviderUnavailable, match="SignatureDoesNotMatch.*SOLAPI_API_SECRET"):
            wrong.send(sms("01011112222"), attempt_id=uuid.uuid4())
        unknown = solapi_backend.SolapiBackend(api_key="nobody", api_secret="right", base_url=fake.base_url)
        with pytest.raises(ProviderUnavailable, match="InvalidAPIKey"):
            unknown.send(sms("01011112222"), attempt_id=uuid.uuid4())
        assert fake.messages == {}


@pytest.mark.parametrize("status, code", [(403, "RequestTimeTooSkewed"), (403, "DuplicatedSignature"),
                                          (429, "TooManyRequests"), (429, "")])
def test_refusals_a_retry_can_cure_are_unavailable_never_rejected(backend, fake_solapi, status, code):
    fake_solapi.fail_next(status, code, "잠시 후 다시 시도")
    with pytest.raises(ProviderUnavailable):
        backend.send(sms("01011112222"), attempt_id=uuid.uuid4())
    assert fake_solapi.messages == {}


@pytest.mark.parametrize("status, code", [(402, "NotEnoughBalance"), (400, "ValidationError"), (403, "Forbidden")])
def test_refusals_for_good_are_rejections_with_solapis_code(backend, fake_solapi, status, code):
    fake_solapi.fail_next(status, code)
    with pytest.raises(ProviderRejected) as caught:
        backend.send(sms("01011112222"), attempt_id=uuid.uuid4())
    assert caught.value.code == code


def test_a_server_clock_twenty_minutes_away_is_refused_as_skewed(backend, fake_solapi):
    fake_solapi.clock_offset = 20 * 60
    with pytest.raises(ProviderUnavailable, match="RequestTimeTooSkewed"):
        backend.send(sms("01011112222"), attempt_id=uuid.uuid4())


@pytest.mark.parametrize("after", [False, True])
def test_a_5xx_is_an_unknown_outcome_never_a_rejection(backend, fake_solapi, after):
    (fake_solapi.fail_after_processing if after else fake_solapi.fail_next)(502)
    with pytest.raises(ProviderOutcomeUnknown):
        backend.send(sms("01011112222"), attempt_id=uuid.uuid4())
    assert len(fake_solapi.messages) == (1 if after else 0)


def test_a_timeout_is_an_unknown_outcome_and_the_lookup_finds_what_was_taken(backend, fake_solapi):
    attempt = uuid.uuid4()
    backend.timeout = 2
    fake_solapi.delay_next(3)
    started = time.monotonic()
    with pytest.raises(ProviderOutcomeUnknown, match="Timeout"):
        backend.send(sms("01011112222", "01033334444"), attempt_id=attempt)
    assert 1.5 < time.monotonic() - started < 3
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


@pytest.mark.django_db
def test_a_worker_whose_clock_is_twenty_minutes_off_retries_instead_of_failing(via_fake):
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=2)
    via_fake.clock_offset = -20 * 60
    with pytest.raises(jobs.RetryLater, match="RequestTimeTooSkewed"):
        _run(batch)
    assert sorted(batch.recipients.values_list("status", flat=True)) == ["queued", "queued"]
    assert CreditAccount.objects.get(tenant=tenant).held == 2 * 20
    via_fake.clock_offset = 0  # NTP caught up: the retry sends both, once
    _run(batch)
    assert sorted(batch.recipients.values_list("status", flat=True)) == ["sent", "sent"]
    assert set(via_fake.count_by_recipient().values()) == {1} and len(via_fake.count_by_recipient()) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status, code, message", [(402, "NotEnoughBalance", "보유 잔액이 부족합니다"),
                                                   (400, "ValidationError", "bad")])
def test_a_permanent_refusal_fails_the_chunk_with_solapis_code_and_releases_its_credits(via_fake, status, code,
                                                                                       message):
    tenant = factories.tenant(credits=1000)
    batch = factories.batch(tenant, count=2)
    via_fake.fail_next(status, code, message)
    _run(batch)
    rows = list(batch.recipients.values_list("status", "status_code", "error"))
    assert [(s, c) for s, c, _ in rows] == [("failed", code), ("failed", code)]
    assert all(message in error for _, _, error in rows)
    assert CreditAccount.objects.get(tenant=tenant).balance == 1000 and audit.audit() == (1, [])


@pytest.mark.django_db
def test_per_message_codes_are_stored_with_solapis_message(via_fake):
    tenant = factories.tenant(credits=1000)
    via_fake.senders = {"0299990000"}  # the batch's sender is not registered: 1062 for every message
    batch = factories.batch(tenant, count=2)
    _run(batch)
    rows = set(batch.recipients.values_list("status", "status_code"))
    assert rows == {("failed", "1062")}
    assert CreditAccount.objects.get(tenant=tenant).balance == 1000
