"""Acknowledging: deleting finished messages, up to 10 per DeleteMessageBatch call.

Job threads add receipt handles; one background thread deletes whatever has gathered
(jobs that finish while a call is in flight share the next one). DeleteMessageBatch can
succeed as a call and still fail entries: its Failed list is checked, entries SQS may
accept later (not SenderFault) are retried with the calls themselves, up to 3 times.
A message that could not be deleted is not lost work: it reappears after its visibility
timeout, its job's claim says done, and it is acknowledged again without being redone.
"""

import logging
import queue as queue_module
import threading
import time

from botocore.exceptions import BotoCoreError, ClientError

from apps.worker.runtime.logging import event
from apps.worker.runtime.metrics import Metrics

ATTEMPTS = 3
_STOP = object()


class Acks:
    def __init__(self, queue, *, retry_delay: float = 0.5, metrics: Metrics | None = None):
        self.queue = queue
        self.metrics = metrics if metrics is not None else Metrics()
        self.retry_delay = retry_delay
        self._pending: queue_module.SimpleQueue = queue_module.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="acks", daemon=True)
        self._thread.start()

    def add(self, receipt_handle: str, message_id: str = "") -> None:
        self._pending.put((receipt_handle, message_id))

    def close(self, timeout: float = 10.0) -> None:
        """Deletes what is pending, then stops the thread."""
        self._pending.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._pending.get()]
            while len(batch) < 10:
                try:
                    batch.append(self._pending.get_nowait())
                except queue_module.Empty:
                    break
            if _STOP in batch:
                stopping = True
                batch.remove(_STOP)
            self._delete(batch)
        # Entries added after close() are still deleted, in batches, before the thread ends.
        rest = []
        while True:
            try:
                rest.append(self._pending.get_nowait())
            except queue_module.Empty:
                break
        for start in range(0, len(rest), 10):
            self._delete(rest[start:start + 10])

    def _delete(self, batch: list[tuple[str, str]]) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            if not batch:
                return
            try:
                failed = self.queue.delete_batch((str(i), handle) for i, (handle, _) in enumerate(batch))
            except (BotoCoreError, ClientError) as exc:
                self.metrics.sqs_error("delete")
                event(logging.WARNING, "DeleteMessageBatch failed", error=str(exc), attempt=attempt, count=len(batch))
                time.sleep(self.retry_delay * attempt)
                continue
            self.metrics.sqs_error("delete", len(failed))
            retry = []
            for failure in failed:
                entry = batch[int(failure["Id"])]
                if failure.get("SenderFault"):
                    event(logging.WARNING, "SQS refused to delete a message; it will come back and be "
                          "acknowledged as a duplicate", message_id=entry[1], code=failure.get("Code"),
                          reason=failure.get("Message"))
                else:
                    retry.append(entry)
            batch = retry
            if batch:
                time.sleep(self.retry_delay * attempt)
        if batch:
            event(logging.ERROR, "gave up deleting messages; they will come back and be acknowledged "
                  "as duplicates", count=len(batch), message_ids=[m for _, m in batch])
