"""Benchmark: requests per second and latency of keyed API requests under gunicorn on
PostgreSQL, with each database connection closed after its request and with connections kept.

    tools/bazel run //tools/dev/bench:api_bench -- [--requests 3000] [--connections 32]
        [--api-workers 2] [--threads 4]

A throwaway PostgreSQL server (tools/testing/postgres.py) and the API under gunicorn as a
subprocess with the real settings (tools/testing/local_platform.py). For each setting of
DATABASE_URL's `conn_max_age` (0: a new PostgreSQL connection for every request; the default
60: kept and health-checked), the API is started afresh and loaded with `--connections`
keep-alive HTTP/1.1 connections from this process (threads; they share the 2 cores with the
server, so absolute figures are lower than a separate load generator would give) on:

    GET /healthz                           no database, no key
    GET /api/v1/tenant/                    the key's lookup (one query)
    GET /api/v1/lectures/{id}/             the key's lookup and the lecture's

Prints requests/s, p50 and p99 latency and errors per path and setting, and the ratio of the
kept setting to conn_max_age=0. Needs PostgreSQL's server programs (tools/bazel installs them).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from tools.testing import postgres
from tools.testing.local_platform import LocalPlatform, PlatformError

SETTINGS = (("conn_max_age=0", "?conn_max_age=0"), ("kept (default 60 s)", ""))


def load(base_url: str, path: str, *, key: str, requests: int, connections: int) -> dict:
    """`requests` GETs of `path` over `connections` keep-alive connections at once."""
    target = urlsplit(base_url)
    headers = {"Authorization": f"Api-Key {key}"} if key else {}
    latencies: list[float] = []
    errors = [0]
    remaining = [requests]
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        mine: list[float] = []
        while True:
            with lock:
                if remaining[0] == 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors[0],
    }


def measure(workdir: Path, database_url: str, args) -> dict[str, dict]:
    """One fresh platform per setting; returns path -> figures."""
    results: dict[str, dict] = {}
    for label, query in SETTINGS:
        local = LocalPlatform(workdir / label.split()[0], database_url=database_url + query)
        try:
            local.migrate()
            key = local.api_key("bench", name="벤치 수학학원")
            local.start_api(workers=args.api_workers, threads=args.threads)
            lecture = local.client(key).call("POST", "/api/v1/lectures/", expect=201, json={"title": "수학 1강"})
            paths = [("/healthz", ""), ("/api/v1/tenant/", key), (f"/api/v1/lectures/{lecture['id']}/", key)]
            for path, path_key in paths:
                load(local.api_url, path, key=path_key, requests=min(200, args.requests), connections=4)  # warm-up
                shown = path.replace(lecture["id"], "{id}")
                results.setdefault(shown, {})[label] = load(local.api_url, path, key=path_key,
                                                             requests=args.requests, connections=args.connections)
        finally:
            local.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per path and setting")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections at once")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="api-bench-"))
    try:
        server = postgres.start_for_program(workdir)
    except RuntimeError as exc:
        sys.exit(f"api bench: {exc}")
    try:
        results = measure(workdir, server.create_database("bench"), args)
    except PlatformError as exc:
        sys.exit(f"api bench: {exc}")
    finally:
        server.stop()

    print(f"api bench: {args.requests} GETs per path and setting over {args.connections} keep-alive connections, "
          f"gunicorn {args.api_workers} workers x {args.threads} threads (gthread), PostgreSQL (fsync off)")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; the load comes "
          f"from this process")
    kept, closed = SETTINGS[1][0], SETTINGS[0][0]
    print(f"{'path':<26} {'setting':<20} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for path, by_setting in results.items():
        for label, r in by_setting.items():
            print(f"{path:<26} {label:<20} {r['rate']:>7.0f} {r['p50']:>7.1f} {r['p99']:>7.1f} {r['errors']:>6}")
        print(f"{'':<26} {'kept / closed':<20} {by_setting[kept]['rate'] / by_setting[closed]['rate']:>6.2f}x "
              f"{by_setting[kept]['p50'] / by_setting[closed]['p50']:>6.2f}x "
              f"{by_setting[kept]['p99'] / by_setting[closed]['p99']:>6.2f}x")
    return 1 if any(r["errors"] for by in results.values() for r in by.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
