"""The visibility heartbeat: a running job's message stays invisible, and its claim held.

Every third of the queue's visibility timeout, one thread renews every message in flight:
first the job's claim lease (in the database), then the message's visibility (one
ChangeMessageVisibilityBatch call per 10 messages), each to a full visibility timeout
from now. Renewing the lease first means that when a worker dies, its lease runs out
just before its messages reappear, so the next receiver takes the job over at once.

SQS refuses to keep a message invisible for more than 12 hours after it was received;
the heartbeat stops extending a message a minute short of that and logs it. The message
then reappears while the job still runs: the claim keeps other workers away, and the job
must finish before the redeliveries use up the queue's maxReceiveCount.

A failed renewal is logged and tried again at the next beat. A claim that another
worker took over (because this worker stalled past its lease) sets the job's
cancellation event; the job's finish() then fails and its work rolls back.
"""

import logging
import threading
import time
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError
from django.db import DatabaseError

from apps.core.queues.sqs import MAX_VISIBILITY_SECONDS
from apps.worker.runtime.connections import refresh_connections
from apps.worker.runtime.inflight import InFlight, InFlightSet
from apps.worker.runtime.logging import event
from apps.worker.runtime.metrics import Metrics

# Stop extending this long before SQS's 12-hour cap.
CAP_MARGIN_SECONDS = 60


class Heartbeat:
    def __init__(
        self,
        *,
        queue,
        inflight: InFlightSet,
        visibility_timeout: int,
        renew_claim: Callable[[InFlight], bool],
        claim_finished: Callable[[InFlight], bool],
        clock: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
    ):
        self.queue = queue
        self.metrics = metrics if metrics is not None else Metrics()
        self.inflight = inflight
        self.visibility_timeout = visibility_timeout
        self.interval = max(0.2, visibility_timeout / 3)
        self._renew_claim = renew_claim
        self._claim_finished = claim_finished
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            refresh_connections()  # a connection broken by a database restart is replaced
            try:
                self.beat()
            except (BotoCoreError, ClientError, DatabaseError) as exc:
                if not isinstance(exc, DatabaseError):
                    self.metrics.sqs_error("change_visibility")
                event(logging.WARNING, "heartbeat failed; trying again next beat", error=repr(exc))
            except Exception:  # a broken beat must not end the heartbeat thread
                logging.getLogger("academy.worker").exception("heartbeat failed; trying again next beat")

    def beat(self) -> None:
        with self.inflight.lock:
            entries = self.inflight.snapshot()
            for entry in entries:
                # `claimed` is read again after a failed renewal: a job thread clears it before it
                # finishes, fails or releases the claim, and then a failed renewal means nothing.
                if not entry.claimed:
                    continue
                if self._renew_claim(entry):
                    self.metrics.renewed("lease")
                elif entry.claimed and not self._claim_finished(entry):
                    entry.cancelled.set()
                    event(logging.WARNING, "lost the job's claim: another worker took it over",
                          job_id=entry.job_id, message_id=entry.message_id)
            extend = [(str(i), e.receipt_handle, s) for i, e in enumerate(entries) if (s := self._seconds(e)) > 0]
            for start in range(0, len(extend), 10):
                chunk = extend[start:start + 10]
                failed = self.queue.change_visibility_batch(chunk)
                self.metrics.renewed("visibility", len(chunk) - len(failed))
                self.metrics.sqs_error("change_visibility", len(failed))
                for failure in failed:
                    event(logging.WARNING, "could not extend a message's visibility",
                          message_id=entries[int(failure["Id"])].message_id,
                          code=failure.get("Code"), reason=failure.get("Message"))

    def _seconds(self, entry: InFlight) -> int:
        left = MAX_VISIBILITY_SECONDS - CAP_MARGIN_SECONDS - (self._clock() - entry.received_at)
        seconds = int(min(self.visibility_timeout, left))
        if seconds <= 0 and not entry.capped:
            entry.capped = True
            event(logging.WARNING, "job reached SQS's 12-hour visibility cap: its message will be redelivered",
                  job_id=entry.job_id, message_id=entry.message_id)
        return seconds
