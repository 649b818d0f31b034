"""Benchmark: recipients per second through API -> queue -> worker -> SOLAPI, and the
database round trips each recipient costs.

    python3 tools/dev/bench/messaging_bench.py [--recipients 10000] [--batch-size 500]
        [--rate-limit 0] [--runs 1] [--api-workers 2]

Everything is real and local: a throwaway PostgreSQL server (tools/testing/postgres.py)
with `log_statement = all`, moto's SQS server, the fake SOLAPI (tools/testing/fake_solapi.py)
reached through the real solapi SDK, the API under gunicorn and the messaging worker as
subprocesses with the real settings. One POST /api/v1/messages/ carries every recipient;
the clock stops when the batch is `done` in the database.

Round trips are counted by the server: every statement PostgreSQL logs (BEGIN, COMMIT and
SAVEPOINTs included) is one client round trip, attributed to the API or the worker by
the connection's application_name. Prints one table per run, then checks that each
number got exactly one message and that the ledger balances (the audit binary).

Needs an interpreter with requirements/all.lock installed (Django, DRF, gunicorn, boto3,
moto, psycopg2, solapi, pytest) and PostgreSQL's binaries (tools/bazel installs them).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

from tools.testing.api_process import issued_key  # noqa: E402
from tools.testing.waiting import free_port  # noqa: E402

MIGRATE = ("import django; django.setup(); from django.core.management import call_command; "
           "call_command('migrate', verbosity=0)")


def _http(method: str, url: str, key: str, body=None, timeout: float = 300) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Api-Key {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Bench:
    def __init__(self, args, workdir: Path):
        from tools.testing.fake_solapi import FakeSolapi
        from tools.testing.postgres import PostgresServer, find_bin_dir
        from tools.testing.sqs_server import start_sqs_server, unique_name

        self.args, self.workdir = args, workdir
        bin_dir = find_bin_dir()
        if bin_dir is None:
            sys.exit("PostgreSQL binaries not found (set POSTGRES_BIN)")
        (workdir / "pg-base").mkdir()
        self.pg = PostgresServer(workdir / "pg-base", bin_dir)
        self.pg.start()
        self._sql("ALTER SYSTEM SET log_statement = 'all'")
        self._sql("ALTER SYSTEM SET log_line_prefix = '[%a] '")
        self._sql("SELECT pg_reload_conf()")
        self.db_url = self.pg.create_database("bench")
        self.moto, self.sqs = start_sqs_server()
        self.fake = FakeSolapi().start()
        self.queue_name = unique_name("bench-messaging")
        from apps.core.queues import SQSQueue
        from apps.shared.contracts import SendMessagesMessage

        SQSQueue(name=self.queue_name, message_type=SendMessagesMessage, client=self.sqs.client()).ensure(
            visibility_timeout=60, max_receive_count=5)
        self.procs: list[subprocess.Popen] = []
        self._run_py(MIGRATE, app="bench-setup", settings="apps.api.config.settings")

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

    def env(self, app: str, **extra) -> dict:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join([str(_REPO_ROOT), *sys.path]),
            "DATABASE_URL": f"{self.db_url}?application_name={app}", "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench", "ACADEMY_DATA_DIR": str(self.workdir / "data"),
            "SQS_MESSAGING_QUEUE": self.queue_name, "SQS_WAIT_TIME_SECONDS": "1",
            "MESSAGING_RATE_LIMIT_PER_SECOND": str(self.args.rate_limit),
            "MESSAGING_PROVIDER_BATCH_SIZE": str(self.args.batch_size),
            "MESSAGING_MAX_RECIPIENTS_PER_REQUEST": str(max(10_000, self.args.recipients)),
            **self.sqs.env(), **self.fake.env(), **extra,
        }

    def _run_py(self, code: str, *, app: str, settings: str) -> str:
        result = subprocess.run([sys.executable, "-c", code], env={**self.env(app), "DJANGO_SETTINGS_MODULE": settings},
                                capture_output=True, text=True, check=False)
        if result.returncode:
            sys.exit(f"failed: {code}\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "apps.api.manage", *args], env=self.env("bench-setup"),
                                capture_output=True, text=True, check=False)
        if result.returncode:
            sys.exit(f"manage {args} failed:\n{result.stderr}")
        return result.stdout

    def start_api(self) -> str:
        port = free_port()
        log = open(self.workdir / "api.log", "wb")  # noqa: SIM115
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "apps.api.server", "--bind", f"127.0.0.1:{port}", "--workers",
             str(self.args.api_workers), "--timeout", "300"], env=self.env("bench-api"), stdout=log,
            stderr=subprocess.STDOUT))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1):
                    return url
            except OSError:
                time.sleep(0.2)
        sys.exit(f"the API did not start; see {self.workdir / 'api.log'}")

    def start_worker(self) -> None:
        log = open(self.workdir / "worker.log", "wb")  # noqa: SIM115
        self.procs.append(subprocess.Popen([sys.executable, "-m", "apps.worker.messaging.sqs_main"],
                                           env=self.env("bench-worker"), stdout=log, stderr=subprocess.STDOUT))

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

        connection = psycopg2.connect(self.db_url.replace("postgres://", "postgresql://", 1)
                                      + "?application_name=bench-probe")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT status FROM messaging_messagebatch WHERE id = %s", [batch_id])
                row = cursor.fetchone()
                return row[0] if row else ""
        finally:
            connection.close()

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.fake.stop()
        self.moto.stop()
        self.pg.stop()


def run_once(bench: Bench, api_url: str, key: str, staff_key: str, run: int) -> dict:
    n = bench.args.recipients
    price = 20
    status, _ = _http("POST", f"{api_url}/api/v1/credits/top-ups/", staff_key,
                      {"tenant": "bench", "amount": n * price})
    assert status == 201, status
    numbers = [f"010{run:02d}{i:06d}" for i in range(n)]
    body = {"type": "sms", "text": "내일 보강 수업이 있습니다", "recipients": numbers}
    bench.fake.reset()
    mark = bench.log_size()
    started = time.perf_counter()
    status, created = _http("POST", f"{api_url}/api/v1/messages/", key, body)
    accepted = time.perf_counter()
    if status != 201:
        sys.exit(f"the send request failed: {status} {created}")
    deadline = time.monotonic() + 600
    while bench.batch_status(created["id"]) != "done":
        if time.monotonic() > deadline:
            sys.exit(f"the batch was not done in 600 s; see {bench.workdir}/worker.log")
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

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    workdir = Path(tempfile.mkdtemp(prefix="messaging-bench-"))
    os.chmod(workdir, 0o755)
    bench = Bench(args, workdir)
    try:
        out = bench.manage("create_tenant", "--name", "Bench", "--slug", "bench")
        key = issued_key(out)
        out = bench.manage("create_tenant", "--name", "Operator", "--slug", "operator", "--staff")
        staff_key = issued_key(out)
        api_url = bench.start_api()
        bench.start_worker()
        results = [run_once(bench, api_url, key, staff_key, run) for run in range(args.runs)]
        audit = subprocess.run([sys.executable, "-m", "apps.support.messaging.audit"],
                               env={**bench.env("bench-audit"),
                                    "DJANGO_SETTINGS_MODULE": "apps.support.messaging.audit_settings"},
                               capture_output=True, text=True, check=False)
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
