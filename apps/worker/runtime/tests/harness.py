"""The runtime tests' harness: worker subprocesses and their JSON logs, a queue per test on
the session's SQS server, and a database (SQLite file or PostgreSQL) read with its own
driver. Workers run as `python -m apps.worker.runtime.tests.worker_main`, with the real
worker settings configured through the environment."""

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from apps.core.queues import SQSQueue
from apps.shared.contracts import VideoTranscodeMessage
from apps.worker.runtime.tests.handlers import EFFECT_TABLE
from tools.testing.sqs_server import unique_name
from tools.testing.waiting import wait_until

WORKER_MODULE = "apps.worker.runtime.tests.worker_main"
MIGRATE = ("import django; django.setup(); from django.core.management import call_command; "
           "call_command('migrate', verbosity=0)")




class Database:
    def __init__(self, url: str):
        self.url = url
        self.is_sqlite = url.startswith("sqlite:")

    def connect(self):
        if self.is_sqlite:
            return sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=10)
        import psycopg2

        return psycopg2.connect(self.url.replace("postgres://", "postgresql://", 1))

    def query(self, sql: str, params=()) -> list[tuple]:
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql.replace("%s", "?") if self.is_sqlite else sql, params)
            rows = cursor.fetchall() if cursor.description else []
            connection.commit()
            return rows
        finally:
            connection.close()

    def create_effect_table(self) -> None:
        key = "INTEGER PRIMARY KEY AUTOINCREMENT" if self.is_sqlite else "SERIAL PRIMARY KEY"
        self.query(f"CREATE TABLE {EFFECT_TABLE} (id {key}, job_id TEXT NOT NULL, worker_id TEXT, "
                   "receive_count INTEGER, attempt INTEGER)")

    def effects(self, job_id: uuid.UUID) -> list[dict]:
        rows = self.query(f"SELECT worker_id, receive_count, attempt FROM {EFFECT_TABLE} WHERE job_id = %s",
                          [str(job_id)])
        return [dict(zip(("worker_id", "receive_count", "attempt"), row)) for row in rows]

    def claim(self, job_id: uuid.UUID) -> dict | None:
        key = job_id.hex if self.is_sqlite else str(job_id)
        rows = self.query("SELECT status, worker_id, attempts, error, lease_expires_at FROM core_jobclaim "
                          "WHERE job_id = %s", [key])
        return dict(zip(("status", "worker_id", "attempts", "error", "lease_expires_at"), rows[0])) if rows else None


