"""The messaging end-to-end harness: a PostgreSQL database, a messaging queue on moto's
server and a fake SOLAPI per test, with the API under gunicorn and messaging workers
started by tools/testing/local_platform.py with the real settings, configured through
the environment."""

import subprocess
from pathlib import Path

import pytest

from apps.shared.contracts import SendMessagesMessage
from tools.testing.api_client import ApiClient
from tools.testing.local_platform import MESSAGING_WORKER, LocalPlatform

WEBHOOK_SECRET = "e2e-webhook-secret"
SETTINGS = {
    "SQS_RETRY_BACKOFF_BASE_SECONDS": "1", "SQS_RETRY_BACKOFF_MAX_SECONDS": "2",
    "MESSAGING_RATE_LIMIT_PER_SECOND": "0", "MESSAGING_RECONCILE_GRACE_SECONDS": "5",
    "MESSAGING_WEBHOOK_SECRET": WEBHOOK_SECRET, "MESSAGING_PRICE_SMS": "20",
}


class Messaging:
    def __init__(self, tmp_path: Path, database_url: str, sqs_server, fake_solapi):
        self.database_url, self.fake = database_url, fake_solapi
        self.platform = LocalPlatform(tmp_path, sqs=sqs_server, database_url=database_url, debug=True,
                                      env={**SETTINGS, **fake_solapi.env()})
        self.queue = self.platform.create_queue("messaging", visibility_timeout=2, max_receive_count=10,
                                                message_type=SendMessagesMessage)
        self.platform.migrate()
        self.workers = 0

    @property
    def api_url(self) -> str:
        return self.platform.api_url

    def tenant(self, slug: str, *, staff: bool = False) -> ApiClient:
        return self.platform.client(self.platform.api_key(slug, staff=staff))

    def start_api(self, workers: int = 3, threads: int = 8) -> None:
        self.platform.start_api(workers=workers, threads=threads)

    def start_worker(self, *args: str, **env) -> subprocess.Popen:
        self.workers += 1
        return self.platform.start_worker(MESSAGING_WORKER, *args, name=f"worker-{self.workers}",
                                          env={key: str(value) for key, value in env.items()})

    def log_of(self, proc: subprocess.Popen) -> str:
        [name] = [service.name for service in self.platform.services if service.process is proc]
        return self.platform.log(name)

    def audit(self) -> subprocess.CompletedProcess:
        return self.platform.run("apps.support.messaging.audit",
                                 env={"DJANGO_SETTINGS_MODULE": "apps.support.messaging.audit_settings"})

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
        self.platform.stop(grace_seconds=0)


@pytest.fixture
def messaging(tmp_path, postgres_url, sqs_server, fake_solapi):
    harness = Messaging(tmp_path, postgres_url, sqs_server, fake_solapi)
    try:
        yield harness
    finally:
        harness.close()
