"""One message, start to end: decode it, claim its job, run the handler, and decide what
becomes of the message. The decision is an Outcome; the worker carries it out.

  body is poison (bad JSON, wrong schema, unknown version, too big)  -> DEAD_LETTER
  job already finished                                               -> ACK (a duplicate)
  another worker holds the job's lease                               -> DEFER until it ends
  handler returned                                                   -> ACK, claim done
  handler raised PermanentJobError                                   -> ACK, claim failed
  handler raised anything else (or the database did)                 -> RETRY after a backoff
  ... on the message's last delivery (maxReceiveCount)               -> RETRY at once, the job
                                                                        marked failed ("gave up
                                                                        after N attempts: ..."):
                                                                        the queue moves it to the DLQ
  this worker lost the claim while it ran                            -> DROP (the new owner acks)

Unless the handler is @long_running, the handler and finish() run in one transaction:
the job's database writes and its "done" commit together, and a worker that lost its
claim (finish() raises ClaimLost) rolls its writes back. A @long_running handler runs in
autocommit and finish() follows it, so its writes must be safe to repeat.
"""

import logging
import math
import time
from dataclasses import dataclass

from django.db import DatabaseError, transaction

from apps.core.queues import JobContext, PermanentJobError, gave_up_reason, give_up_hook, is_long_running
from apps.core.services import job_claims
from apps.core.services.job_claims import ClaimLost, ClaimOutcome
from apps.shared.contracts import PoisonMessage, decode
from apps.worker.runtime.backoff import MAX_VISIBILITY_SECONDS, RetryBackoff
from apps.worker.runtime.inflight import InFlight
from apps.worker.runtime.logging import event, job_fields, log

ACK, RETRY, DEFER, DEAD_LETTER, DROP = "ack", "retry", "defer", "dead_letter", "drop"


@dataclass(frozen=True)
class Outcome:
    action: str
    counter: str | None
    visibility: int = 0
    reason: str = ""