class TestQueue:
    __test__ = False  # not a test class

    def __init__(self, client, *, visibility_timeout: int, max_receive_count: int):
        self.client = client
        self.queue = SQSQueue(name=unique_name("rt"), message_type=VideoTranscodeMessage, client=client)
        self.setup = self.queue.ensure(visibility_timeout=visibility_timeout, max_receive_count=max_receive_count)
        self.name = self.queue.name

    def message(self, script: str = "effect", **fields) -> VideoTranscodeMessage:
        return VideoTranscodeMessage(job_id=fields.pop("job_id", uuid.uuid4()), tenant_id=uuid.uuid4(),
                                     video_id=uuid.uuid4(), source_key=script, **fields)

    def send(self, script: str = "effect", **fields) -> VideoTranscodeMessage:
        message = self.message(script, **fields)
        self.queue.send(message)
        return message

    def send_raw(self, body: str) -> str:
        return self.client.send_message(QueueUrl=self.queue.url, MessageBody=body)["MessageId"]

    def depth(self, url: str | None = None) -> int:
        attributes = self.client.get_queue_attributes(
            QueueUrl=url or self.queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def dlq_depth(self) -> int:
        return self.depth(self.queue.dlq_url)

    def receive_dlq(self, count: int = 10) -> list[dict]:
        return self.client.receive_message(
            QueueUrl=self.queue.dlq_url, MaxNumberOfMessages=count, WaitTimeSeconds=0,
            MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"],
        ).get("Messages", [])


class WorkerProcess:
    def __init__(self, env: dict, log_path: Path, args=()):
        self.env = env
        self.log_path = log_path
        self.args = list(args)
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen([sys.executable, "-m", WORKER_MODULE, *self.args],
                                     stdout=self._log, stderr=subprocess.STDOUT, env=self.env)
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def lines(self) -> list[dict]:
        lines = []
        for raw in self.output().splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
        return lines

    def find(self, msg: str, **fields) -> list[dict]:
        return [line for line in self.lines()
                if msg in line.get("msg", "") and all(line.get(k) == v for k, v in fields.items())]

    def wait_for_log(self, msg: str, timeout: float = 20, **fields) -> dict:
        def seen():
            found = self.find(msg, **fields)
            if not found and self.proc.poll() is not None:
                raise AssertionError(f"worker exited ({self.proc.returncode}) before logging {msg!r}:\n{self.output()}")
            return found[0] if found else None

        try:
            return wait_until(seen, timeout, what=f"log line {msg!r}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- worker log ---\n{self.output()[-6000:]}") from None

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def metrics(self) -> dict:
        stopped = self.find("worker stopped")
        assert stopped, f"no 'worker stopped' line:\n{self.output()[-4000:]}"
        return stopped[-1]

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc:
            self._log.close()


class Harness:
    """One per test: creates queues, databases and workers, and kills the workers after."""

    def __init__(self, tmp_path: Path, sqs_server):
        self.tmp_path = tmp_path
        self.sqs_server = sqs_server
        self.client = sqs_server.client()
        self.workers: list[WorkerProcess] = []
        (tmp_path / "markers").mkdir()

    def queue(self, *, visibility_timeout: int = 5, max_receive_count: int = 5) -> TestQueue:
        return TestQueue(self.client, visibility_timeout=visibility_timeout, max_receive_count=max_receive_count)

    def database(self, url: str | None = None) -> Database:
        db = Database(url or f"sqlite:///{self.tmp_path / 'db.sqlite3'}")
        result = subprocess.run([sys.executable, "-c", MIGRATE], env=self.env(db, None), capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0, f"migrate failed:\n{result.stdout}\n{result.stderr}"
        db.create_effect_table()
        return db

    def env(self, db: Database, queue: TestQueue | None, **overrides) -> dict:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": ":".join(sys.path),
            "DJANGO_SETTINGS_MODULE": "apps.worker.settings",
            "DATABASE_URL": db.url,
            "ACADEMY_DATA_DIR": str(self.tmp_path / "data"),
            "TEST_MARKER_DIR": str(self.tmp_path / "markers"),
            "SQS_WAIT_TIME_SECONDS": "1",
            "SQS_RETRY_BACKOFF_BASE_SECONDS": "1",
            "SQS_RETRY_BACKOFF_MAX_SECONDS": "2",
            "SQS_UNREACHABLE_BACKOFF_MAX_SECONDS": "2",
            "WORKER_SHUTDOWN_GRACE_SECONDS": "5",
            "WORKER_HEALTH_FILE": str(self.tmp_path / f"worker-{len(self.workers)}.alive"),
            **self.sqs_server.env(),
        }
        if queue is not None:
            env["TEST_QUEUE"] = queue.name
        env.update({k: str(v) for k, v in overrides.items()})
        return env

    def worker(self, db: Database, queue: TestQueue, *args: str, **env) -> WorkerProcess:
        log_path = self.tmp_path / f"worker-{len(self.workers)}.log"
        worker = WorkerProcess(self.env(db, queue, **env), log_path, args)
        self.workers.append(worker)
        return worker.start()

    def started(self, job_id: uuid.UUID, attempt: int = 1) -> bool:
        return (self.tmp_path / "markers" / f"{job_id}.{attempt}.started").exists()

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


@pytest.fixture
def rt(tmp_path, sqs_server):
    harness = Harness(tmp_path, sqs_server)
    try:
        yield harness
    finally:
        harness.close()


__all__ = ["Database", "Harness", "TestQueue", "WorkerProcess", "rt", "wait_until"]
