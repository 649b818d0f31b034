"""Queues: the SQS queue service every role subclasses, and what a job handler sees."""

from apps.core.queues.jobs import (
    JobContext,
    JobHandler,
    PermanentJobError,
    gave_up_reason,
    give_up_hook,
    gives_up_with,
    is_long_running,
    long_running,
)
from apps.core.queues.sqs import (
    TRANSIENT_ERRORS,
    QueueError,
    QueueMissing,
    QueueSetup,
    QueueUnavailable,
    SQSQueue,
    sqs_client,
)

__all__ = [
    "TRANSIENT_ERRORS",
    "JobContext",
    "JobHandler",
    "PermanentJobError",
    "QueueError",
    "QueueMissing",
    "QueueSetup",
    "QueueUnavailable",
    "SQSQueue",
    "gave_up_reason",
    "give_up_hook",
    "gives_up_with",
    "is_long_running",
    "long_running",
    "sqs_client",
]
