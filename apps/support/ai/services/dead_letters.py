"""An AI job that gave up, as the worker records it and `manage dlq` reopens it."""

from apps.core.queues.dead_letters import RecordKind
from apps.domains.ai import selectors, services, status
from apps.shared.contracts import MessageKind

KIND = RecordKind(
    kind=MessageKind.AI_JOB.value,
    find=lambda message: selectors.job_for_message(job_id=message.job_id, tenant_id=message.tenant_id),
    label=lambda job: f"AI job {job.id} ({job.job_type})",
    open=(status.QUEUED, status.PROCESSING), finished=(status.SUCCEEDED,), failed=status.FAILED,
    reason=lambda job: job.failure_reason,
    mark_failed=lambda job, reason: services.mark_failed(job=job, reason=reason),
    reopen_record=lambda job: services.reopen(job=job),
)
give_up = KIND.give_up
