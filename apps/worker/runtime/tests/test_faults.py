"""Fault tests: real worker processes against a real SQS-speaking server and a real
database. Each test names the fault and what must survive it: nothing lost, nothing done
twice. Side effects are rows of a table the test creates, written in the job's
transaction (see handlers.py)."""

import json
import signal
import time
import uuid

from apps.shared.contracts import MAX_MESSAGE_BYTES, SendMessagesMessage, encode
from apps.worker.runtime.tests.harness import wait_until
from tools.testing.tcp_proxy import FlakyProxy


def _done(db, job_id):
    claim = db.claim(job_id)
    return claim if claim and claim["status"] == "done" else None


def test_job_of_a_worker_killed_mid_job_is_finished_once_by_another(rt, postgres_url):
    queue = rt.queue(visibility_timeout=2)
    db = rt.database(postgres_url)
    first = rt.worker(db, queue)
    first.wait_for_log("worker started")
    job = queue.send("effect;hang_first")  # writes its effect, then hangs inside the transaction
    wait_until(lambda: rt.started(job.job_id, attempt=1), 15, what="the first worker to start the job")
    second = rt.worker(db, queue)
    second_id = second.wait_for_log("worker started")["worker_id"]

    first.signal(signal.SIGKILL)
    first.wait(5)

    claim = wait_until(lambda: _done(db, job.job_id), 20, what="the second worker to finish the job")
    assert claim["worker_id"] == second_id and claim["attempts"] == 2
    assert db.effects(job.job_id) == [{"worker_id": second_id, "receive_count": 2, "attempt": 2}]
    second.wait_for_log("taking over a job whose worker's lease had passed", job_id=str(job.job_id))
    wait_until(lambda: queue.depth() == 0, 10, what="the message to be deleted")


def test_a_job_delivered_twice_is_done_once(rt):
    queue = rt.queue()
    db = rt.database()
    job = queue.send("effect")
    queue.queue.send(job)  # the same job again, as SQS may deliver it
    worker = rt.worker(db, queue, "--once")
    assert worker.wait(30) == 0
    queue.queue.send(job)  # and once more after it finished
    again = rt.worker(db, queue, "--once")
    assert again.wait(30) == 0

    assert len(db.effects(job.job_id)) == 1
    assert worker.metrics()["succeeded"] == 1 and worker.metrics()["duplicates"] == 1
    assert again.metrics()["succeeded"] == 0 and again.metrics()["duplicates"] == 1
    assert queue.depth() == 0


def test_two_workers_racing_on_one_job_make_one_effect(rt, postgres_url):
    queue = rt.queue(visibility_timeout=2)
    db = rt.database(postgres_url)
    job = queue.send("sleep=1;effect")
    queue.queue.send(job)
    workers = [rt.worker(db, queue, "--concurrency", "1") for _ in range(2)]
    wait_until(lambda: _done(db, job.job_id), 20, what="the job to be done")
    wait_until(lambda: queue.depth() == 0, 15, what="both copies to be acknowledged")
    for worker in workers:
        worker.signal(signal.SIGTERM)
        assert worker.wait(10) == 0

    assert len(db.effects(job.job_id)) == 1
    totals = {k: sum(w.metrics()[k] for w in workers) for k in ("received", "succeeded", "duplicates", "deferred")}
    assert totals["succeeded"] == 1
    assert totals["duplicates"] >= 1  # the second copy, acknowledged without work
    assert totals["received"] == 2 + totals["deferred"]


def test_heartbeat_keeps_a_long_job_from_being_redelivered(rt):
    queue = rt.queue(visibility_timeout=2)
    db = rt.database()
    worker = rt.worker(db, queue, "--concurrency", "2")
    job = queue.send("sleep=6;effect")
    wait_until(lambda: _done(db, job.job_id), 20, what="the 6-second job to finish")
    wait_until(lambda: queue.depth() == 0, 5, what="the message to be deleted")
    worker.signal(signal.SIGTERM)
    assert worker.wait(10) == 0

    assert db.effects(job.job_id)[0]["receive_count"] == 1
    metrics = worker.metrics()
    assert metrics["received"] == 1 and metrics["deferred"] == 0 and metrics["succeeded"] == 1


