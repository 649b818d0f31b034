"""The runtime's policies on their own, in process: queue stand-ins record the calls."""

import io
import json
import logging
import threading
import time

import pytest

from apps.core.queues.sqs import MAX_VISIBILITY_SECONDS
from apps.worker.runtime import logging as runtime_logging
from apps.worker.runtime.acks import Acks
from apps.worker.runtime.backoff import ConnectionBackoff, RetryBackoff
from apps.worker.runtime.heartbeat import CAP_MARGIN_SECONDS, Heartbeat
from apps.worker.runtime.inflight import InFlight, InFlightSet
from apps.worker.runtime.metrics import Metrics
from apps.worker.runtime.poller import Poller
from apps.worker.runtime.pool import JobPool
from apps.worker.runtime.shutdown import Shutdown, drain


def _message(n: int, receive_count: int = 1) -> dict:
    return {"MessageId": f"m{n}", "ReceiptHandle": f"h{n}", "Body": "{}",
            "Attributes": {"ApproximateReceiveCount": str(receive_count)}}


class RecordingQueue:
    """Stands in for SQSQueue where a test needs to see (or fail) the calls."""

    name, dlq_name = "q", "q-dlq"

    def __init__(self, delete_failures=()):
        self.calls = []
        self.delete_failures = list(delete_failures)
        self.receive_gate = threading.Event()

    def delete_batch(self, entries):
        entries = list(entries)
        self.calls.append(("delete", [h for _, h in entries]))
        return self.delete_failures.pop(0) if self.delete_failures else []

    def change_visibility_batch(self, entries):
        self.calls.append(("visibility", [(h, s) for _, h, s in entries]))
        return []

    def receive(self, *, max_messages, wait_seconds):
        self.receive_gate.wait(10)
        return [_message(1)]


def test_retry_backoff_doubles_by_receive_count_up_to_its_cap():
    backoff = RetryBackoff(base_seconds=10, max_seconds=900)
    assert [backoff.visibility(n) for n in (1, 2, 3, 4, 8, 50)] == [10, 20, 40, 80, 900, 900]
    assert RetryBackoff(base_seconds=10**6, max_seconds=10**9).visibility(3) == MAX_VISIBILITY_SECONDS


