"""A received message's life in this worker, and its job's claim with it, from receipt to
release. The worker loop only moves messages between these steps:

  take()           received: the message is in flight. The heartbeat keeps it invisible
                   and, while its job is claimed, renews the claim's lease (renew_lease());
                   a lease it cannot renew, on a claim not finished (is_finished()), means
                   another worker took the job over.
  run()            on a job thread: decide() what became of the job, count it, and settle
                   the message by it (ack, change its visibility, or dead-letter it).
  hand_back()      at shutdown: a claim still held ends its lease now, and the message is
                   visible again at once.

decide() decodes the body, claims the job, runs the handler, and returns an Outcome:

  body is poison (bad JSON, wrong schema, unknown version, too big)  -> POISON: to the DLQ
  job already finished                                               -> DUPLICATE: ack
  another worker holds the job's lease                               -> DEFERRED until it ends
  handler returned                                                   -> SUCCEEDED: ack, claim done
  handler raised PermanentJobError                                   -> FAILED: ack, claim failed
  handler raised anything else (or the database did)                 -> RETRIED after a backoff
  ... on the message's last delivery (maxReceiveCount)               -> GAVE_UP: visible at once,
                                                                        the job marked failed
                                                                        ("gave up after N attempts:
                                                                        ..."): the queue moves it
                                                                        to the DLQ
  this worker lost the claim while it ran                            -> LOST: left alone (the new
                                                                        owner acks)

Unless the handler is @long_running, the handler and finish() run in one transaction:
the job's database writes and its "done" commit together, and a worker that lost its
claim (finish() raises ClaimLost) rolls its writes back. A @long_running handler runs in
autocommit and finish() follows it, so its writes must be safe to repeat.
"""

import enum
import logging
import math
import time
from dataclasses import dataclass

from django.db import DatabaseError, transaction

from apps.core.queues import (
    TRANSIENT_ERRORS,
    JobContext,
    PermanentJobError,
    gave_up_reason,
    give_up_hook,
    is_long_running,
)
from apps.core.queues.sqs import MAX_BATCH, MAX_VISIBILITY_SECONDS
from apps.core.selectors.job_claims import get_job_claim
from apps.core.services import job_claims
from apps.core.services.job_claims import ClaimLost, ClaimOutcome
from apps.shared.contracts import PoisonMessage, decode
from apps.worker.runtime.acks import Acks
from apps.worker.runtime.backoff import RetryBackoff
from apps.worker.runtime.deadletter import send_to_dead_letter_queue
from apps.worker.runtime.inflight import InFlight, InFlightSet
from apps.worker.runtime.logging import event, job_fields, log
from apps.worker.runtime.metrics import Metrics


class Verdict(enum.Enum):
    """What became of a delivery (the table above)."""

    POISON = "poison"
    DUPLICATE = "duplicate"
    DEFERRED = "deferred"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRIED = "retried"
    GAVE_UP = "gave_up"
    LOST = "lost"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    visibility: int = 0  # seconds until the message is seen again, where it stays in the queue
    reason: str = ""


# What settling does with a message, by its verdict.
ACK, RETRY, DEFER, DEAD_LETTER, DROP = "ack", "retry", "defer", "dead_letter", "drop"
ACTIONS = {
    Verdict.POISON: DEAD_LETTER,
    Verdict.DUPLICATE: ACK,
    Verdict.DEFERRED: DEFER,
    Verdict.SUCCEEDED: ACK,
    Verdict.FAILED: ACK,
    Verdict.RETRIED: RETRY,
    Verdict.GAVE_UP: RETRY,
    Verdict.LOST: DROP,
}
# The counter each verdict counts in (metrics.py), also its job duration's outcome label.
COUNTERS = {
    Verdict.POISON: "dead_lettered",
    Verdict.DUPLICATE: "duplicates",
    Verdict.DEFERRED: "deferred",
    Verdict.SUCCEEDED: "succeeded",
    Verdict.FAILED: "failed",
    Verdict.RETRIED: "retried",
    Verdict.GAVE_UP: "dead_lettered",
    Verdict.LOST: "duplicates",
}