def test_a_job_that_always_fails_lands_in_the_dlq_and_the_worker_goes_on(rt):
    queue = rt.queue(max_receive_count=3)
    db = rt.database()
    worker = rt.worker(db, queue)
    failing = queue.send("fail")
    wait_until(lambda: queue.dlq_depth() == 1, 30, what="the failing job to reach the DLQ")
    assert worker.proc.poll() is None, "the worker stopped"
    [dead] = queue.receive_dlq()
    assert json.loads(dead["Body"])["job_id"] == str(failing.job_id)
    assert dead["Attributes"]["ApproximateReceiveCount"] == "4"  # 3 receives + the redrive's

    later = queue.send("effect")
    wait_until(lambda: _done(db, later.job_id), 15, what="a later job to be done")
    worker.signal(signal.SIGTERM)
    assert worker.wait(10) == 0
    metrics = worker.metrics()
    assert (metrics["retried"], metrics["dead_lettered"], metrics["succeeded"]) == (2, 1, 1)
    claim = db.claim(failing.job_id)
    assert claim["status"] == "failed"
    assert claim["error"].startswith("gave up after 3 attempts: ") and "always fails" in claim["error"]
    worker.wait_for_log("job failed on its last delivery", job_id=str(failing.job_id))


def test_poison_messages_go_to_the_dlq_at_once_with_their_reason(rt):
    queue = rt.queue()
    db = rt.database()
    wrong_kind = encode(SendMessagesMessage(job_id=uuid.uuid4(), tenant_id=uuid.uuid4(), batch_id=uuid.uuid4()))
    poison = {
        "{not json": "body is not JSON",
        json.dumps({"schema_version": 1, "kind": "video.transcode"}): "does not match its contract",
        json.dumps({"schema_version": 99, "job_id": str(uuid.uuid4())}): "unknown schema_version 99",
        json.dumps({"schema_version": 1, "pad": "x" * MAX_MESSAGE_BYTES}): f"over {MAX_MESSAGE_BYTES} bytes",
        wrong_kind: "messaging.send message on a queue for VideoTranscodeMessage",
    }
    for body in poison:
        queue.send_raw(body)
    good = queue.send("effect")
    worker = rt.worker(db, queue, "--concurrency", "3")
    wait_until(lambda: queue.dlq_depth() == len(poison), 20, what="every poison message in the DLQ")
    wait_until(lambda: _done(db, good.job_id), 10, what="the good job")
    wait_until(lambda: queue.depth() == 0, 10, what="the source queue to empty")
    assert worker.proc.poll() is None, "the worker stopped"

    dead = []
    while len(dead) < len(poison):
        dead += queue.receive_dlq()
    reasons = {m["Body"]: m["MessageAttributes"]["reason"]["StringValue"] for m in dead}
    for body, reason in poison.items():
        assert reason in reasons[body]
        assert any(reason in line["reason"] for line in worker.find("poison message sent to the DLQ"))
    worker.signal(signal.SIGTERM)
    assert worker.wait(10) == 0
    assert worker.metrics()["dead_lettered"] == len(poison)


def test_an_oversized_message_is_refused_at_enqueue(rt):
    queue = rt.queue()
    # Validation caps every field well below the limit; model_copy() skips it, as a bug might.
    message = queue.message().model_copy(update={"source_key": "k" * MAX_MESSAGE_BYTES})
    try:
        queue.queue.send(message)
    except ValueError as exc:
        assert "over the 65536-byte limit" in str(exc)
    else:
        raise AssertionError("an oversized message was enqueued")
    assert queue.depth() == 0


def test_sigterm_while_idle_exits_within_a_second(rt):
    queue = rt.queue()
    db = rt.database()
    worker = rt.worker(db, queue, SQS_WAIT_TIME_SECONDS=20)
    worker.wait_for_log("worker started")
    time.sleep(0.5)  # the 20-second long poll is under way
    started = time.monotonic()
    worker.signal(signal.SIGTERM)
    assert worker.wait(5) == 0
    elapsed = time.monotonic() - started
    print(f"exited {elapsed:.3f} s after SIGTERM during a 20-second long poll")
    assert elapsed < 1.0
    assert worker.metrics()["reason"] == "SIGTERM"


