"""What a job handler is, what it is given, and how it says "never retry this".

A handler is a plain function:

    def handle(message: VideoTranscodeMessage, context: JobContext) -> None: ...

It returns to say the job is done. It raises PermanentJobError when the job can never
succeed (bad input, a feature that is not available): the worker marks the job's claim
failed and deletes the message, so it is not retried. Any other exception means "try
again later": the message comes back after a backoff, and after the queue's
maxReceiveCount deliveries the queue moves it to the dead-letter queue.

When the last delivery fails, the worker marks the claim failed with "gave up after N
attempts: <last error>" and calls the handler's give-up hook, so the job's own record
(a video, an AI job, a message batch) says `failed` too instead of staying `processing`:

    @gives_up_with(mark_given_up)      # mark_given_up(message, reason) -> None
    def handle(message, context): ...

`manage dlq redrive` re-opens such a job and puts its message back on the queue.

By default the worker runs the handler and marks the job done in one database
transaction, so the handler's database writes and "done" commit together or not at all.
A handler that runs for minutes (transcoding, model inference) should not hold a
transaction that long: decorate it with @long_running, and the worker runs it in
autocommit and marks the job done afterwards. Such a handler must make its own writes
safe to repeat, because a worker that dies between the work and "done" leaves the job
to be run again.

Handlers live in apps.support.*/services/jobs.py; they do not import the worker runtime.
"""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class PermanentJobError(Exception):
    """The job can never succeed; retrying it would only fill the queue. Say why."""


@dataclass(frozen=True)
class JobContext:
    job_id: uuid.UUID
    tenant_id: uuid.UUID
    trace_id: str
    kind: str
    # The worker process holding the job's claim.
    worker_id: str
    # SQS's ApproximateReceiveCount: 1 on the first delivery.
    receive_count: int
    # Times the job was claimed, this claim included (retries and takeovers add one).
    attempt: int
    # True when this worker took the job over from a worker whose lease had passed.
    taken_over: bool
    # Set when the worker shuts down or loses the claim: a long handler should stop early.
    cancelled: threading.Event = field(default_factory=threading.Event, compare=False)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled.is_set()


JobHandler = Callable[[Any, JobContext], None]


def long_running(handler: JobHandler) -> JobHandler:
    """Marks a handler that must not run inside one database transaction (see above)."""
    handler.long_running = True  # type: ignore[attr-defined]
    return handler


def is_long_running(handler: JobHandler) -> bool:
    return bool(getattr(handler, "long_running", False))


GiveUpHook = Callable[[Any, str], None]


def gives_up_with(hook: GiveUpHook) -> Callable[[JobHandler], JobHandler]:
    """Names what records a job as failed when its last delivery fails (see above)."""

    def mark(handler: JobHandler) -> JobHandler:
        handler.give_up = hook  # type: ignore[attr-defined]
        return handler

    return mark


def give_up_hook(handler: JobHandler) -> GiveUpHook | None:
    return getattr(handler, "give_up", None)


def gave_up_reason(attempts: int, error: str) -> str:
    """The one wording of a job that gave up, shown by the API and `manage dlq`."""
    return f"gave up after {attempts} attempt{'s' if attempts != 1 else ''}: {error}"
