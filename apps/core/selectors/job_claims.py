"""Reading job claims: for operators, tests and the API's job status views."""

import uuid
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from apps.core.models import JobClaim


def get_job_claim(*, job_id: uuid.UUID) -> JobClaim | None:
    return JobClaim.objects.filter(job_id=job_id).first()


def stale_job_claims(*, now: datetime | None = None) -> QuerySet[JobClaim]:
    """Running claims whose lease has passed: their worker died or handed them back, and
    the next delivery of their message takes them over."""
    return JobClaim.objects.filter(
        status=JobClaim.Status.RUNNING, lease_expires_at__lt=now or timezone.now()
    ).order_by("lease_expires_at")
