"""Counters a worker keeps, logged every minute and when it stops.

  received       messages taken from the queue
  succeeded      jobs done
  failed         jobs failed for good (PermanentJobError): claim failed, message deleted
  retried        jobs that raised and were left for another delivery, after a backoff
  dead_lettered  poison messages sent to the DLQ, and jobs that failed on their last
                 delivery (the queue's redrive policy moves those)
  duplicates     deliveries of a job that was already finished (acknowledged, no work),
                 or that another worker took over while this one ran it
  deferred       deliveries left alone because another worker holds the job's lease
  taken_over     jobs taken over from a worker whose lease had passed
  handed_back    messages given back to the queue at shutdown
"""

import threading

NAMES = (
    "received", "succeeded", "failed", "retried", "dead_lettered",
    "duplicates", "deferred", "taken_over", "handed_back",
)


class Metrics:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(NAMES, 0)

    def incr(self, name: str, n: int = 1) -> None:
        if name not in self._counts:
            raise KeyError(f"unknown counter {name!r}; known: {NAMES}")
        with self._lock:
            self._counts[name] += n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
