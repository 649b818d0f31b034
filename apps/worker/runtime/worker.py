"""The worker loop: receive as many messages as there is room for (free job threads plus
prefetch places), run each job on a thread, settle each message by its outcome.
At-least-once delivery from SQS, done-once work through job claims.

    Worker(queue=VideoSQSQueue(), handler=jobs.handle, config=WorkerConfig.from_settings("video")).run()

The pieces, one module each: poller (interruptible long poll, backoff when SQS is down),
pool (job threads), processor (decode, claim, run, decide), heartbeat (visibility and
lease renewal), acks (batched deletes), deadletter (poison messages), backoff, shutdown,
health, metrics and logging. Every thread that touches the database has its own
connection (connections.py); all share one boto3 client, which is thread-safe.
"""

import logging
import os
import socket
import tempfile
import time
import uuid
from pathlib import Path

from django.db import DatabaseError

from apps.core.queues.sqs import MAX_BATCH
from apps.core.selectors.job_claims import get_job_claim
from apps.core.services import job_claims
from apps.worker.runtime.acks import Acks
from apps.worker.runtime.config import WorkerConfig
from apps.worker.runtime.connections import refresh_connections
from apps.worker.runtime.deadletter import send_to_dead_letter_queue
from apps.worker.runtime.health import Health
from apps.worker.runtime.heartbeat import Heartbeat
from apps.worker.runtime.inflight import InFlight, InFlightSet
from apps.worker.runtime.logging import event, log
from apps.worker.runtime.metrics import Metrics
from apps.worker.runtime.poller import TRANSIENT, Poller, call_with_backoff
from apps.worker.runtime.pool import JobPool
from apps.worker.runtime.processor import ACK, DEAD_LETTER, DEFER, RETRY, Outcome, Processor
from apps.worker.runtime.shutdown import Shutdown, drain


