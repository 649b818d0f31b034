"""An AI job that gave up, as the worker records it and `manage dlq` reopens it."""

from apps.core.queues.dead_letters import JobKind, JobRecord, JobState
from apps.domains.ai import selectors, services, status
from apps.shared.contracts import AIJobMessage, MessageKind


def give_up(message: AIJobMessage, reason: str) -> None:
    """The job's last delivery failed: the job says so instead of staying "processing"."""
    job = selectors.job_for_message(job_id=message.job_id, tenant_id=message.tenant_id)
    if job is not None and job.status in (status.QUEUED, status.PROCESSING):
        services.mark_failed(job=job, reason=reason)


def describe(message: AIJobMessage) -> JobRecord:
    job = selectors.job_for_message(job_id=message.job_id, tenant_id=message.tenant_id)
    if job is None:
        return JobRecord(JobState.UNKNOWN, f"AI job {message.job_id} no longer exists")
    summary = f"AI job {job.id} ({job.job_type}): {job.status}"
    if job.status == status.FAILED:
        return JobRecord(JobState.FAILED, f"{summary}: {job.failure_reason}")
    return JobRecord(JobState.FINISHED if job.status == status.SUCCEEDED else JobState.OPEN, summary)


def reopen(message: AIJobMessage) -> None:
    job = selectors.job_for_message(job_id=message.job_id, tenant_id=message.tenant_id)
    services.reopen(job=job)


KIND = JobKind(kind=MessageKind.AI_JOB.value, describe=describe, reopen=reopen)
