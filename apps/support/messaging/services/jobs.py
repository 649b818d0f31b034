"""The messaging worker's job handler.

This release has the queue, the runtime and the worker around it, not the messaging work itself:
every job fails for good with a message that says so (the claim is marked failed and the
message deleted), instead of being retried until it reaches the dead-letter queue.
"""

from apps.core.queues import JobContext, PermanentJobError


def handle(message, context: JobContext) -> None:
    raise PermanentJobError("messaging jobs are not available in this release")