class Worker:
    def __init__(self, *, queue, handler, config: WorkerConfig):
        self.queue, self.handler, self.config = queue, handler, config
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.metrics = Metrics(config.name)
        self.shutdown = Shutdown(config.grace_seconds)
        self.inflight = InFlightSet()
        health_file = config.health_file or Path(tempfile.gettempdir()) / f"academy-{config.name}.alive"
        self.health = Health(path=health_file, max_age=config.health_max_age,
                             address=config.health_address, status=self.metrics.snapshot)
        self.pool = JobPool(config.concurrency, self._job, prefetch=config.prefetch)
        self.shutdown.add_waker(self.pool.wake)
        self.poller = Poller(queue=queue, shutdown=self.shutdown, wait_seconds=config.wait_seconds,
                             backoff=config.connection_backoff, on_wait=self.health.beat, metrics=self.metrics)
        self.acks = Acks(queue, metrics=self.metrics)
        self.processor: Processor | None = None
        self.heartbeat: Heartbeat | None = None
        self.lease_seconds = config.default_visibility_timeout

    def run(self) -> int:
        """Runs until SIGTERM/SIGINT (or, with once, until the queue is empty); returns 0."""
        with self.shutdown.signals_installed():
            self.health.start()
            try:
                if self.config.metrics_address:
                    self.metrics.serve(self.config.metrics_address)
                if self._start():
                    self._loop()
            finally:
                self._stop()
        return 0

    def _loop(self) -> None:
        next_report = time.monotonic() + self.config.metrics_interval
        while not self.shutdown.requested:
            self.health.beat()
            room = self.pool.wait_for_room(timeout=1.0)
            messages = self.poller.poll(min(MAX_BATCH, room)) if room else []
            self._dispatch(messages)
            if time.monotonic() >= next_report:
                next_report += self.config.metrics_interval
                event(logging.INFO, "worker metrics", **self.metrics.snapshot())
            if self.config.once and room and not messages and self.pool.busy == 0:
                break

    def _dispatch(self, messages: list[dict]) -> None:
        not_started = []
        for message in messages:
            entry = InFlight(message)
            self.metrics.incr("received")
            if self.shutdown.requested:
                not_started.append(entry)
                continue
            self.inflight.add(entry)
            self.pool.submit(entry)
        self._hand_back(not_started)

    def _job(self, entry: InFlight) -> None:
        if self.shutdown.requested:  # a prefetched message that no thread started before the signal
            if self.inflight.remove(entry):
                self._hand_back([entry])
            return
        refresh_connections()
        with self.metrics.job() as job:
            try:
                outcome = self.processor.process(entry)
            except Exception as exc:  # a bug in the runtime itself: keep the message, keep the thread
                log.exception("processing failed", extra={"fields": {"message_id": entry.message_id}})
                outcome = Outcome(RETRY, "retried", self.config.retry_backoff.visibility(entry.receive_count),
                                  repr(exc))
            job["outcome"] = outcome.counter or outcome.action
        if self.inflight.remove(entry):  # else shutdown handed it back already
            self._settle(entry, outcome)

    def _settle(self, entry: InFlight, outcome: Outcome) -> None:
        if outcome.counter:
            self.metrics.incr(outcome.counter)
        try:
            if outcome.action == ACK:
                self.acks.add(entry.receipt_handle, entry.message_id)
            elif outcome.action in (RETRY, DEFER):
                self.queue.change_visibility(entry.receipt_handle, outcome.visibility)
            elif outcome.action == DEAD_LETTER:
                if send_to_dead_letter_queue(self.queue, entry, outcome.reason):
                    self.acks.add(entry.receipt_handle, entry.message_id)
                else:
                    self.metrics.sqs_error("send_dlq")
        except TRANSIENT as exc:
            self.metrics.sqs_error("change_visibility")
            event(logging.WARNING, "could not settle a message; it reappears after its visibility timeout",
                  message_id=entry.message_id, action=outcome.action, error=str(exc))

    def _start(self) -> bool:
        setup = call_with_backoff(self.queue.setup, what=f"reading queue {self.queue.name!r}",
                                  backoff=self.config.connection_backoff, shutdown=self.shutdown,
                                  on_error=lambda exc: self.metrics.sqs_error("setup"))
        if setup is None:
            return False
        if setup.max_receive_count is None:
            event(logging.WARNING, "the queue has no redrive policy: failing jobs are retried forever",
                  queue=setup.name)
        self.lease_seconds = setup.visibility_timeout or self.config.default_visibility_timeout
        self.processor = Processor(
            message_type=self.queue.message_type, handler=self.handler, worker_id=self.worker_id,
            lease_seconds=self.lease_seconds, retry_backoff=self.config.retry_backoff,
            max_receive_count=setup.max_receive_count, metrics=self.metrics,
        )
        self.heartbeat = Heartbeat(queue=self.queue, inflight=self.inflight, visibility_timeout=self.lease_seconds,
                                   renew_claim=self._renew_claim, claim_finished=self._claim_finished,
                                   metrics=self.metrics).start()
        event(logging.INFO, "worker started", queue=setup.name, dlq=setup.dlq_name, worker_id=self.worker_id,
              concurrency=self.config.concurrency, prefetch=self.config.prefetch,
              visibility_timeout=self.lease_seconds,
              max_receive_count=setup.max_receive_count, wait_seconds=self.config.wait_seconds,
              once=self.config.once, health_file=str(self.health.path), health_port=self.health.port,
              metrics_port=self.metrics.port)
        return True

    def _stop(self) -> None:
        waiting = [e for e in self.pool.take_waiting() if self.inflight.remove(e)]
        self._hand_back(waiting)
        handed_back = drain(shutdown=self.shutdown, wait_idle=self.pool.wait_idle,
                            take_running=self.inflight.take_all, hand_back=self._hand_back)
        if self.heartbeat:
            self.heartbeat.stop()
        self.acks.close()
        self.health.stop()
        self.metrics.stop()
        event(logging.INFO, "worker stopped", reason=self.shutdown.reason or "queue drained",
              jobs_handed_back=handed_back, **self.metrics.snapshot())

    def _hand_back(self, entries: list[InFlight]) -> None:
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
            except TRANSIENT as exc:
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

    def _renew_claim(self, entry: InFlight) -> bool:
        return job_claims.extend_lease(job_id=entry.job_id, worker_id=self.worker_id, lease_seconds=self.lease_seconds)

    def _claim_finished(self, entry: InFlight) -> bool:
        claim = get_job_claim(job_id=entry.job_id)
        return claim is not None and claim.is_finished
