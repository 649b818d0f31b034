"""The AI workers' job handler (CPU and GPU queues alike).

OCR, answer-sheet grading and embeddings are not part of this release. Until they are,
every AI job fails for good with a message that says so: the worker marks the job's
claim failed and deletes the message, instead of retrying it until it reaches the
dead-letter queue.
"""

from apps.core.queues import JobContext, PermanentJobError, long_running
from apps.shared.contracts import AIJobMessage


# Inference takes long, so the real handler will not run inside one transaction.
@long_running
def handle(message: AIJobMessage, context: JobContext) -> None:
    raise PermanentJobError(f"AI job type {message.job_type.value!r} is not available in this release")
