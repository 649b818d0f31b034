"""Prometheus metrics: the counters in process, then a real worker's endpoint scraped over
HTTP while it runs jobs that succeed, fail, retry and go to the DLQ."""

import signal
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import EndpointConnectionError
from prometheus_client.parser import text_string_to_metric_families

from apps.worker.runtime.acks import Acks
from apps.worker.runtime.heartbeat import Heartbeat
from apps.worker.runtime.inflight import InFlight, InFlightSet
from apps.worker.runtime.metrics import NAMES, Metrics
from apps.worker.runtime.tests.harness import wait_until


def scrape(port: int) -> dict[tuple, float]:
    """{(sample name, (label, value), ...): value} of a worker's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, *sorted(labels.items())))


def _message(n: int) -> dict:
    return {"MessageId": f"m{n}", "ReceiptHandle": f"h{n}", "Body": "{}",
            "Attributes": {"ApproximateReceiveCount": "1"}}


class FailingQueue:
    """Fails whole calls (SQS unreachable), then entries (SQS refused some of a batch)."""

    def __init__(self, *, raise_times: int, failed_entries: list[dict]):
        self.raise_times = raise_times
        self.failed_entries = failed_entries

    def _answer(self, entries):
        list(entries)
        if self.raise_times:
            self.raise_times -= 1
            raise EndpointConnectionError(endpoint_url="http://sqs.invalid")
        failed, self.failed_entries = self.failed_entries, []
        return failed

    def delete_batch(self, entries):
        return self._answer(entries)

    def change_visibility_batch(self, entries):
        return self._answer(entries)


def test_counters_are_prometheus_counters_and_snapshot_reads_them_back():
    metrics = Metrics("video")
    metrics.incr("received", 3)
    metrics.incr("succeeded")
    assert metrics.snapshot() == {**dict.fromkeys(NAMES, 0), "received": 3, "succeeded": 1}
    registry = metrics.registry
    assert registry.get_sample_value("academy_worker_messages_received_total", {"worker": "video"}) == 3
    assert registry.get_sample_value("academy_worker_jobs_succeeded_total", {"worker": "video"}) == 1
    with pytest.raises(KeyError):
        metrics.incr("receieved")


def test_each_worker_has_its_own_registry():
    first, second = Metrics("video"), Metrics("video")  # two workers of one name in one process
    first.incr("failed")
    assert first.snapshot()["failed"] == 1 and second.snapshot()["failed"] == 0


def test_job_duration_and_in_progress():
    metrics = Metrics("ai-cpu")
    with metrics.job() as job:
        assert metrics.registry.get_sample_value("academy_worker_jobs_in_progress", {"worker": "ai-cpu"}) == 1
        job["outcome"] = "retried"
    labels = {"worker": "ai-cpu", "outcome": "retried"}
    assert metrics.registry.get_sample_value("academy_worker_job_duration_seconds_count", labels) == 1
    assert metrics.registry.get_sample_value("academy_worker_jobs_in_progress", {"worker": "ai-cpu"}) == 0


def test_acks_count_failed_delete_calls_and_refused_entries():
    metrics = Metrics("video")
    queue = FailingQueue(raise_times=1, failed_entries=[{"Id": "0", "SenderFault": True, "Code": "Invalid"}])
    acks = Acks(queue, retry_delay=0.01, metrics=metrics)
    acks.add("h0", "m0")
    acks.add("h1", "m1")
    acks.close()
    errors = metrics.registry.get_sample_value("academy_worker_sqs_errors_total",
                                               {"worker": "video", "operation": "delete"})
    assert errors == 2  # the call that raised, and the entry SQS refused after the retry


def test_heartbeat_counts_renewals_and_refused_visibility_changes():
    metrics = Metrics("video")
    inflight = InFlightSet()
    for n in range(3):
        entry = InFlight(_message(n))
        entry.claimed = n < 2  # the third is prefetched: no claim yet
        inflight.add(entry)
    queue = FailingQueue(raise_times=0, failed_entries=[{"Id": "1", "Code": "InvalidParameterValue"}])
    heartbeat = Heartbeat(queue=queue, inflight=inflight, visibility_timeout=30, renew_claim=lambda e: True,
                          claim_finished=lambda e: False, metrics=metrics)
    heartbeat.beat()
    sample = metrics.registry.get_sample_value
    assert sample("academy_worker_heartbeat_renewals_total", {"worker": "video", "renewed": "lease"}) == 2
    assert sample("academy_worker_heartbeat_renewals_total", {"worker": "video", "renewed": "visibility"}) == 2
    assert sample("academy_worker_sqs_errors_total", {"worker": "video", "operation": "change_visibility"}) == 1


def test_a_running_worker_serves_its_metrics_over_http(rt):
    queue = rt.queue(visibility_timeout=2, max_receive_count=2)
    db = rt.database()
    worker = rt.worker(db, queue, "--concurrency", "2", WORKER_METRICS_ADDRESS="127.0.0.1:0")
    port = worker.wait_for_log("worker started")["metrics_port"]
    assert port

    slow = queue.send("sleep=3;effect")  # outlives a visibility timeout: the heartbeat renews it
    wait_until(lambda: rt.started(slow.job_id), 15, what="the slow job to start")
    running = scrape(port)
    assert value(running, "academy_worker_jobs_in_progress", worker="test") >= 1
    assert value(running, "academy_worker_messages_received_total", worker="test") >= 1

    for script in ("effect", "effect", "permanent", "fail"):
        queue.send(script)
    queue.send_raw("{not json")

    def settled():
        samples = scrape(port)
        done = value(samples, "academy_worker_jobs_succeeded_total", worker="test") == 3
        dead = value(samples, "academy_worker_jobs_dead_lettered_total", worker="test") == 2
        return samples if done and dead else None

    samples = wait_until(settled, 30, what="every job to settle", interval=0.3)
    counters = {name: value(samples, f"academy_worker_{name}_total", worker="test") for name in (
        "messages_received", "jobs_succeeded", "jobs_failed", "jobs_retried", "jobs_dead_lettered",
        "duplicate_deliveries", "deferred_deliveries", "jobs_taken_over", "messages_handed_back")}
    assert counters == {
        "messages_received": 7,  # 5 jobs, the failing one twice, and the poison message
        "jobs_succeeded": 3, "jobs_failed": 1, "jobs_retried": 1,
        "jobs_dead_lettered": 2,  # the poison message, and the failing job's last delivery
        "duplicate_deliveries": 0, "deferred_deliveries": 0, "jobs_taken_over": 0, "messages_handed_back": 0,
    }
    durations = {outcome: value(samples, "academy_worker_job_duration_seconds_count", worker="test",
                                outcome=outcome)
                 for outcome in ("succeeded", "failed", "retried", "dead_lettered")}
    assert durations == {"succeeded": 3, "failed": 1, "retried": 1, "dead_lettered": 2}
    slowest = value(samples, "academy_worker_job_duration_seconds_bucket", worker="test", outcome="succeeded",
                    le="2.5")
    assert slowest == 2  # the 3-second job is above the 2.5 s bucket, the other two below it
    assert value(samples, "academy_worker_jobs_in_progress", worker="test") == 0
    renewals = value(samples, "academy_worker_heartbeat_renewals_total", worker="test", renewed="lease")
    assert renewals >= 1
    assert value(samples, "academy_worker_heartbeat_renewals_total", worker="test", renewed="visibility") >= 1
    for operation in ("setup", "receive", "delete", "change_visibility", "send_dlq"):
        assert value(samples, "academy_worker_sqs_errors_total", worker="test", operation=operation) == 0

    worker.signal(signal.SIGTERM)
    assert worker.wait(10) == 0
    stopped = worker.metrics()
    assert (stopped["succeeded"], stopped["failed"], stopped["retried"], stopped["dead_lettered"]) == (3, 1, 1, 2)
    with pytest.raises(urllib.error.URLError):
        scrape(port)