def test_connection_backoff_is_jittered_capped_and_never_near_zero():
    backoff = ConnectionBackoff(base_seconds=0.5, max_seconds=30)
    for failures, ceiling in ((1, 0.5), (2, 1), (3, 2), (7, 30), (100, 30)):
        delays = [backoff.delay(failures) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len({backoff.delay(5) for _ in range(20)}) > 1


def test_heartbeat_renews_claims_then_visibility_in_batches_of_ten():
    queue = RecordingQueue()
    inflight = InFlightSet()
    entries = [InFlight(_message(n)) for n in range(12)]
    for entry in entries:
        entry.claimed = True
        inflight.add(entry)
    renewed = []

    def renew(entry):
        renewed.append(entry.message_id)
        queue.calls.append(("lease", entry.message_id))
        return entry.message_id != "m3"  # m3's claim was taken over by another worker

    heartbeat = Heartbeat(queue=queue, inflight=inflight, visibility_timeout=30, renew_claim=renew,
                          claim_finished=lambda entry: False)
    heartbeat.beat()

    assert [c[0] for c in queue.calls] == ["lease"] * 12 + ["visibility", "visibility"]
    assert [len(c[1]) for c in queue.calls[12:]] == [10, 2]
    assert all(seconds == 30 for _, seconds in queue.calls[12][1])
    assert entries[3].cancelled.is_set() and not entries[4].cancelled.is_set()


def test_heartbeat_never_asks_beyond_the_12_hour_cap():
    now = [0.0]
    heartbeat = Heartbeat(queue=RecordingQueue(), inflight=InFlightSet(), visibility_timeout=600,
                          renew_claim=lambda e: True, claim_finished=lambda e: False, clock=lambda: now[0])
    entry = InFlight(_message(1), received_at=0.0)
    assert heartbeat._seconds(entry) == 600
    now[0] = MAX_VISIBILITY_SECONDS - CAP_MARGIN_SECONDS - 100
    assert heartbeat._seconds(entry) == 100
    now[0] = MAX_VISIBILITY_SECONDS
    assert heartbeat._seconds(entry) <= 0 and entry.capped


def test_acks_retry_entries_sqs_failed_unless_the_sender_was_at_fault():
    queue = RecordingQueue(delete_failures=[[
        {"Id": "0", "SenderFault": False, "Code": "InternalError"},
        {"Id": "1", "SenderFault": True, "Code": "ReceiptHandleIsInvalid"},
    ]])
    acks = Acks(queue, retry_delay=0.01)
    for n in range(3):
        acks.add(f"h{n}", f"m{n}")
    acks.close()
    deletes = [c[1] for c in queue.calls if c[0] == "delete"]
    assert sorted(h for batch in deletes for h in batch) == ["h0", "h0", "h1", "h2"]
    assert deletes[-1] == ["h0"]


def test_acks_send_at_most_ten_per_call():
    queue = RecordingQueue()
    acks = Acks(queue)
    for n in range(25):
        acks.add(f"h{n}")
    acks.close()
    batches = [c[1] for c in queue.calls]
    assert all(len(b) <= 10 for b in batches) and sum(len(b) for b in batches) == 25


def test_shutdown_wakes_once_and_a_second_signal_hurries():
    shutdown = Shutdown(grace_seconds=25)
    woken = []
    shutdown.add_waker(lambda: woken.append(1))
    shutdown.request("SIGTERM")
    shutdown.request("SIGTERM")
    assert shutdown.requested and shutdown.hurried and shutdown.reason == "SIGTERM" and woken == [1]


def test_drain_hands_back_what_outlives_the_grace_period():
    started, release = threading.Event(), threading.Event()

    def job(item):
        started.set()
        release.wait(10)

    pool = JobPool(1, job)
    entry = InFlight(_message(1))
    pool.submit(entry)
    started.wait(5)
    handed = []
    began = time.monotonic()
    count = drain(shutdown=Shutdown(grace_seconds=0.3), wait_idle=pool.wait_idle,
                  take_running=lambda: [entry], hand_back=handed.extend)
    assert 0.3 <= time.monotonic() - began < 1.5
    assert count == 1 and handed == [entry] and entry.cancelled.is_set()
    release.set()
    assert pool.wait_idle(5)


def test_a_poll_in_progress_does_not_hold_up_shutdown_and_its_messages_go_back():
    queue = RecordingQueue()
    shutdown = Shutdown(grace_seconds=1)
    poller = Poller(queue=queue, shutdown=shutdown, wait_seconds=20, backoff=ConnectionBackoff())
    threading.Timer(0.2, shutdown.request, args=("SIGTERM",)).start()
    began = time.monotonic()
    assert poller.poll(10) == []
    assert time.monotonic() - began < 1.0
    queue.receive_gate.set()  # the abandoned long poll now returns a message
    for _ in range(100):
        if queue.calls:
            break
        time.sleep(0.02)
    assert queue.calls == [("visibility", [("h1", 0)])]


def test_log_lines_are_json_with_the_job_fields():
    stream = io.StringIO()
    runtime_logging.configure("video", stream=stream)
    try:
        with runtime_logging.job_fields(job_id="j1", trace_id="t1", tenant_id="a1"):
            runtime_logging.event(logging.INFO, "job done", seconds=1.5)
        runtime_logging.event(logging.WARNING, "outside")
    finally:
        logging.getLogger().handlers.clear()
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["msg"] == "job done" and first["worker"] == "video"
    assert (first["job_id"], first["trace_id"], first["tenant_id"], first["seconds"]) == ("j1", "t1", "a1", 1.5)
    assert "job_id" not in second and second["level"] == "warning"


def test_metrics_refuse_unknown_counters():
    metrics = Metrics()
    metrics.incr("received", 2)
    assert metrics.snapshot()["received"] == 2
    with pytest.raises(KeyError):
        metrics.incr("receieved")
