"""Receiving messages: a long poll that shutdown never waits for, and that rides out
an unreachable SQS endpoint.

poll() hands the ReceiveMessage call (WaitTimeSeconds up to 20, MaxNumberOfMessages up
to 10) to a background thread and waits for its answer or for shutdown, whichever comes
first. An abandoned poll that later returns messages hands them straight back
(visibility 0). When SQS cannot be reached, the thread waits with ConnectionBackoff
between attempts (exponential, capped, jittered) and logs each failure and the recovery;
the caller just sees a poll that takes longer.
"""

import logging
import queue as queue_module
import threading
from collections.abc import Callable

from apps.core.queues import TRANSIENT_ERRORS
from apps.worker.runtime.backoff import ConnectionBackoff
from apps.worker.runtime.logging import event
from apps.worker.runtime.metrics import Metrics
from apps.worker.runtime.shutdown import Shutdown

_WAKE = object()


def call_with_backoff(call: Callable, *, what: str, backoff: ConnectionBackoff, shutdown: Shutdown,
                      on_error: Callable[[Exception], None] = lambda exc: None):
    """call() until it succeeds; None when shutdown is requested first. on_error(exc) is
    told of each failure (the SQS error counter)."""
    failures = 0
    while not shutdown.requested:
        try:
            result = call()
        except TRANSIENT_ERRORS as exc:
            on_error(exc)
            failures += 1
            delay = backoff.delay(failures)
            event(logging.WARNING, f"{what} failed; retrying", error=str(exc), failures=failures,
                  retry_in_seconds=round(delay, 2))
            shutdown.wait(delay)
            continue
        if failures:
            event(logging.INFO, f"{what} works again", failures=failures)
        return result
    return None


class Poller:
    def __init__(self, *, queue, shutdown: Shutdown, wait_seconds: int, backoff: ConnectionBackoff,
                 on_wait: Callable[[], None] = lambda: None, metrics: Metrics | None = None):
        self.queue = queue
        self.metrics = metrics if metrics is not None else Metrics()
        self.shutdown = shutdown
        self.wait_seconds = wait_seconds
        self.backoff = backoff
        self._on_wait = on_wait
        self._requests: queue_module.SimpleQueue = queue_module.SimpleQueue()
        self._results: queue_module.SimpleQueue = queue_module.SimpleQueue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="poller", daemon=True)
        self._thread.start()
        shutdown.add_waker(self._wake)

    def poll(self, max_messages: int) -> list[dict]:
        """Messages received, [] after an empty long poll or when shutdown is requested.
        Calls on_wait() about once a second while it waits (the liveness beat)."""
        self._requests.put(max_messages)
        while True:
            try:
                result = self._results.get(timeout=1.0)
            except queue_module.Empty:
                self._on_wait()
                continue
            return [] if result is _WAKE else result

    def _wake(self) -> None:
        with self._lock:
            self._results.put(_WAKE)

    def _run(self) -> None:
        while True:
            max_messages = self._requests.get()
            messages = call_with_backoff(
                lambda: self.queue.receive(max_messages=max_messages, wait_seconds=self.wait_seconds),
                what="receiving from SQS", backoff=self.backoff, shutdown=self.shutdown,
                on_error=lambda exc: self.metrics.sqs_error("receive"),
            ) or []
            with self._lock:
                if not self.shutdown.requested:
                    self._results.put(messages)
                    continue
            self._hand_back_orphans(messages)

    def _hand_back_orphans(self, messages: list[dict]) -> None:
        if not messages:
            return
        entries = [(str(i), m["ReceiptHandle"], 0) for i, m in enumerate(messages)]
        try:
            self.queue.change_visibility_batch(entries)
        except TRANSIENT_ERRORS as exc:
            self.metrics.sqs_error("change_visibility")
            event(logging.WARNING, "could not hand back messages received during shutdown; "
                  "they reappear after their visibility timeout", error=str(exc), count=len(messages))
        else:
            event(logging.INFO, "handed back messages received during shutdown", count=len(messages))