class Claims:
    """The messages one worker holds, and its claims on their jobs. Made once the queue's
    setup is read: the claim lease is the queue's visibility timeout."""

    def __init__(self, *, queue, handler, worker_id: str, lease_seconds: int, retry_backoff: RetryBackoff,
                 max_receive_count: int | None, acks: Acks, metrics: Metrics):
        self.queue = queue
        self.handler = handler
        self.long_running = is_long_running(handler)
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.retry_backoff = retry_backoff
        self.max_receive_count = max_receive_count
        self.acks = acks
        self.metrics = metrics
        self.inflight = InFlightSet()

    # --- receipt and the heartbeat's questions --------------------------------------------

    def take(self, message: dict) -> InFlight:
        entry = InFlight(message)
        self.inflight.add(entry)
        return entry

    def renew_lease(self, entry: InFlight) -> bool:
        return job_claims.extend_lease(job_id=entry.job_id, worker_id=self.worker_id, lease_seconds=self.lease_seconds)

    def is_finished(self, entry: InFlight) -> bool:
        claim = get_job_claim(job_id=entry.job_id)
        return claim is not None and claim.is_finished

    # --- a job thread's work on one message -----------------------------------------------

    def run(self, entry: InFlight) -> None:
        with self.metrics.job() as job:
            try:
                outcome = self.decide(entry)
            except Exception as exc:  # a bug in the runtime itself: keep the message, keep the thread
                log.exception("processing failed", extra={"fields": {"message_id": entry.message_id}})
                outcome = Outcome(Verdict.RETRIED, self.retry_backoff.visibility(entry.receive_count), repr(exc))
            job["outcome"] = COUNTERS[outcome.verdict]
        if self.inflight.remove(entry):  # else shutdown handed it back already
            self._settle(entry, outcome)

    def decide(self, entry: InFlight) -> Outcome:
        try:
            message = decode(entry.body, self.queue.message_type)
        except PoisonMessage as exc:
            return Outcome(Verdict.POISON, reason=str(exc))
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
            return Outcome(Verdict.DUPLICATE)
        if claim.outcome == ClaimOutcome.HELD_BY_OTHER:
            seconds = min(MAX_VISIBILITY_SECONDS, max(1, math.ceil(claim.lease_seconds_left()) + 1))
            event(logging.INFO, "job is held by another worker; leaving the message until its lease ends",
                  holder=claim.worker_id, retry_in_seconds=seconds)
            return Outcome(Verdict.DEFERRED, visibility=seconds)
        if claim.outcome == ClaimOutcome.TAKEN_OVER:
            event(logging.WARNING, "taking over a job whose worker's lease had passed", attempt=claim.attempts)
            self.metrics.incr("taken_over")
        context = JobContext(
            job_id=message.job_id, tenant_id=message.tenant_id, trace_id=message.trace_id, kind=message.kind.value,
            worker_id=self.worker_id, receive_count=entry.receive_count, attempt=claim.attempts,
            taken_over=claim.outcome == ClaimOutcome.TAKEN_OVER, cancelled=entry.cancelled,
        )
        entry.claimed = True
        started = time.monotonic()
        try:
            self._run_handler(message, context)
        except ClaimLost:
            event(logging.WARNING, "lost the job's claim while running it; its work is rolled back and "
                  "the worker that took it over finishes it")
            return Outcome(Verdict.LOST)
        except PermanentJobError as exc:
            return self._fail(entry, str(exc))
        except Exception as exc:  # any other handler error is worth another try
            log.warning("job raised", exc_info=True, extra={"fields": {"error": repr(exc)}})
            return self._retry(entry, repr(exc), message)
        finally:
            entry.claimed = False
        event(logging.INFO, "job done", seconds=round(time.monotonic() - started, 3),
              taken_over=context.taken_over)
        return Outcome(Verdict.SUCCEEDED)

    def _run_handler(self, message, context: JobContext) -> None:
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
            return Outcome(Verdict.LOST)
        event(logging.WARNING, "job failed for good; not retrying", error=error)
        return Outcome(Verdict.FAILED, reason=error)

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
        return Outcome(Verdict.RETRIED, visibility=seconds, reason=error)

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
        return Outcome(Verdict.GAVE_UP, visibility=0, reason=reason)

    def _settle(self, entry: InFlight, outcome: Outcome) -> None:
        self.metrics.incr(COUNTERS[outcome.verdict])
        action = ACTIONS[outcome.verdict]
        try:
            if action == ACK:
                self.acks.add(entry.receipt_handle, entry.message_id)
            elif action in (RETRY, DEFER):
                self.queue.change_visibility(entry.receipt_handle, outcome.visibility)
            elif action == DEAD_LETTER:
                if send_to_dead_letter_queue(self.queue, entry, outcome.reason):
                    self.acks.add(entry.receipt_handle, entry.message_id)
                else:
                    self.metrics.sqs_error("send_dlq")
            # DROP: the worker that took the job over settles its message
        except TRANSIENT_ERRORS as exc:
            self.metrics.sqs_error("change_visibility")
            event(logging.WARNING, "could not settle a message; it reappears after its visibility timeout",
                  message_id=entry.message_id, action=action, error=str(exc))

    # --- release at shutdown --------------------------------------------------------------

    def hand_back_unsettled(self, entries: list[InFlight]) -> None:
        """Hands back those of entries still in flight (not settled, nor handed back already)."""
        self.hand_back([entry for entry in entries if self.inflight.remove(entry)])

    def hand_back(self, entries: list[InFlight]) -> None:
        """Makes messages visible again now; a claim held for one ends its lease now too."""
        if not entries:
            return
        for entry in entries:
            if entry.claimed:
                try:
                    job_claims.hand_back(job_id=entry.job_id, worker_id=self.worker_id)
                except DatabaseError as exc:
                    event(logging.WARNING, "could not hand back a claim; it frees up when its lease ends",
                          job_id=entry.job_id, error=str(exc))
        for start in range(0, len(entries), MAX_BATCH):
            chunk = entries[start:start + MAX_BATCH]
            try:
                failed = self.queue.change_visibility_batch(
                    (str(i), e.receipt_handle, 0) for i, e in enumerate(chunk))
            except TRANSIENT_ERRORS as exc:
                failed = [{"Id": str(i), "Message": str(exc)} for i in range(len(chunk))]
                self.metrics.sqs_error("change_visibility")
            else:
                self.metrics.sqs_error("change_visibility", len(failed))
            for failure in failed:
                event(logging.WARNING, "could not hand back a message; it reappears after its visibility timeout",
                      message_id=chunk[int(failure["Id"])].message_id, reason=failure.get("Message"))
        self.metrics.incr("handed_back", len(entries))
        event(logging.INFO, "handed messages back to the queue", count=len(entries),
              message_ids=[e.message_id for e in entries])
