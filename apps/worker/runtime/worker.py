"""The worker loop: receive as many messages as there is room for (free job threads plus
prefetch places), run each job on a thread, and stop on a signal or when the stop policy
says so. At-least-once delivery from SQS, done-once work through job claims.

    Worker(queue=VideoSQSQueue(), handler=jobs.handle, config=WorkerConfig.from_settings("video")).run()

The pieces, one module each: poller (interruptible long poll, backoff when SQS is down),
pool (job threads), claims (a message from receipt to release: decode, claim, run, decide,
settle, hand back), heartbeat (visibility and lease renewal), acks (batched deletes),
deadletter (poison messages), backoff, stopping, shutdown, health, metrics and logging.
Every thread that touches the database has its own connection (connections.py); all
share one boto3 client, which is thread-safe.
"""

import logging
import os
import socket
import time
import uuid

from apps.core.queues.sqs import MAX_BATCH
from apps.worker.runtime.acks import Acks
from apps.worker.runtime.claims import Claims
from apps.worker.runtime.config import WorkerConfig
from apps.worker.runtime.connections import refresh_connections
from apps.worker.runtime.health import Health, default_health_file
from apps.worker.runtime.heartbeat import Heartbeat
from apps.worker.runtime.inflight import InFlight
from apps.worker.runtime.logging import event
from apps.worker.runtime.metrics import Metrics
from apps.worker.runtime.poller import Poller, call_with_backoff
from apps.worker.runtime.pool import JobPool
from apps.worker.runtime.shutdown import Shutdown, drain


class Worker:
    def __init__(self, *, queue, handler, config: WorkerConfig):
        self.queue, self.handler, self.config = queue, handler, config
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.metrics = Metrics(config.name)
        self.shutdown = Shutdown(config.grace_seconds)
        self.health = Health(path=config.health_file or default_health_file(config.name),
                             max_age=config.health_max_age, address=config.health_address,
                             status=self.metrics.snapshot)
        self.pool = JobPool(config.concurrency, self._job, prefetch=config.prefetch)
        self.shutdown.add_waker(self.pool.wake)
        self.poller = Poller(queue=queue, shutdown=self.shutdown, wait_seconds=config.wait_seconds,
                             backoff=config.connection_backoff, on_wait=self.health.beat, metrics=self.metrics)
        self.acks = Acks(queue, metrics=self.metrics)
        # Both need the queue's setup (its visibility timeout and maxReceiveCount): see _start().
        self.claims: Claims | None = None
        self.heartbeat: Heartbeat | None = None

    def run(self) -> int:
        """Runs until SIGTERM/SIGINT (or until the stop policy ends the loop); returns 0."""
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
            if self.config.stop_policy.should_stop(polled=bool(room), received=len(messages), busy=self.pool.busy):
                break

    def _dispatch(self, messages: list[dict]) -> None:
        not_started = []
        for message in messages:
            self.metrics.incr("received")
            if self.shutdown.requested:
                not_started.append(InFlight(message))
                continue
            self.pool.submit(self.claims.take(message))
        self.claims.hand_back(not_started)

    def _job(self, entry: InFlight) -> None:
        if self.shutdown.requested:  # a prefetched message that no thread started before the signal
            self.claims.hand_back_unsettled([entry])
            return
        refresh_connections()
        self.claims.run(entry)

    def _start(self) -> bool:
        setup = call_with_backoff(self.queue.setup, what=f"reading queue {self.queue.name!r}",
                                  backoff=self.config.connection_backoff, shutdown=self.shutdown,
                                  on_error=lambda exc: self.metrics.sqs_error("setup"))
        if setup is None:
            return False
        if setup.max_receive_count is None:
            event(logging.WARNING, "the queue has no redrive policy: failing jobs are retried forever",
                  queue=setup.name)
        lease_seconds = setup.visibility_timeout or self.config.default_visibility_timeout
        self.claims = Claims(
            queue=self.queue, handler=self.handler, worker_id=self.worker_id, lease_seconds=lease_seconds,
            retry_backoff=self.config.retry_backoff, max_receive_count=setup.max_receive_count,
            acks=self.acks, metrics=self.metrics,
        )
        self.heartbeat = Heartbeat(queue=self.queue, inflight=self.claims.inflight, visibility_timeout=lease_seconds,
                                   renew_claim=self.claims.renew_lease, claim_finished=self.claims.is_finished,
                                   metrics=self.metrics).start()
        event(logging.INFO, "worker started", queue=setup.name, dlq=setup.dlq_name, worker_id=self.worker_id,
              concurrency=self.config.concurrency, prefetch=self.config.prefetch,
              visibility_timeout=lease_seconds,
              max_receive_count=setup.max_receive_count, wait_seconds=self.config.wait_seconds,
              once=self.config.stop_policy.once, health_file=str(self.health.path), health_port=self.health.port,
              metrics_port=self.metrics.port)
        return True

    def _stop(self) -> None:
        handed_back = self._hand_back_all() if self.claims is not None else 0
        if self.heartbeat:
            self.heartbeat.stop()
        self.acks.close()
        self.health.stop()
        self.metrics.stop()
        event(logging.INFO, "worker stopped", reason=self.shutdown.reason or "queue drained",
              jobs_handed_back=handed_back, **self.metrics.snapshot())

    def _hand_back_all(self) -> int:
        """Hands back what waits for a thread at once, then what still runs after the grace
        period; returns how many running jobs were handed back."""
        self.claims.hand_back_unsettled(self.pool.take_waiting())
        return drain(shutdown=self.shutdown, wait_idle=self.pool.wait_idle,
                     take_running=self.claims.inflight.take_all, hand_back=self.claims.hand_back)
