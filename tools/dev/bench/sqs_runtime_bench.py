"""Benchmark: messages per second through a no-op handler, the worker runtime against a
naive boto3 loop, side by side on the same local SQS-compatible server.

    tools/bazel run //tools/dev/bench:sqs_runtime_bench -- [--messages 1000] [--concurrency 8]
        [--prefetch 10] [--latency-ms 0,10] [--backlog 20] [--database-url URL]

  naive loop   ReceiveMessage(MaxNumberOfMessages=1), decode, handle, DeleteMessage: two
               calls per message, one message at a time, no idempotency
  runtime      apps.worker.runtime.Worker: receives of up to 10, `concurrency` job threads
               and `prefetch` waiting places, a job claim per message (claim, then handler
               and finish in one transaction), batched deletes, heartbeat running

Each side drains its own fresh queue while a feeder (its own client, the same for both
sides) tops it up in batches of 10, keeping at most --backlog messages waiting. The
backlog stays small on purpose: moto checks every message of a queue for each message it
hands out, so a deep queue would measure the server, not the consumers.

Scenarios (--latency-ms): 0 is plain loopback, where moto's own CPU time per message
is the limit for both sides; a value such as 10 puts a proxy in front of the server
that adds that round trip to every request, as the network between a worker and SQS
does. The server is moto's, in its own process on 127.0.0.1 and an ephemeral port
(tools/testing/sqs_server.py), so it does not share the benchmark's interpreter lock. The runtime's database is a fresh
SQLite file on tmpfs where there is one (commits should cost what PostgreSQL's do, not a
disk flush), or --database-url. Prints one table: time, messages/s, SQS calls per
message (feeder excluded), and the runtime/naive ratio per scenario.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from tools.testing.sqs_server import start_sqs_server

# Holds every client-to-server chunk for the given milliseconds before passing it on:
# one added round trip per request.
LATENCY_PROXY = (
    "import asyncio, sys\n"
    "target_port, delay = int(sys.argv[1]), float(sys.argv[2]) / 1000\n"
    "async def pipe(reader, writer, delay):\n"
    "    try:\n"
    "        while data := await reader.read(65536):\n"
    "            if delay:\n"
    "                await asyncio.sleep(delay)\n"
    "            writer.write(data)\n"
    "            await writer.drain()\n"
    "    except OSError:\n"
    "        pass\n"
    "    finally:\n"
    "        writer.close()\n"
    "async def serve(reader, writer):\n"
    "    up_reader, up_writer = await asyncio.open_connection('127.0.0.1', target_port)\n"
    "    await asyncio.gather(pipe(reader, up_writer, delay), pipe(up_reader, writer, 0))\n"
    "async def main():\n"
    "    server = await asyncio.start_server(serve, '127.0.0.1', 0)\n"
    "    print(server.sockets[0].getsockname()[1], flush=True)\n"
    "    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)\n"
    "asyncio.run(main())\n"
)


def start_child(code: str, *args: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    port = proc.stdout.readline().strip()
    if not port:
        raise SystemExit("the latency proxy did not start")
    return proc, int(port)


def configure(database_url: str, data_dir: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "apps.worker.settings",
        "DATABASE_URL": database_url,
        "ACADEMY_DATA_DIR": data_dir,
        "AWS_REGION": "ap-northeast-2",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    })
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def client(endpoint: str, calls: list[int] | None = None):
    import boto3
    from botocore.config import Config

    sqs = boto3.session.Session().client("sqs", endpoint_url=endpoint, region_name="ap-northeast-2",
                                         config=Config(max_pool_connections=50, retries={"max_attempts": 3}))
    if calls is not None:
        sqs.meta.events.register("before-send.sqs", lambda **_: calls.__setitem__(0, calls[0] + 1))
    return sqs


def fresh_queue(endpoint: str, calls: list[int]):
    from apps.core.queues import SQSQueue
    from apps.shared.contracts import VideoTranscodeMessage

    queue = SQSQueue(name=f"bench-{uuid.uuid4().hex[:10]}", message_type=VideoTranscodeMessage,
                     client=client(endpoint, calls))
    queue.ensure(visibility_timeout=60, max_receive_count=5)
    return queue


def feed(sqs, url: str, total: int, backlog: int, processed) -> None:
    """Sends `total` messages in batches of 10, keeping at most `backlog` unprocessed."""
    from apps.shared.contracts import VideoTranscodeMessage, encode

    tenant, sent = uuid.uuid4(), 0
    while sent < total:
        if sent - processed() >= backlog:
            time.sleep(0.0005)
            continue
        entries = [
            {"Id": str(i), "MessageBody": encode(VideoTranscodeMessage(
                job_id=uuid.uuid4(), tenant_id=tenant, video_id=uuid.uuid4(), source_key="bench/source.mp4"))}
            for i in range(min(10, total - sent))
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
        sent += len(entries)


def noop(message, context) -> None:
    pass


def run_naive(queue, feeder, total: int, backlog: int) -> float:
    from apps.shared.contracts import decode

    sqs, url, done = queue.client, queue.url, [0]

    def consume() -> None:
        while done[0] < total:
            response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
            for message in response.get("Messages", []):
                noop(decode(message["Body"], queue.message_type), None)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                done[0] += 1

    started = time.perf_counter()
    consumer = threading.Thread(target=consume)
    consumer.start()
    feed(feeder, url, total, backlog, lambda: done[0])
    consumer.join()
    return time.perf_counter() - started


def run_runtime(queue, feeder, total: int, backlog: int, concurrency: int, prefetch: int, health: Path) -> float:
    """The worker on a thread (long polls of 1 s), stopped once every job succeeded; its
    start and its last deletes are inside the time."""
    from apps.worker.runtime.config import WorkerConfig
    from apps.worker.runtime.worker import Worker

    config = WorkerConfig(name="bench", concurrency=concurrency, prefetch=prefetch, wait_seconds=1, health_file=health)
    worker = Worker(queue=queue, handler=noop, config=config)

    def succeeded() -> int:
        return worker.metrics.snapshot()["succeeded"]

    started = time.perf_counter()
    runner = threading.Thread(target=worker.run)
    runner.start()
    feed(feeder, queue.url, total, backlog, succeeded)
    while succeeded() < total and runner.is_alive():
        time.sleep(0.001)
    worker.shutdown.request("benchmark done")
    runner.join()
    if succeeded() != total:
        raise SystemExit(f"the runtime did not finish every job: {worker.metrics.snapshot()}")
    return time.perf_counter() - started


def depth(queue) -> int:
    attributes = queue.client.get_queue_attributes(
        QueueUrl=queue.url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages through each side (default 1000)")
    parser.add_argument("--concurrency", type=int, default=8, help="the runtime's job threads (default 8)")
    parser.add_argument("--prefetch", type=int, default=10,
                        help="the runtime's WORKER_PREFETCH (default 10; the setting's default is 0)")
    parser.add_argument("--latency-ms", default="0,10",
                        help="comma-separated scenarios: round trip added to every SQS request (default 0,10)")
    parser.add_argument("--backlog", type=int, default=20,
                        help="unprocessed messages kept in the queue while feeding (default 20)")
    parser.add_argument("--database-url", help="the runtime's database (default: a fresh SQLite file)")
    args = parser.parse_args(argv)
    if args.messages < 10:
        parser.error("--messages must be at least 10")
    latencies = [float(v) for v in args.latency_ms.split(",") if v.strip()]

    print(f"machine: {platform.platform()}, python {platform.python_version()}, os.cpu_count()={os.cpu_count()}")
    tmp = tempfile.mkdtemp(prefix="sqs-runtime-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    moto, sqs = start_sqs_server()
    moto_port = int(sqs.endpoint_url.rsplit(":", 1)[1])
    children = []
    rows, ratios = [], []
    try:
        configure(args.database_url or f"sqlite:///{tmp}/bench.sqlite3", tmp)
        logging.getLogger("academy.worker").setLevel(logging.WARNING)
        for latency in latencies:
            endpoint = f"http://127.0.0.1:{moto_port}"
            if latency:
                proxy, port = start_child(LATENCY_PROXY, str(moto_port), str(latency))
                children.append(proxy)
                endpoint = f"http://127.0.0.1:{port}"
            scenario = f"+{latency:g} ms/request" if latency else "loopback"
            print(f"{scenario}: {args.messages} messages through each side ...", flush=True)
            feeder = client(endpoint)
            naive_calls, runtime_calls = [0], [0]
            naive_q, runtime_q = fresh_queue(endpoint, naive_calls), fresh_queue(endpoint, runtime_calls)
            naive_calls[0] = runtime_calls[0] = 0
            naive_s = run_naive(naive_q, feeder, args.messages, args.backlog)
            runtime_s = run_runtime(runtime_q, feeder, args.messages, args.backlog, args.concurrency, args.prefetch,
                                    Path(tmp) / "bench.alive")
            if depth(naive_q) or depth(runtime_q):
                print("a queue was not drained", file=sys.stderr)
                return 1
            rows.append((scenario, "naive boto3 loop (receive 1, delete 1)", naive_s, naive_calls[0]))
            rows.append((scenario, f"worker runtime (concurrency {args.concurrency}, prefetch {args.prefetch})",
                         runtime_s, runtime_calls[0]))
            ratios.append((scenario, naive_s / runtime_s))
    finally:
        for child in children:
            child.stdin.close()
            child.terminate()
            child.wait(10)
        moto.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"{'scenario':<16} {'approach':<44} {'messages':>8} {'seconds':>8} {'msg/s':>7} {'calls/msg':>9}")
    for scenario, label, seconds, calls in rows:
        print(f"{scenario:<16} {label:<44} {args.messages:>8} {seconds:>8.2f} {args.messages / seconds:>7.0f} "
              f"{calls / args.messages:>9.2f}")
    print()
    for scenario, ratio in ratios:
        print(f"runtime / naive throughput, {scenario}: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
