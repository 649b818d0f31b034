"""Claiming queued jobs, so that a job delivered twice is done once.

    result = claim(job_id=m.job_id, kind="video.transcode", tenant_id=m.tenant_id,
                   worker_id=me, lease_seconds=60)
    if result.outcome in (ClaimOutcome.CLAIMED, ClaimOutcome.TAKEN_OVER):
        with transaction.atomic():
            do_the_work()
            finish(job_id=m.job_id, worker_id=me)   # raises ClaimLost: the work rolls back

Outcomes of claim():
  CLAIMED        no one had the job, or the last holder released it after a retryable error
  ALREADY_DONE   the job finished (status done, or failed for good): acknowledge, do nothing
  HELD_BY_OTHER  another worker holds a live lease: leave the message for later
  TAKEN_OVER     a running claim's lease had passed (its worker died or handed it back):
                 the claim is now ours

Race safety: the first claim is an INSERT of the primary key, so two workers inserting at
once get one row and one IntegrityError. Every later change is a conditional UPDATE
(`WHERE status = 'running' AND lease_expires_at < now`, `WHERE worker_id = me`): on
PostgreSQL the second of two racing UPDATEs waits for the first to commit and re-checks
its WHERE clause against the new row, so at most one of them matches; SQLite runs writes
one at a time. `finish` only matches while the caller still holds the claim, so a worker
that lost its claim (its lease passed and another took over) cannot also record the job
as done: run the work and `finish` in one transaction and the loser's work rolls back.

Call claim() outside any transaction (autocommit), so the claim is visible to other
workers as soon as it returns. Leases use this host's clock: keep worker hosts on NTP.
"""

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.core.models import JobClaim


class ClaimOutcome(str, enum.Enum):
    CLAIMED = "claimed"
    ALREADY_DONE = "already_done"
    HELD_BY_OTHER = "held_by_other"
    TAKEN_OVER = "taken_over"


class ClaimLost(Exception):
    """The caller no longer holds the claim: another worker took the job over."""


@dataclass(frozen=True)
class ClaimResult:
    outcome: ClaimOutcome
    job_id: uuid.UUID
    status: str
    worker_id: str
    attempts: int
    lease_expires_at: datetime | None

    @property
    def is_ours(self) -> bool:
        return self.outcome in (ClaimOutcome.CLAIMED, ClaimOutcome.TAKEN_OVER)

    def lease_seconds_left(self) -> float:
        if self.lease_expires_at is None:
            return 0.0
        return max(0.0, (self.lease_expires_at - timezone.now()).total_seconds())


def claim(
    *, job_id: uuid.UUID, kind: str, tenant_id: uuid.UUID, worker_id: str, lease_seconds: float
) -> ClaimResult:
    if not worker_id:
        raise ValueError("worker_id must not be empty")
    for _ in range(3):  # a row deleted between the INSERT and the UPDATE makes us try again
        now = timezone.now()
        lease = now + timedelta(seconds=lease_seconds)
        try:
            with transaction.atomic():
                row = JobClaim.objects.create(
                    job_id=job_id, kind=kind, tenant_id=tenant_id, status=JobClaim.Status.RUNNING,
                    worker_id=worker_id, lease_expires_at=lease, attempts=1,
                )
            return _from_row(ClaimOutcome.CLAIMED, row)
        except IntegrityError:
            pass
        running = JobClaim.objects.filter(job_id=job_id, status=JobClaim.Status.RUNNING)
        take = dict(worker_id=worker_id, lease_expires_at=lease, attempts=F("attempts") + 1, updated_at=now)
        if running.filter(worker_id="").update(**take):
            return _result(ClaimOutcome.CLAIMED, job_id)
        if running.filter(lease_expires_at__lt=now).update(**take):
            return _result(ClaimOutcome.TAKEN_OVER, job_id)
        row = JobClaim.objects.filter(job_id=job_id).first()
        if row is None:
            continue
        outcome = ClaimOutcome.ALREADY_DONE if row.is_finished else ClaimOutcome.HELD_BY_OTHER
        return _from_row(outcome, row)
    raise RuntimeError(f"could not claim job {job_id}: its claim row keeps disappearing")


def extend_lease(*, job_id: uuid.UUID, worker_id: str, lease_seconds: float) -> bool:
    """Renews the caller's lease; False when the caller no longer holds the claim."""
    now = timezone.now()
    return bool(
        _held(job_id, worker_id).update(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
    )


def finish(*, job_id: uuid.UUID, worker_id: str) -> None:
    """Marks the job done. Raises ClaimLost, so the caller's transaction rolls back, when
    the caller no longer holds the claim."""
    now = timezone.now()
    changed = _held(job_id, worker_id).update(
        status=JobClaim.Status.DONE, finished_at=now, lease_expires_at=None, error="", updated_at=now
    )
    if not changed:
        raise ClaimLost(f"job {job_id} is no longer held by {worker_id}")


def fail(*, job_id: uuid.UUID, worker_id: str, error: str) -> None:
    """Marks the job failed for good (no retry). Raises ClaimLost like finish()."""
    now = timezone.now()
    changed = _held(job_id, worker_id).update(
        status=JobClaim.Status.FAILED, finished_at=now, lease_expires_at=None, error=error, updated_at=now
    )
    if not changed:
        raise ClaimLost(f"job {job_id} is no longer held by {worker_id}")


def release(*, job_id: uuid.UUID, worker_id: str, error: str = "") -> bool:
    """Gives up the claim after a retryable error: the next delivery claims it afresh."""
    now = timezone.now()
    return bool(_held(job_id, worker_id).update(worker_id="", lease_expires_at=now, error=error, updated_at=now))


def reopen(*, job_id: uuid.UUID) -> bool:
    """Makes a failed job claimable again (a dead-lettered message redriven): the next
    delivery claims it afresh. The last error stays until a run replaces it."""
    now = timezone.now()
    return bool(JobClaim.objects.filter(job_id=job_id, status=JobClaim.Status.FAILED).update(
        status=JobClaim.Status.RUNNING, worker_id="", lease_expires_at=now, finished_at=None, updated_at=now))


def hand_back(*, job_id: uuid.UUID, worker_id: str) -> bool:
    """Ends the lease now while the job may still be running here (shutdown): another
    worker may take it over at once. The owner stays recorded, so if this worker still
    finishes first, its finish() counts and the other worker finds the job done."""
    now = timezone.now()
    return bool(_held(job_id, worker_id).update(lease_expires_at=now, updated_at=now))


def _held(job_id: uuid.UUID, worker_id: str):
    return JobClaim.objects.filter(job_id=job_id, worker_id=worker_id, status=JobClaim.Status.RUNNING)


def _result(outcome: ClaimOutcome, job_id: uuid.UUID) -> ClaimResult:
    return _from_row(outcome, JobClaim.objects.get(job_id=job_id))


def _from_row(outcome: ClaimOutcome, row: JobClaim) -> ClaimResult:
    return ClaimResult(
        outcome=outcome, job_id=row.job_id, status=row.status, worker_id=row.worker_id,
        attempts=row.attempts, lease_expires_at=row.lease_expires_at,
    )
