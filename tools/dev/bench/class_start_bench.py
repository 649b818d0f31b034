"""Benchmark: a class starting at once. Every viewer of a lecture opens it within a few
seconds: each creates a playback session (the academy's backend, with its key), then fetches
the master playlist, one media playlist and the key (the viewer's player, with the token).
Then the heartbeats those players send, as fast as the API takes them.

    tools/bazel run //tools/dev/bench:class_start_bench -- [--viewers 1000] [--within 10]
        [--connections 64] [--heartbeats 4000] [--api-workers 2] [--threads 4]

The platform as deployed (tools/testing/local_platform.py): a throwaway PostgreSQL, moto's
SQS, the video worker making one real encrypted lecture, and the API under gunicorn. The
viewers arrive evenly over `--within` seconds (an open schedule: a slow answer does not slow
the arrivals), served by `--connections` keep-alive HTTP/1.1 connections from this process;
the load generator shares the machine's cores with the server, so the figures understate
what the API does on a machine of its own.

Prints p50/p99 latency and errors per request kind and overall, how long the class took to
start, and heartbeats per second. Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from tools.testing import media, postgres
from tools.testing.local_platform import VIDEO_WORKER, LocalPlatform, PlatformError

KINDS = ("session", "master", "media", "key")


class Connection:
    """One keep-alive HTTP/1.1 connection that reconnects after an error."""

    def __init__(self, base_url: str):
        self.target = urlsplit(base_url)
        self.http = None

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        if self.http is None:
            self.http = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=30)
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {**({"Content-Type": "application/json"} if data else {}), **(headers or {})}
        for attempt in (1, 2):
            try:
                self.http.request(method, path, body=data, headers=all_headers)
                response = self.http.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed a keep-alive connection that sat idle (gunicorn's --keep-alive):
                # nothing was processed, so the request goes again on a new one, as browsers do.
                if attempt == 2:
                    break
                self.http.close()
                self.http = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=30)
            except (OSError, http.client.HTTPException):
                break
        self.http.close()
        self.http = None
        return 0, b""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def class_start(api_url: str, key: str, video_path: str, rendition: str, args) -> tuple[dict, list, float]:
    """Every viewer's four requests on the arrival schedule; (latencies by kind, sessions, seconds)."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    sessions: list[dict] = []
    samples: list[str] = []
    lock = threading.Lock()
    arrivals: queue.Queue = queue.Queue()
    start = time.perf_counter() + 0.5
    for n in range(args.viewers):
        arrivals.put((start + n * args.within / args.viewers, n))

    def viewer_path(url: str) -> str:
        return urlsplit(url).path

    def worker() -> None:
        connection = Connection(api_url)
        while True:
            try:
                due, n = arrivals.get_nowait()
            except queue.Empty:
                return
            time.sleep(max(0.0, due - time.perf_counter()))
            timings, failed = {}, []
            began = time.perf_counter()
            status, body = connection.call("POST", f"{video_path}playback-sessions/",
                                           {"viewer": f"student-{n:05d}", "viewer_label": f"학생 {n}"},
                                           {"Authorization": f"Api-Key {key}"})
            timings["session"] = time.perf_counter() - began
            if status != 201:
                failed.append("session")
                with lock:
                    if len(samples) < 3:
                        samples.append(f"{status} {body[:300]!r}")
            else:
                session = json.loads(body)
                master = viewer_path(session["master_playlist_url"])
                media_playlist = master.replace("master.m3u8", f"{rendition}/index.m3u8")
                for kind, path in (("master", master), ("media", media_playlist),
                                   ("key", master.replace("master.m3u8", "key"))):
                    began = time.perf_counter()
                    status, _ = connection.call("GET", path)
                    timings[kind] = time.perf_counter() - began
                    if status != 200:
                        failed.append(kind)
                with lock:
                    sessions.append(session)
            with lock:
                for kind, seconds in timings.items():
                    latencies[kind].append(seconds * 1000)
                for kind in failed:
                    errors[kind] += 1

    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - start
    return {"latencies": latencies, "errors": errors, "samples": samples}, sessions, took


def closed_loop(api_url: str, connections: int, requests: int, send) -> dict:
    """`requests` calls of send(connection, worker_index, n) over `connections` connections,
    each as soon as the previous answered; latencies and errors (send answers the status)."""
    count = [requests]
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def worker(index: int) -> None:
        connection = Connection(api_url)
        n = 0
        while True:
            with lock:
                if count[0] == 0:
                    return
                count[0] -= 1
            began = time.perf_counter()
            ok = send(connection, index, n)
            n += 1
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
                errors[0] += not ok

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"rate": len(latencies) / elapsed, "p50": statistics.median(latencies), "p99": percentile(latencies, 0.99),
            "errors": errors[0], "count": len(latencies)}