def test_sigterm_during_a_job_lets_it_finish_within_the_grace_period(rt):
    queue = rt.queue()
    db = rt.database()
    worker = rt.worker(db, queue, WORKER_SHUTDOWN_GRACE_SECONDS=10)
    job = queue.send("sleep=2;effect")
    wait_until(lambda: rt.started(job.job_id), 15, what="the job to start")
    started = time.monotonic()
    worker.signal(signal.SIGTERM)
    assert worker.wait(10) == 0
    assert 1.0 < time.monotonic() - started < 5.0

    assert _done(db, job.job_id) and len(db.effects(job.job_id)) == 1
    assert queue.depth() == 0
    assert worker.metrics()["jobs_handed_back"] == 0


def test_sigterm_hands_back_prefetched_messages_at_once_and_finishes_the_running_job(rt):
    queue = rt.queue(visibility_timeout=30)  # without the hand-back, the waiting ones would hide for 30 s
    db = rt.database()
    worker = rt.worker(db, queue, "--concurrency", "1", WORKER_PREFETCH=3, WORKER_SHUTDOWN_GRACE_SECONDS=10)
    jobs = [queue.send("sleep=2;effect") for _ in range(4)]
    wait_until(lambda: any(rt.started(j.job_id) for j in jobs), 15, what="the first job to start")
    wait_until(lambda: queue.depth() == 4 and queue.client.get_queue_attributes(
        QueueUrl=queue.queue.url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "4", 10, what="all four to be received")
    worker.signal(signal.SIGTERM)
    assert worker.wait(10) == 0

    assert sum(len(db.effects(j.job_id)) for j in jobs) == 1
    visible = queue.client.get_queue_attributes(QueueUrl=queue.queue.url,
                                                AttributeNames=["ApproximateNumberOfMessages"])
    assert visible["Attributes"]["ApproximateNumberOfMessages"] == "3"
    metrics = worker.metrics()
    assert (metrics["succeeded"], metrics["handed_back"], metrics["jobs_handed_back"]) == (1, 3, 0)


def test_sigterm_hands_back_a_job_that_outlives_the_grace_period(rt, postgres_url):
    queue = rt.queue(visibility_timeout=30)  # without the hand-back, the message would hide for 30 s
    db = rt.database(postgres_url)
    worker = rt.worker(db, queue, WORKER_SHUTDOWN_GRACE_SECONDS=1)
    job = queue.send("effect;hang_first")
    wait_until(lambda: rt.started(job.job_id), 15, what="the job to start")
    started = time.monotonic()
    worker.signal(signal.SIGTERM)
    assert worker.wait(10) == 0
    assert time.monotonic() - started < 3.0
    assert worker.metrics()["jobs_handed_back"] == 1
    assert db.effects(job.job_id) == []  # its transaction died with the process

    successor = rt.worker(db, queue)
    claim = wait_until(lambda: _done(db, job.job_id), 10, what="another worker to take the job over at once")
    assert claim["attempts"] == 2 and len(db.effects(job.job_id)) == 1
    successor.wait_for_log("taking over", job_id=str(job.job_id))


def test_an_unreachable_sqs_endpoint_is_waited_out_without_a_busy_loop(rt, sqs_server):
    queue = rt.queue()
    db = rt.database()
    host, port = sqs_server.endpoint_url.removeprefix("http://").split(":")
    proxy = FlakyProxy(host, int(port)).start()
    try:
        worker = rt.worker(db, queue, AWS_ENDPOINT_URL=proxy.url)
        worker.wait_for_log("worker started")
        proxy.down()
        time.sleep(4)
        attempts = proxy.connections_while_down
        proxy.up()
        job = queue.send("effect")
        wait_until(lambda: _done(db, job.job_id), 15, what="the worker to recover and run the job")
    finally:
        proxy.stop()

    # A busy loop would make thousands of connections in 4 s; backoff makes a handful
    # (botocore tries each call up to 3 times, the runtime waits 0.25 s, 0.5 s, 1 s, 2 s between calls).
    assert 1 <= attempts <= 30, attempts
    failures = worker.find("receiving from SQS failed; retrying")
    assert failures and failures[0]["retry_in_seconds"] < failures[-1]["retry_in_seconds"] <= 2
    worker.wait_for_log("receiving from SQS works again")
    print(f"connections while SQS was down for 4 s: {attempts}; failed receive calls: {len(failures)}")
