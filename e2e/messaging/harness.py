"""The messaging end-to-end harness: a PostgreSQL database, a messaging queue on moto's
server and a fake SOLAPI per test; the API under gunicorn and messaging workers as
subprocesses with the real settings, configured through the environment."""

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from apps.core.queues import SQSQueue
from apps.shared.contracts import SendMessagesMessage
from tools.testing.api_process import create_tenant_key
from tools.testing.sqs_server import unique_name
from tools.testing.waiting import free_port, wait_until

WEBHOOK_SECRET = "e2e-webhook-secret"
MIGRATE = ("import django; django.setup(); from django.core.management import call_command; "
           "call_command('migrate', verbosity=0)")





class Http:
    def __init__(self, base_url: str, key: str):
        self.base_url, self.key = base_url, key

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers={
            "Authorization": f"Api-Key {self.key}", "Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body, headers=None):
        return self.request("POST", path, body, headers)


class Messaging:
    def __init__(self, tmp_path: Path, database_url: str, sqs_server, fake_solapi):
        self.tmp_path, self.database_url, self.sqs, self.fake = tmp_path, database_url, sqs_server, fake_solapi
        self.queue_name = unique_name("messaging")
        self.queue = SQSQueue(name=self.queue_name, message_type=SendMessagesMessage, client=sqs_server.client())
        self.queue.ensure(visibility_timeout=2, max_receive_count=10)
        self.processes: list[tuple[subprocess.Popen, Path]] = []
        self.api_url = ""
        self._run(MIGRATE, settings="apps.api.config.settings")

    def env(self, **overrides) -> dict:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONPATH": ":".join(sys.path),
            "DATABASE_URL": self.database_url, "ACADEMY_DATA_DIR": str(self.tmp_path / "data"),
            "DJANGO_DEBUG": "1", "SQS_MESSAGING_QUEUE": self.queue_name, "SQS_WAIT_TIME_SECONDS": "1",
            "SQS_RETRY_BACKOFF_BASE_SECONDS": "1", "SQS_RETRY_BACKOFF_MAX_SECONDS": "2",
            "WORKER_SHUTDOWN_GRACE_SECONDS": "5", "WORKER_HEALTH_FILE": str(self.tmp_path / "worker.alive"),
            "MESSAGING_RATE_LIMIT_PER_SECOND": "0", "MESSAGING_RECONCILE_GRACE_SECONDS": "5",
            "MESSAGING_WEBHOOK_SECRET": WEBHOOK_SECRET, "MESSAGING_PRICE_SMS": "20",
            **self.sqs.env(), **self.fake.env(),
        }
        env.update({k: str(v) for k, v in overrides.items()})
        return env

    def _run(self, code: str, *args, settings: str) -> str:
        result = subprocess.run([sys.executable, "-c", code, *args], env={**self.env(),
                                "DJANGO_SETTINGS_MODULE": settings}, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        return result.stdout

    def tenant(self, slug: str, *, staff: bool = False) -> Http:
        return Http(self.api_url, create_tenant_key(self.env(), slug, *(["--staff"] if staff else [])))

    def start_api(self, workers: int = 3, threads: int = 8) -> None:
        port = free_port()
        self._spawn("api", ["-m", "apps.api.server", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                            "--threads", str(threads), "--worker-class", "gthread"])
        self.api_url = f"http://127.0.0.1:{port}"

        def up():
            try:
                with urllib.request.urlopen(self.api_url + "/healthz", timeout=1) as response:
                    return response.status == 200
            except OSError:
                return False

        try:
            wait_until(up, 30, interval=0.2, what="the API server")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- api.log ---\n{(self.tmp_path / 'api.log').read_text()[-4000:]}") from None

    def start_worker(self, *args: str, **env) -> subprocess.Popen:
        return self._spawn(f"worker-{len(self.processes)}", ["-m", "apps.worker.messaging.sqs_main", *args], **env)

    def _spawn(self, name: str, argv: list[str], **env) -> subprocess.Popen:
        log = self.tmp_path / f"{name}.log"
        handle = open(log, "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, *argv], env=self.env(**env), stdout=handle, stderr=subprocess.STDOUT)
        proc.log_handle = handle  # type: ignore[attr-defined]
        self.processes.append((proc, log))
        return proc

    def log_of(self, proc) -> str:
        for p, log in self.processes:
            if p is proc:
                return log.read_text(errors="replace")
        return ""

    def audit(self) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "apps.support.messaging.audit"],
                              env={**self.env(), "DJANGO_SETTINGS_MODULE": "apps.support.messaging.audit_settings"},
                              capture_output=True, text=True, check=False)

    def sql(self, query: str, params=()) -> list[tuple]:
        import psycopg2

        connection = psycopg2.connect(self.database_url.replace("postgres://", "postgresql://", 1))
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def close(self) -> None:
        for proc, _ in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
            proc.log_handle.close()


@pytest.fixture
def messaging(tmp_path, postgres_url, sqs_server, fake_solapi):
    harness = Messaging(tmp_path, postgres_url, sqs_server, fake_solapi)
    try:
        yield harness
    finally:
        harness.close()
