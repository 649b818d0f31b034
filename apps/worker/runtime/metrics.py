"""What a worker counts: logged every minute and when it stops, and served to Prometheus.

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

Each counter is a prometheus_client Counter (the one place the count is kept); snapshot()
reads them back for the log lines and GET /healthz. Besides those, Prometheus gets the
job duration (a histogram by outcome), the jobs running now, the heartbeat's renewals
and the SQS calls that failed (and prometheus_client's process_* metrics: CPU, memory,
open files). Every series of its own carries a `worker` label (the worker's name:
video, ai-cpu, ai-gpu, messaging). With WORKER_METRICS_ADDRESS set ("0.0.0.0:9100", say),
serve() answers GET /metrics (any path, as prometheus_client does) in the text format:

  academy_worker_messages_received_total{worker}
  academy_worker_jobs_succeeded_total{worker}
  academy_worker_jobs_failed_total{worker}
  academy_worker_jobs_retried_total{worker}
  academy_worker_jobs_dead_lettered_total{worker}
  academy_worker_duplicate_deliveries_total{worker}
  academy_worker_deferred_deliveries_total{worker}
  academy_worker_jobs_taken_over_total{worker}
  academy_worker_messages_handed_back_total{worker}
  academy_worker_job_duration_seconds{worker,outcome}       histogram; outcome is one of
                                                            the counter names above
  academy_worker_jobs_in_progress{worker}                   gauge
  academy_worker_heartbeat_renewals_total{worker,renewed}   renewed: lease | visibility
  academy_worker_sqs_errors_total{worker,operation}         operation: setup | receive |
                                                            delete | change_visibility |
                                                            send_dlq

An SQS error is a call that raised, or one entry of a batch call that SQS refused.

Each Metrics has its own CollectorRegistry (never prometheus_client's global one), so
several workers in one process keep apart.
"""

import threading
import time
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, start_http_server

NAMES = (
    "received", "succeeded", "failed", "retried", "dead_lettered",
    "duplicates", "deferred", "taken_over", "handed_back",
)

PREFIX = "academy_worker"
# Counter name -> (the Prometheus name, less the _total suffix prometheus_client adds; help).
COUNTERS = {
    "received": ("messages_received", "Messages taken from the queue."),
    "succeeded": ("jobs_succeeded", "Jobs done."),
    "failed": ("jobs_failed", "Jobs failed for good (PermanentJobError); their messages are deleted."),
    "retried": ("jobs_retried", "Jobs that raised and were left for another delivery, after a backoff."),
    "dead_lettered": ("jobs_dead_lettered", "Poison messages sent to the DLQ, and jobs that failed on their "
                                            "last delivery."),
    "duplicates": ("duplicate_deliveries", "Deliveries of a job already finished, or taken over by another "
                                           "worker while this one ran it."),
    "deferred": ("deferred_deliveries", "Deliveries left alone because another worker holds the job's lease."),
    "taken_over": ("jobs_taken_over", "Jobs taken over from a worker whose lease had passed."),
    "handed_back": ("messages_handed_back", "Messages given back to the queue at shutdown."),
}
SQS_OPERATIONS = ("setup", "receive", "delete", "change_visibility", "send_dlq")
RENEWED = ("lease", "visibility")
# Jobs take from milliseconds (a duplicate) to hours (a long transcode).
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400)


class Metrics:
    def __init__(self, worker: str = "worker"):
        self.worker = worker
        self.registry = CollectorRegistry()
        self.port: int | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        ProcessCollector(registry=self.registry)  # process_cpu_seconds_total, process_resident_memory_bytes, ...
        self._families = {name: Counter(f"{PREFIX}_{metric}", documentation, ["worker"], registry=self.registry)
                          for name, (metric, documentation) in COUNTERS.items()}
        self._counters = {name: family.labels(worker=worker) for name, family in self._families.items()}
        self._duration = Histogram(
            f"{PREFIX}_job_duration_seconds", "Seconds a job thread spent on one message, by its outcome.",
            ["worker", "outcome"], registry=self.registry, buckets=DURATION_BUCKETS,
        )
        self._in_progress = Gauge(f"{PREFIX}_jobs_in_progress", "Jobs running now.", ["worker"],
                                  registry=self.registry).labels(worker=worker)
        renewals = Counter(f"{PREFIX}_heartbeat_renewals", "Claim leases and message visibilities the heartbeat "
                           "renewed.", ["worker", "renewed"], registry=self.registry)
        self._renewals = {what: renewals.labels(worker=worker, renewed=what) for what in RENEWED}
        errors = Counter(f"{PREFIX}_sqs_errors", "SQS calls that failed, and batch entries SQS refused.",
                         ["worker", "operation"], registry=self.registry)
        self._sqs_errors = {op: errors.labels(worker=worker, operation=op) for op in SQS_OPERATIONS}

    def incr(self, name: str, n: int = 1) -> None:
        if name not in self._counters:
            raise KeyError(f"unknown counter {name!r}; known: {NAMES}")
        self._counters[name].inc(n)

    def snapshot(self) -> dict[str, int]:
        counts = dict.fromkeys(NAMES, 0)
        for name, family in self._families.items():
            for collected in family.collect():
                counts[name] = sum(int(s.value) for s in collected.samples if s.name.endswith("_total"))
        return counts

    @contextmanager
    def job(self):
        """Around one job: counts it in progress, then observes its duration by outcome.
        Yields a dict; set its "outcome" (a counter name) before the block ends."""
        result = {"outcome": "unknown"}
        started = time.monotonic()
        self._in_progress.inc()
        try:
            yield result
        finally:
            self._in_progress.dec()
            self._duration.labels(worker=self.worker, outcome=result["outcome"]).observe(time.monotonic() - started)

    def renewed(self, what: str, n: int = 1) -> None:
        if n:
            self._renewals[what].inc(n)

    def sqs_error(self, operation: str, n: int = 1) -> None:
        if n:
            self._sqs_errors[operation].inc(n)

    def serve(self, address: str) -> int:
        """Serves the metrics on "host:port" (port 0: any free one); returns the port."""
        host, _, port = address.rpartition(":")
        self._server, self._thread = start_http_server(int(port), host or "0.0.0.0", registry=self.registry)
        self.port = self._server.server_address[1]
        return self.port

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
