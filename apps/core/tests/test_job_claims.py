"""Job claims on SQLite: every outcome and every transition, one worker at a time.
(Racing workers on PostgreSQL: test_job_claims_postgres.py.)"""

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.core.models import JobClaim, Tenant
from apps.core.selectors.job_claims import get_job_claim, stale_job_claims
from apps.core.services.job_claims import (
    ClaimLost,
    ClaimOutcome,
    claim,
    extend_lease,
    fail,
    finish,
    hand_back,
    release,
)

pytestmark = pytest.mark.django_db


def _claim(job_id, worker="w1", lease=60):
    return claim(job_id=job_id, kind="video.transcode", tenant_id=uuid.UUID(int=1), worker_id=worker,
                 lease_seconds=lease)


def _expire(job_id):
    JobClaim.objects.filter(job_id=job_id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_first_claim_wins_and_others_see_it_held():
    job = uuid.uuid4()
    first = _claim(job, "w1")
    assert first.outcome == ClaimOutcome.CLAIMED and first.is_ours and first.attempts == 1
    second = _claim(job, "w2")
    assert second.outcome == ClaimOutcome.HELD_BY_OTHER and not second.is_ours
    assert second.worker_id == "w1" and 58 < second.lease_seconds_left() <= 60


def test_a_finished_job_is_already_done_whoever_asks():
    done, failed = uuid.uuid4(), uuid.uuid4()
    _claim(done)
    finish(job_id=done, worker_id="w1")
    _claim(failed)
    fail(job_id=failed, worker_id="w1", error="bad input")
    for job, status in ((done, "done"), (failed, "failed")):
        for worker in ("w1", "w2"):
            result = _claim(job, worker)
            assert (result.outcome, result.status) == (ClaimOutcome.ALREADY_DONE, status)
    row = get_job_claim(job_id=failed)
    assert row.error == "bad input" and row.finished_at is not None and row.lease_expires_at is None


def test_an_expired_lease_is_taken_over_and_the_old_holder_loses_everything():
    job = uuid.uuid4()
    _claim(job, "dead")
    _expire(job)
    assert list(stale_job_claims()) == [get_job_claim(job_id=job)]
    result = _claim(job, "alive")
    assert (result.outcome, result.worker_id, result.attempts) == (ClaimOutcome.TAKEN_OVER, "alive", 2)
    assert not extend_lease(job_id=job, worker_id="dead", lease_seconds=60)
    with pytest.raises(ClaimLost):
        finish(job_id=job, worker_id="dead")
    with pytest.raises(ClaimLost):
        fail(job_id=job, worker_id="dead", error="x")
    finish(job_id=job, worker_id="alive")


def test_extend_lease_keeps_a_claim_from_being_taken_over():
    job = uuid.uuid4()
    _claim(job, "w1", lease=60)
    _expire(job)
    assert extend_lease(job_id=job, worker_id="w1", lease_seconds=60)
    assert _claim(job, "w2").outcome == ClaimOutcome.HELD_BY_OTHER


def test_a_released_claim_is_claimed_again_not_taken_over():
    job = uuid.uuid4()
    _claim(job, "w1")
    assert release(job_id=job, worker_id="w1", error="RuntimeError('boom')")
    assert get_job_claim(job_id=job).error == "RuntimeError('boom')"
    result = _claim(job, "w2")
    assert (result.outcome, result.attempts) == (ClaimOutcome.CLAIMED, 2)


def test_hand_back_lets_another_take_over_at_once_but_a_late_finish_still_counts():
    job = uuid.uuid4()
    _claim(job, "stopping")
    assert hand_back(job_id=job, worker_id="stopping")
    finish(job_id=job, worker_id="stopping")  # finished before anyone took it over
    assert _claim(job, "other").outcome == ClaimOutcome.ALREADY_DONE

    job = uuid.uuid4()
    _claim(job, "stopping")
    hand_back(job_id=job, worker_id="stopping")
    assert _claim(job, "other").outcome == ClaimOutcome.TAKEN_OVER


def test_work_and_finish_in_one_transaction_roll_back_together_when_the_claim_is_lost():
    job = uuid.uuid4()
    _claim(job, "slow")
    _expire(job)
    _claim(job, "fast")
    with pytest.raises(ClaimLost):
        with transaction.atomic():
            Tenant.objects.create(name="side effect", slug="side-effect")
            finish(job_id=job, worker_id="slow")
    assert not Tenant.objects.filter(slug="side-effect").exists()


def test_claim_needs_a_worker_id():
    with pytest.raises(ValueError):
        _claim(uuid.uuid4(), worker="")
