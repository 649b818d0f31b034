"""JobClaim: who is working on a queued job, and whether it is finished.

A queue delivers each message at least once, so a job can arrive twice, or arrive again
while the worker that took it is still busy or has died. The claim row, keyed by the
message's job_id, turns that into "done once": a worker claims the job before it works,
renews the claim's lease while it works, and marks it done (or failed) at the end.
Write through apps.core.services.job_claims; read through apps.core.selectors.job_claims.
"""

from django.db import models

from apps.core.models.base import TimestampModel


class JobClaim(TimestampModel):
    class Status(models.TextChoices):
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    # The idempotency key that travels in every job message.
    job_id = models.UUIDField(primary_key=True, editable=False)
    # The message kind, e.g. "video.transcode".
    kind = models.CharField(max_length=64)
    # Plain UUID, not a foreign key: the claim guards the queue, whatever the tenant table holds.
    tenant_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    # The worker process holding the claim; "" after a retryable failure released it.
    worker_id = models.CharField(max_length=200, blank=True)
    # A running claim whose lease has passed belongs to nobody: another worker may take it over.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Times the job was claimed (first claim, retries and takeovers).
    attempts = models.PositiveIntegerField(default=0)
    # The last error: a retryable one while running, the permanent one when failed.
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="core_jobclaim_status_lease")]

    def __str__(self) -> str:
        return f"{self.kind} {self.job_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
