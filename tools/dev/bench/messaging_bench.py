"""Benchmark: recipients per second through API -> queue -> worker -> SOLAPI, and the
database round trips each recipient costs.

    tools/bazel run //tools/dev/bench:messaging_bench -- [--recipients 10000] [--batch-size 500]
        [--rate-limit 0] [--runs 1] [--api-workers 2]

Everything is real and local: a throwaway PostgreSQL server (tools/testing/postgres.py)
with `log_statement = all`, moto's SQS server, the fake SOLAPI (tools/testing/fake_solapi.py)
reached through the real solapi SDK, the API under gunicorn and the messaging worker as
subprocesses with the real settings (tools/testing/local_platform.py). One POST /api/v1/messages/ carries every recipient;
the clock stops when the batch is `done` in the database.

Round trips are counted by the server: every statement PostgreSQL logs (BEGIN, COMMIT and
SAVEPOINTs included) is one client round trip, attributed to the API or the worker by
the connection's application_name. Prints one table per run, then checks that each
number got exactly one message and that the ledger balances (the audit binary).

Needs PostgreSQL's server programs (tools/bazel installs them).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

from apps.shared.contracts import SendMessagesMessage
from tools.testing import postgres
from tools.testing.fake_solapi import FakeSolapi
from tools.testing.local_platform import MESSAGING_WORKER, LocalPlatform, PlatformError


class Bench:
    def __init__(self, args, workdir: Path):
        self.args, self.workdir = args, workdir
        try:
            self.pg = postgres.start_for_program(workdir)
        except RuntimeError as exc:
            sys.exit(f"messaging bench: {exc}")
        self._sql("ALTER SYSTEM SET log_statement = 'all'")
        self._sql("ALTER SYSTEM SET log_line_prefix = '[%a] '")
        self._sql("SELECT pg_reload_conf()")
        self.db_url = self.pg.create_database("bench")
        self.fake = FakeSolapi().start()
        self.platform = LocalPlatform(workdir / "platform", database_url=self.url_for("bench-setup"), env={
            "MESSAGING_RATE_LIMIT_PER_SECOND": str(args.rate_limit),
            "MESSAGING_PROVIDER_BATCH_SIZE": str(args.batch_size),
            "MESSAGING_MAX_RECIPIENTS_PER_REQUEST": str(max(10_000, args.recipients)),
            **self.fake.env(),
        })
        self.platform.start_sqs()
        self.platform.create_queue("messaging", visibility_timeout=60, max_receive_count=5,
                                   message_type=SendMessagesMessage)
        self.platform.migrate()

    def url_for(self, app: str) -> str:
        """The database URL for one process, named in the server's log by application_name."""
        return f"{self.db_url}?application_name={app}"

    def _sql(self, statement: str):
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.pg.port, user="postgres", dbname="postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def start(self) -> None:
        self.platform.start_api(workers=self.args.api_workers, timeout=300,
                                env={"DATABASE_URL": self.url_for("bench-api")})
        self.platform.start_worker(MESSAGING_WORKER, env={"DATABASE_URL": self.url_for("bench-worker")})

    def log_size(self) -> int:
        return self.pg.log.stat().st_size if self.pg.log.exists() else 0

    def round_trips(self, since: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        pattern = re.compile(rb"^\[([^\]]*)\] LOG:  statement: ")
        with open(self.pg.log, "rb") as handle:
            handle.seek(since)
            for line in handle:
                match = pattern.match(line)
                if match:
                    app = match.group(1).decode()
                    counts[app] = counts.get(app, 0) + 1
        return counts

    def batch_status(self, batch_id: str) -> str:
        import psycopg2

        connection = psycopg2.connect(self.url_for("bench-probe").replace("postgres://", "postgresql://", 1))
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT status FROM messaging_messagebatch WHERE id = %s", [batch_id])
                row = cursor.fetchone()
                return row[0] if row else ""
        finally:
            connection.close()

    def close(self) -> None:
        self.platform.stop()
        self.fake.stop()
        self.pg.stop()


def run_once(bench: Bench, academy, operator, run: int) -> dict:
    n = bench.args.recipients
    price = 20
    operator.call("POST", "/api/v1/credits/top-ups/", expect=201, json={"tenant": "bench", "amount": n * price})
    numbers = [f"010{run:02d}{i:06d}" for i in range(n)]
    body = {"type": "sms", "text": "내일 보강 수업이 있습니다", "recipients": numbers}
    bench.fake.reset()
    mark = bench.log_size()
    started = time.perf_counter()
    created = academy.call("POST", "/api/v1/messages/", expect=201, json=body)
    accepted = time.perf_counter()
    deadline = time.monotonic() + 600
    while bench.batch_status(created["id"]) != "done":
        if time.monotonic() > deadline:
            sys.exit(f"the batch was not done in 600 s; see {bench.platform.log_of('worker')}")
        time.sleep(0.02)
    done = time.perf_counter()
    trips = bench.round_trips(mark)
    counts = bench.fake.count_by_recipient()
    assert len(counts) == n and set(counts.values()) == {1}, "a number got no message, or more than one"
    return {
        "seconds": done - started, "api_seconds": accepted - started, "rate": n / (done - started),
        "api_trips": trips.get("bench-api", 0), "worker_trips": trips.get("bench-worker", 0),
        "provider_calls": len([r for r in bench.fake.requests if r.status == 200]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500, help="MESSAGING_PROVIDER_BATCH_SIZE")
    parser.add_argument("--rate-limit", type=int, default=0, help="MESSAGING_RATE_LIMIT_PER_SECOND (0: off)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--api-workers", type=int, default=2)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="messaging-bench-"))
    bench = Bench(args, workdir)
    try:
        academy_key = bench.platform.api_key("bench", name="Bench")
        operator_key = bench.platform.api_key("operator", name="Operator", staff=True)
        bench.start()
        academy, operator = bench.platform.client(academy_key), bench.platform.client(operator_key)
        academy.timeout = operator.timeout = 300
        results = [run_once(bench, academy, operator, run) for run in range(args.runs)]
        audit = bench.platform.run("apps.support.messaging.audit", env={
            "DATABASE_URL": bench.url_for("bench-audit"),
            "DJANGO_SETTINGS_MODULE": "apps.support.messaging.audit_settings"})
    except PlatformError as exc:
        sys.exit(f"messaging bench: {exc}")
    finally:
        bench.close()

    n = args.recipients
    print(f"messaging bench: {n} recipients in one request, provider batch {args.batch_size}, "
          f"rate limit {args.rate_limit or 'off'}, API gunicorn x{args.api_workers}, one worker")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, PostgreSQL "
          f"(fsync off) and moto and the fake SOLAPI on this machine")
    header = f"{'run':>3} {'total s':>8} {'API s':>7} {'recipients/s':>13} {'API trips/rcpt':>15} " \
             f"{'worker trips/rcpt':>18} {'SOLAPI calls':>13}"
    print(header)
    for i, r in enumerate(results):
        print(f"{i + 1:>3} {r['seconds']:>8.2f} {r['api_seconds']:>7.2f} {r['rate']:>13.0f} "
              f"{r['api_trips'] / n:>15.4f} {r['worker_trips'] / n:>18.4f} {r['provider_calls']:>13}")
    print(f"round trips (statements the server logged) per run: API {[r['api_trips'] for r in results]}, "
          f"worker {[r['worker_trips'] for r in results]}")
    print(f"each number got exactly one message; audit: {'balanced' if audit.returncode == 0 else audit.stdout}")
    return 0 if audit.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