class Processor:
    def __init__(self, *, message_type, handler, worker_id: str, lease_seconds: int,
                 retry_backoff: RetryBackoff, max_receive_count: int | None, metrics=None):
        self.message_type = message_type
        self.handler = handler
        self.long_running = is_long_running(handler)
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.retry_backoff = retry_backoff
        self.max_receive_count = max_receive_count
        self.metrics = metrics

    def process(self, entry: InFlight) -> Outcome:
        try:
            message = decode(entry.body, self.message_type)
        except PoisonMessage as exc:
            return Outcome(DEAD_LETTER, "dead_lettered", reason=str(exc))
        entry.job_id = message.job_id
        with job_fields(job_id=message.job_id, trace_id=message.trace_id, tenant_id=message.tenant_id,
                        message_id=entry.message_id, receive_count=entry.receive_count):
            try:
                return self._claim_and_run(entry, message)
            except DatabaseError as exc:
                return self._retry(entry, f"database error: {exc}", message)

    def _claim_and_run(self, entry: InFlight, message) -> Outcome:
        claim = job_claims.claim(job_id=message.job_id, kind=message.kind.value, tenant_id=message.tenant_id,
                                 worker_id=self.worker_id, lease_seconds=self.lease_seconds)
        if claim.outcome == ClaimOutcome.ALREADY_DONE:
            event(logging.INFO, "job already finished; acknowledging the duplicate delivery", status=claim.status)
            return Outcome(ACK, "duplicates")
        if claim.outcome == ClaimOutcome.HELD_BY_OTHER:
            seconds = min(MAX_VISIBILITY_SECONDS, max(1, math.ceil(claim.lease_seconds_left()) + 1))
            event(logging.INFO, "job is held by another worker; leaving the message until its lease ends",
                  holder=claim.worker_id, retry_in_seconds=seconds)
            return Outcome(DEFER, "deferred", visibility=seconds)
        if claim.outcome == ClaimOutcome.TAKEN_OVER:
            event(logging.WARNING, "taking over a job whose worker's lease had passed", attempt=claim.attempts)
            if self.metrics:
                self.metrics.incr("taken_over")
        context = JobContext(
            job_id=message.job_id, tenant_id=message.tenant_id, trace_id=message.trace_id, kind=message.kind.value,
            worker_id=self.worker_id, receive_count=entry.receive_count, attempt=claim.attempts,
            taken_over=claim.outcome == ClaimOutcome.TAKEN_OVER, cancelled=entry.cancelled,
        )
        entry.claimed = True
        started = time.monotonic()
        try:
            self._run(message, context)
        except ClaimLost:
            event(logging.WARNING, "lost the job's claim while running it; its work is rolled back and "
                  "the worker that took it over finishes it")
            return Outcome(DROP, "duplicates")
        except PermanentJobError as exc:
            return self._fail(entry, str(exc))
        except Exception as exc:  # any other handler error is worth another try
            log.warning("job raised", exc_info=True, extra={"fields": {"error": repr(exc)}})
            return self._retry(entry, repr(exc), message)
        finally:
            entry.claimed = False
        event(logging.INFO, "job done", seconds=round(time.monotonic() - started, 3),
              taken_over=context.taken_over)
        return Outcome(ACK, "succeeded")

    def _run(self, message, context: JobContext) -> None:
        if self.long_running:
            self.handler(message, context)
            job_claims.finish(job_id=message.job_id, worker_id=self.worker_id)
            return
        with transaction.atomic():
            self.handler(message, context)
            job_claims.finish(job_id=message.job_id, worker_id=self.worker_id)

    def _fail(self, entry: InFlight, error: str) -> Outcome:
        entry.claimed = False  # the heartbeat stops renewing before the claim changes hands
        try:
            job_claims.fail(job_id=entry.job_id, worker_id=self.worker_id, error=error)
        except ClaimLost:
            return Outcome(DROP, "duplicates")
        event(logging.WARNING, "job failed for good; not retrying", error=error)
        return Outcome(ACK, "failed", reason=error)

    def _retry(self, entry: InFlight, error: str, message) -> Outcome:
        entry.claimed = False  # the heartbeat stops renewing before the claim changes hands
        last = self.max_receive_count is not None and entry.receive_count >= self.max_receive_count
        if last:
            return self._give_up(entry, error, message)
        if entry.job_id is not None:
            try:
                job_claims.release(job_id=entry.job_id, worker_id=self.worker_id, error=error[:10_000])
            except DatabaseError as exc:
                event(logging.WARNING, "could not release the job's claim; it frees up when its lease ends",
                      error=str(exc))
        seconds = self.retry_backoff.visibility(entry.receive_count)
        event(logging.WARNING, "job will be retried", error=error, retry_in_seconds=seconds)
        return Outcome(RETRY, "retried", visibility=seconds, reason=error)

    def _give_up(self, entry: InFlight, error: str, message) -> Outcome:
        """The last delivery failed: the job is recorded failed, here and in its own record,
        and the message goes back at once for the queue's redrive policy to dead-letter."""
        reason = gave_up_reason(entry.receive_count, error)[:10_000]
        hook = give_up_hook(self.handler)
        try:
            with transaction.atomic():  # the claim and the job's record say failed together
                job_claims.fail(job_id=entry.job_id, worker_id=self.worker_id, error=reason)
                if hook is not None:
                    hook(message, reason)
        except ClaimLost:
            pass  # another worker took it over and decides its fate
        except Exception as exc:  # the database is down, say: the DLQ still has the message
            event(logging.ERROR, "could not record the job as given up", error=repr(exc))
        event(logging.ERROR, "job failed on its last delivery; the queue's redrive policy moves it to the DLQ",
              error=error, max_receive_count=self.max_receive_count)
        return Outcome(RETRY, "dead_lettered", visibility=0, reason=reason)