def heartbeats(api_url: str, sessions: list[dict], args) -> dict:
    """Heartbeats over the live sessions, each session's in order (every connection its own
    sessions), half a second of playback each."""
    mine = [sessions[i::args.connections] for i in range(args.connections)]

    def send(connection: Connection, index: int, n: int) -> bool:
        own = mine[index]
        session = own[n % len(own)]
        beat = n // len(own) + 1  # this session's sequence number
        path = urlsplit(session["master_playlist_url"]).path.replace("master.m3u8", "heartbeats")
        status, _ = connection.call("POST", path, {"sequence": beat, "ranges": [[(beat - 1) * 0.5, beat * 0.5]],
                                                   "position": beat * 0.5, "rate": 1.0})
        return status == 200

    return closed_loop(api_url, min(args.connections, len(sessions)), args.heartbeats, send)


def baseline(api_url: str, key: str, args, requests: int = 2000) -> dict:
    """Keyed GET /api/v1/tenant/ (one query) over the same connections: the API's floor here."""
    def send(connection: Connection, index: int, n: int) -> bool:
        return connection.call("GET", "/api/v1/tenant/", headers={"Authorization": f"Api-Key {key}"})[0] == 200

    return closed_loop(api_url, args.connections, requests, send)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=1000, help="viewers starting the class")
    parser.add_argument("--within", type=float, default=10.0, help="seconds over which they arrive")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections at once")
    parser.add_argument("--heartbeats", type=int, default=4000, help="heartbeats in the throughput phase")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="class-start-bench-"))
    try:
        server = postgres.start_for_program(workdir)
    except RuntimeError as exc:
        sys.exit(f"class start bench: {exc}")
    # The live timeout covers the whole run, the heartbeat phase included.
    local = LocalPlatform(workdir / "platform", database_url=server.create_database("bench"),
                          env={"PLAYBACK_LIVE_TIMEOUT_SECONDS": "600", "VIDEO_X264_PRESET": "ultrafast"})
    try:
        local.start_sqs()
        local.create_queues("video")
        local.migrate()
        key = local.api_key("bench", name="벤치 수학학원")
        local.start_api(workers=args.api_workers, threads=args.threads)
        http_client = local.client(key)
        video_url = http_client.upload_video(media.make_video(workdir / "lecture.mp4", width=1280, height=720,
                                                              seconds=60), title="미적분 1강")
        # One job, then it exits: the class starts on a machine where only the API works.
        if local.start_worker(VIDEO_WORKER, "--once", name="video worker").wait(600) != 0:
            raise PlatformError(f"the video worker failed:\n{local.log('video worker')[-2000:]}")
        video = http_client.get(video_url).json()
        if video["status"] != "ready":
            raise PlatformError(f"the lecture is {video['status']}: {video['failure_reason']}")
        video_path = urlsplit(video_url).path
        rendition = video["renditions"][-1]["name"]
        floor = baseline(local.api_url, key, args)
        start, sessions, took = class_start(local.api_url, key, video_path, rendition, args)
        beats = heartbeats(local.api_url, sessions, args)
    except PlatformError as exc:
        sys.exit(f"class start bench: {exc}")
    finally:
        local.stop()
        server.stop()

    print(f"class start bench: {args.viewers} viewers arriving over {args.within:g} s, each: create a session, "
          f"GET master, GET {rendition} playlist, GET key; {args.connections} keep-alive connections; gunicorn "
          f"{args.api_workers} workers x {args.threads} threads (gthread), PostgreSQL (fsync off)")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; the load comes "
          f"from this process; a {video['duration_seconds']:.0f} s lecture, {len(video['renditions'])} renditions")
    print(f"{'request':<10} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    everything = []
    for kind in KINDS:
        values = start["latencies"][kind]
        everything += values
        print(f"{kind:<10} {len(values):>6} {statistics.median(values):>8.1f} {percentile(values, 0.99):>8.1f} "
              f"{start['errors'][kind]:>6}")
    total_errors = sum(start["errors"].values())
    for sample in start["samples"]:
        print(f"  refused session: {sample}")
    print(f"{'all':<10} {len(everything):>6} {statistics.median(everything):>8.1f} "
          f"{percentile(everything, 0.99):>8.1f} {total_errors:>6}")
    print(f"the class started in {took:.1f} s ({len(everything) / took:.0f} requests/s); goal: p99 <= 200 ms, "
          f"0 errors")
    print(f"heartbeats: {beats['count']} at {beats['rate']:.0f}/s, p50 {beats['p50']:.1f} ms, "
          f"p99 {beats['p99']:.1f} ms, {beats['errors']} errors")
    print(f"for comparison, keyed GET /api/v1/tenant/ over the same connections: {floor['rate']:.0f}/s, "
          f"p50 {floor['p50']:.1f} ms, p99 {floor['p99']:.1f} ms")
    return 1 if total_errors or beats["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
